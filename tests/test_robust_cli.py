"""Hostile command lines (issue 15 sections 2-3, issue 14 section 6): output paths, overrides,
papercuts. Every case exits 0 with its output or 2 with a message naming the argument.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mgmeso.cli import main

from .conftest import CONFIGS, REPO

CREEP = str(CONFIGS / "la60_creep_recovery_430K.toml")
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def cli(args, capsys):
    rc = main([str(a) for a in args])
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    return rc, cap.out, cap.err


@pytest.fixture()
def afile(tmp_path):
    p = tmp_path / "afile"
    p.write_text("the user's own data\n")
    return p


# ------------------------------------------------------------------ output paths
@pytest.mark.parametrize("target", ["file", "file/sub", "/dev/null", ""])
def test_theory_out_that_cannot_be_a_directory(tmp_path, afile, capsys, target):
    out = {"file": afile, "file/sub": afile / "sub"}.get(target, target)
    rc, _, err = cli(["theory", CREEP, "--out", out, "--overwrite"], capsys)
    assert rc == 2
    assert "--out" in err and ("not a directory" in err or "empty path" in err)
    assert afile.read_text() == "the user's own data\n"


def test_config_output_dir_empty_is_rejected(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text(Path(CREEP).read_text() + '\n[output]\ndir = ""\n')
    rc, _, err = cli(["theory", cfg], capsys)
    assert rc == 2 and "[output] dir = '': an empty path" in err


def test_output_file_checks(tmp_path, afile):
    from mgmeso.errors import OutputExistsError, UserError
    from mgmeso.io.files import check_output_file, check_output_store, check_writable

    with pytest.raises(UserError, match="is a directory"):
        check_output_file(tmp_path, overwrite=True, arg="--csv")
    with pytest.raises(UserError, match="not a regular file"):
        check_output_file("/dev/null", overwrite=True)
    with pytest.raises(OutputExistsError, match="choose another --csv"):
        check_writable({afile: "--csv"}, overwrite=False)
    check_output_file(afile, overwrite=True)          # a regular file may be replaced
    with pytest.raises(UserError, match="afile is a file"):
        check_output_file(afile / "x.png", overwrite=True)
    with pytest.raises(UserError, match="not a run store"):
        check_output_store(afile, overwrite=True)
    with pytest.raises(UserError, match="not a run store"):
        check_output_store(tmp_path, overwrite=True)   # a directory of other data


def test_run_out_on_a_regular_file_leaves_it_alone(tmp_path, afile, capsys):
    rc, _, err = cli(["run", CONFIGS / "la60_kmc_creep_430K_meanfield.toml", "--out", afile,
                      "--overwrite", "--quiet"], capsys)
    assert rc == 2 and "not a run store" in err
    assert afile.read_text() == "the user's own data\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]   # no afile.old, afile.ckpt


def test_theory_overwrite_removes_only_its_own_stale_files(tmp_path, capsys):
    out = tmp_path / "o"
    iso = tmp_path / "iso.toml"
    iso.write_text('material = "la60ni15al25"\n[protocol]\nkind = "dma_isothermal"\n'
                   'T_start_K = 420.0\nT_end_K = 440.0\nT_step_K = 20.0\npoints_per_decade = 2\n'
                   '[theory]\ngumbel_points = 31\n')
    assert cli(["theory", iso, "--out", out, "--quiet"], capsys)[0] == 0
    assert (out / "chi.csv").exists() and (out / "master_curve.csv").exists()
    (out / "notes.txt").write_text("mine")
    rc, text, _ = cli(["theory", CREEP, "--out", out, "--quiet", "--overwrite"], capsys)
    assert rc == 0 and "removed" in text
    names = sorted(p.name for p in out.iterdir())
    assert names == ["notes.txt", "theory.csv", "theory.json"]
    assert json.loads((out / "theory.json").read_text())["files"] == ["theory.csv", "theory.json"]


# ------------------------------------------------------------------ overrides
@pytest.mark.parametrize("args, fragment", [
    (["--replicas", "1000000"], "replicas = 1000000: allowed range is [1, 100000]"),
    (["--replicas", "0"], "replicas = 0: allowed range is [1, 100000]"),
    (["--seed", str(2**64)], f"seed = {2**64}: allowed range is [0, {2**63 - 1}]"),
    (["--seed", "-1"], "seed = -1: allowed range"),
    (["--workers", "0"], "argument --workers: 0: must be between 1 and"),
    (["--set", "simulation.L=2"], "L = 2: allowed range is [3, 4096]"),
    (["--set", "simulation.lattice=hex"], "lattice = 'hex': allowed range is one of"),
    (["--set", "simulaton.L=8"], "unknown top-level key 'simulaton'; did you mean 'simulation'?"),
    (["--set", "simulation.L"], "expected KEY=VALUE"),
    (["--set", "protocol.temperature_K=1e-12"], "the kMC needs temperatures of at least"),
])
def test_run_overrides_are_validated_like_the_file(tmp_path, capsys, args, fragment):
    rc, _, err = cli(["run", CONFIGS / "la60_kmc_creep_430K_meanfield.toml", "--out",
                      tmp_path / "r.zarr", *args], capsys)
    assert rc == 2 and fragment in err, err
    if args[0] != "--workers" and "KEY=VALUE" not in fragment and "kMC" not in fragment:
        assert "set on the command line by" in err
    assert not (tmp_path / "r.zarr").exists()


@pytest.mark.parametrize("workers", ["0", "-3", "x"])
def test_compare_workers_validated(tmp_path, capsys, workers):
    rc, _, err = cli(["compare", CONFIGS / "la60_kmc_creep_430K_meanfield.toml", "--out",
                      tmp_path / "c", "--workers", workers], capsys)
    assert rc == 2 and "argument --workers" in err


def test_set_changes_the_config_everywhere(tmp_path, capsys):
    rc, out, _ = cli(["config", "show", CONFIGS / "la60_loading_sequence_315K.toml",
                      "--set", "simulation.L=24", "--set", "material.chi_g=0.41",
                      "--set", "protocol.segments.2.duration_s=77.5",
                      "--set", 'title="set title"'], capsys)
    assert rc == 0
    assert "L                           = 24" in out or "\nL " in out
    assert "chi_g              = 0.41" in out and "duration_s = 77.5" in out
    assert 'title = "set title"' in out
    rc, _, err = cli(["theory", CREEP, "--out", tmp_path / "t", "--set",
                      "protocol.stress_MPa=30000"], capsys)
    assert rc == 2 and "stress_MPa = 30000: must be below" in err
    rc, _, err = cli(["config", "show", CREEP, "--set", "protocol.segments.1.x=3"], capsys)
    assert rc == 2 and "unknown key 'segments'" in err and "--set protocol.segments.1.x=3" in err


# ------------------------------------------------------------------ papercuts (issue 14.6)
def test_version_and_subcommand_help(capsys):
    with pytest.raises(SystemExit):   # argparse prints and exits from parse_args
        from mgmeso.cli import build_parser
        build_parser().parse_args(["--version"])
    from mgmeso import __version__
    assert capsys.readouterr().out.strip() == f"mgmeso {__version__}"
    assert main(["--version"]) == 0
    capsys.readouterr()
    for verb in (["run"], ["theory"], ["config", "show"], ["percolation", "map"], ["fit"]):
        assert main([*verb, "--help"]) == 0
        text = capsys.readouterr().out
        head = text.split("positional arguments")[0].split("options:")[0]
        usage_end = head.find("\n\n")
        assert usage_end > 0 and len(head[usage_end:].strip()) > 20, verb   # a description


def test_config_show_into_a_closed_pipe_is_quiet():
    p = subprocess.Popen([sys.executable, "-m", "mgmeso", "config", "show",
                          str(CONFIGS / "la60_tension_430K.toml")], env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()   # what `| head -1` does
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err
    assert p.returncode in (0, 141)


def test_export_existing_csv_names_csv_not_out(tmp_path):
    from mgmeso.errors import OutputExistsError
    from mgmeso.io.files import check_writable

    f = tmp_path / "existing.csv"
    f.write_text("x\n")
    with pytest.raises(OutputExistsError) as exc:
        check_writable({f: "--csv"}, overwrite=False)
    assert "choose another --csv" in str(exc.value) and "--out" not in str(exc.value)


def test_cold_kernel_cache_is_announced(monkeypatch, capsys):
    from mgmeso.cli.common import warn_if_jit_cold
    from mgmeso.kmc import kernels

    cache = kernels.run_until._cache._cache_file
    monkeypatch.setattr(cache, "_load_index", dict)
    assert warn_if_jit_cold() is True
    assert "compiling the kMC kernels (first run only" in capsys.readouterr().err
    monkeypatch.setattr(cache, "_load_index", lambda: {"sig": "entry"})
    assert warn_if_jit_cold() is False
    assert capsys.readouterr().err == ""


def test_interrupt_during_an_extension_import_is_an_interruption(monkeypatch, capsys):
    """Ctrl-C while a compiled extension initialises arrives as an ImportError caused by the
    KeyboardInterrupt: exit 130 with one line; any other ImportError is not swallowed.
    """
    import mgmeso.cli as cli

    def interrupted_import():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as k:
            raise ImportError("initialization failed") from k

    monkeypatch.setattr(cli, "build_parser", interrupted_import)
    assert cli.main(["theory", "x.toml"]) == 130
    assert capsys.readouterr().err.strip() == "mgmeso: interrupted"

    def broken_import():
        raise ImportError("no module named scipy")

    monkeypatch.setattr(cli, "build_parser", broken_import)
    with pytest.raises(ImportError):
        cli.main(["theory", "x.toml"])
