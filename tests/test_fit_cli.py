"""``mgmeso fit`` arguments and paths: every bad one is an exit-2 message naming it, no output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import load_material
from mgmeso.fit import synthetic


@pytest.fixture(scope="module")
def scan(tmp_path_factory):
    d = tmp_path_factory.mktemp("scan")
    p = d / "scan.txt"
    cmap = synthetic.write_isochronal(load_material("la60ni15al25")[0], p, 1.0,
                                      np.arange(330.0, 420.0, 3.0), np.random.default_rng(0))
    return p, cmap


def _argv(scan, out, *extra, free="U_beta_kJ_per_mol"):
    p, cmap = scan
    return ["fit", str(p), "--kind", "dma_isochronal", "--columns", cmap, "--material",
            "la60ni15al25", "--free", free, "--out", str(out), "--no-figures", *extra]


@pytest.mark.parametrize("extra,needle", [
    (["--frequency-Hz", "nan"], "--frequency-Hz: 'nan' is not a finite number"),
    (["--frequency-Hz", "inf"], "--frequency-Hz: 'inf' is not a finite number"),
    (["--frequency-Hz", "1_0"], "--frequency-Hz: '1_0' is not a number (no digit group"),
    (["--frequency-Hz", "\u0661"], "--frequency-Hz: '\u0661' is not a number (non-ASCII"),
    (["--frequency-Hz", "-1"], "--frequency-Hz -1.0: must be a finite number in (0, 1e+09] Hz"),
    (["--frequency-Hz", "1", "2"], "--frequency-Hz: give one value for all 1 files"),
    (["--frequency-Hz", "1", "--temperature-K", "nan"], "--temperature-K: 'nan' is not a finite"),
    (["--frequency-Hz", "1", "--temperature-K", "1e9"], "--temperature-K 1000000000.0: must be a finite number in (0, 5000] K"),
    (["--frequency-Hz", "1", "--stress-MPa", "0"], "--stress-MPa 0.0: a creep stress must be positive"),
    (["--frequency-Hz", "1", "--poisson-ratio", "0.5"], "--poisson-ratio 0.5: must be in [0, 0.5)"),
    (["--frequency-Hz", "1", "--temperature-tolerance-K", "0"], "--temperature-tolerance-K 0: must be in (0, 50]"),
    (["--frequency-Hz", "1", "--max-points", "1e3"], "--max-points: '1e3' is not a whole number"),
    (["--frequency-Hz", "1", "--max-points", "-5"], "--max-points: '-5' is not a whole number"),
    (["--frequency-Hz", "1", "--max-points", "10000000"], "--max-points 10000000: at most 100000"),
    (["--frequency-Hz", "1", "--start", "U_beta_kJ_per_mol=8_0"], "--start 'U_beta_kJ_per_mol=8_0'"),
    (["--frequency-Hz", "1", "--start", "U_beta_kJ_per_mol=nan"], "--start 'U_beta_kJ_per_mol=nan'"),
    (["--frequency-Hz", "1", "--start", "U_beta_kJ_per_mol"], "expected KEY=NUMBER"),
    (["--frequency-Hz", "1", "--kind", "dma"], "--kind 'dma': must be one of"),
])
def test_bad_arguments_exit_2_naming_them(tmp_path, scan, capsys, extra, needle):
    out = tmp_path / "out"
    assert main(_argv(scan, out, *extra)) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err, err
    assert not out.exists()


def test_paths(tmp_path, scan, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    for out, needle in ((f, "exists and is not a directory"), (f / "sub", "is a file, not a directory"),
                        ("", "give an output directory"), ("/dev/null", "exists and is not a directory")):
        assert main(_argv(scan, out, "--frequency-Hz", "1")) == 2
        assert needle in capsys.readouterr().err
    assert f.read_text() == "x"
    # the data argument is a directory
    argv = _argv(scan, tmp_path / "o", "--frequency-Hz", "1")
    argv[1] = str(tmp_path)
    assert main(argv) == 2
    assert f"{tmp_path}: is a directory, not a data file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_scaled_column_and_too_few_points(tmp_path, capsys):
    p = tmp_path / "big.csv"
    p.write_text("temperature_K,E_storage_MPa,E_loss_MPa\n400,3e304,1e302\n410,3e304,2e302\n")
    assert main(["fit", str(p), "--kind", "dma-isochronal", "--frequency-Hz", "1", "--material",
                 "la60ni15al25", "--free", "U_beta_kJ_per_mol", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "big.csv: line 2, column 'E_storage_MPa': 3e304 is outside [0, 1e+07] MPa" in err
    one = tmp_path / "one.csv"
    one.write_text("time_s,strain,stress_MPa\n10,0.001,25\n")
    assert main(["fit", str(one), "--kind", "creep", "--temperature-K", "430", "--material",
                 "la60ni15al25", "--free", "A_an_per_MPa,t0_s", "--out", str(tmp_path / "b")]) == 2
    assert "1 data value(s) for 2 free parameter(s)" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_overwrite_removes_stale_figures(tmp_path, scan, capsys):
    out = tmp_path / "out"
    argv = _argv(scan, out, "--frequency-Hz", "1")
    argv.remove("--no-figures")
    assert main(argv) == 0
    assert (out / "fit_1_scan.png").exists()
    assert oct(out.stat().st_mode & 0o777) != "0o700"        # not the staging dir's mode
    assert main(argv) == 2                                   # no overwrite without --overwrite
    assert "already exists" in capsys.readouterr().err
    assert main(_argv(scan, out, "--frequency-Hz", "1", "--overwrite")) == 0
    assert not (out / "fit_1_scan.png").exists()             # a stale figure is not left behind
    doc = json.loads((out / "fit.json").read_text())
    assert doc["parameters"]["U_beta_kJ_per_mol"]["std_error"] > 0
    assert not list(tmp_path.glob(".out.*"))


@pytest.mark.slow
def test_large_export_is_thinned_and_fits(tmp_path, capsys):
    """A 120,000-row, 3.4 MB isochronal export: thinned with a notice, fitted in seconds."""
    mat = load_material("la60ni15al25")[0]
    from mgmeso.theory.gumbel import gumbel_grid
    from mgmeso.theory.protocols import dma_columns

    Tc = np.linspace(320.0, 430.0, 200)
    m = dma_columns(mat, Tc, 1.0, gumbel_grid(mat.B_beta, 121))
    T = np.linspace(320.0, 430.0, 120_000)
    rng = np.random.default_rng(1)
    E1 = np.interp(T, Tc, m["E_storage_MPa"]) * (1 + 0.002 * rng.normal(size=T.size))
    E2 = np.interp(T, Tc, m["E_loss_MPa"]) * (1 + 0.01 * rng.normal(size=T.size))
    p = tmp_path / "big.txt"
    with open(p, "w") as fh:
        fh.write("temperature_K\tE_storage_MPa\tE_loss_MPa\n")
        fh.writelines(f"{a:.4f}\t{b:.2f}\t{c:.3f}\n" for a, b, c in zip(T, E1, E2))
    assert p.stat().st_size > 3e6
    out = tmp_path / "out"
    assert main(["fit", str(p), "--kind", "dma-isochronal", "--frequency-Hz", "1", "--material",
                 "la60ni15al25", "--free", "U_beta_kJ_per_mol,tau_beta0_s", "--start",
                 "U_beta_kJ_per_mol=80,tau_beta0_s=5e-13", "--out", str(out), "--no-figures"]) == 0
    text = capsys.readouterr().out
    assert "120000 rows thinned to" in text and "--max-points sets how many" in text
    doc = json.loads((out / "fit.json").read_text())
    assert doc["n_points"] <= 2 * 4100
    assert abs(doc["parameters"]["U_beta_kJ_per_mol"]["value"] - 83.12) < 1.0
