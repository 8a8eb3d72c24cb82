"""The mgmeso command end to end: outputs, overwrite protection, exit codes."""

import json
import subprocess
import sys

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.io.table import read_csv_columns

from .conftest import CONFIGS

DMA_COLUMNS = ["temperature_K", "frequency_Hz", "E_storage_MPa", "E_loss_MPa", "tan_delta",
               "E_storage_paper_MPa", "E_loss_paper_MPa", "tan_delta_paper"]
TIME_COLUMNS = ["time_s", "stress_MPa", "strain", "strain_elastic", "strain_beta",
                "strain_anelastic", "strain_plastic", "temperature_K"]


def test_theory_dma_writes_csv_json_png(tmp_path, capsys):
    out = tmp_path / "dma"
    assert main(["theory", str(CONFIGS / "la60_dma_1Hz.toml"), "--out", str(out), "--plot"]) == 0
    cols = read_csv_columns(out / "theory.csv")
    for c in DMA_COLUMNS + ["E_loss_beta_MPa", "E_loss_anelastic_MPa", "E_loss_plastic_MPa"]:
        assert c in cols
    assert len(cols["temperature_K"]) == 1001
    meta = json.loads((out / "theory.json").read_text())
    assert meta["summary"]["features"][0]["beta_kind"] == "peak"
    assert "numpy" in meta["versions"]
    png = (out / "theory.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20000
    text = capsys.readouterr().out
    assert "beta peak at" in text and "alpha peak at" in text


@pytest.mark.parametrize("name", ["la60_creep_recovery_430K", "la60_tension_430K",
                                  "la60_loading_sequence_315K", "la60_stress_relaxation"])
def test_theory_time_domain_columns(tmp_path, name):
    out = tmp_path / name
    assert main(["theory", str(CONFIGS / f"{name}.toml"), "--out", str(out), "--quiet"]) == 0
    cols = read_csv_columns(out / "theory.csv")
    # several kMC cases (one relaxation per temperature): their labels first, as in export
    assert (list(cols)[0] == "case") == (name == "la60_stress_relaxation")
    assert [c for c in cols if c != "case"][:8] == TIME_COLUMNS
    for c in TIME_COLUMNS:
        assert np.all(np.isfinite(cols[c]))
    parts = sum(cols[f"strain_{k}"] for k in ("elastic", "beta", "anelastic", "plastic"))
    assert np.allclose(parts, cols["strain"], atol=1e-12)


def test_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "o"
    cfg = str(CONFIGS / "la60_creep_recovery_430K.toml")
    assert main(["theory", cfg, "--out", str(out)]) == 0
    before = (out / "theory.csv").read_bytes()
    assert main(["theory", cfg, "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "theory.csv").read_bytes() == before
    assert main(["theory", cfg, "--out", str(out), "--overwrite"]) == 0


def test_output_files_have_normal_permissions(tmp_path):
    import os
    out = tmp_path / "perm"
    assert main(["theory", str(CONFIGS / "la60_creep_recovery_430K.toml"), "--out", str(out),
                 "--quiet"]) == 0
    mask = os.umask(0)
    os.umask(mask)
    assert (out / "theory.csv").stat().st_mode & 0o777 == 0o666 & ~mask
    assert not list(out.glob(".*.tmp"))  # no temporary files left behind


def test_bad_arguments_exit_2(capsys):
    assert main(["theory"]) == 2
    assert main(["nosuchverb"]) == 2
    assert main(["theory", "does/not/exist.toml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "does not exist" in err


def test_info_and_console_script(capsys):
    assert main(["info"]) == 0
    assert "numba" in capsys.readouterr().out
    r = subprocess.run([sys.executable, "-m", "mgmeso", "info"], capture_output=True, text=True)
    assert r.returncode == 0 and "mgmeso" in r.stdout


def test_stepped_relaxation_csv_carries_the_kww_reason(tmp_path):
    """A step without a KWW fit says why in its row (kww_no_fit_reason, empty where fitted),
    and the CSV still reads back: numbers as floats, the reason as text.
    """
    cfg = tmp_path / "stepped.toml"
    cfg.write_text('material = "la60ni15al25"\n[protocol]\nkind = "stepped_relaxation"\n'
                   'T_start_K = 300.0\nT_end_K = 480.0\nT_step_K = 30.0\nhold_s = 1800.0\n')
    out = tmp_path / "out"
    assert main(["theory", str(cfg), "--out", str(out), "--quiet"]) == 0
    cols = read_csv_columns(out / "theory.csv")
    assert cols["delta"].dtype == float and cols["kww_no_fit_reason"].dtype.kind == "U"
    fitted = np.isfinite(cols["beta_KWW"])
    assert np.all(fitted == (cols["kww_no_fit_reason"] == "")) and fitted.any() and not fitted.all()
    assert "lower bound 0.01" in cols["kww_no_fit_reason"][0]      # 300 K: 7 % over 3.6 decades
