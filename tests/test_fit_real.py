"""A real instrument export through the CLI: the pyvisco polymer sweeps, as shipped.

The file has a units row, a byte-order mark, a temperature logged per point and a Set column
(validation/fit_examples/pyvisco/README.md). The model is a metallic-glass model and the data a
polymer: what is tested is that the reader and the optimiser cope, not that the parameters mean
something (docs/fit.md).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import load_material

EX = Path(__file__).resolve().parents[1] / "validation" / "fit_examples" / "pyvisco"
RAW = EX / "freq_user_raw.csv"
FREE = "E_unrelaxed_MPa,E_relaxed_beta_MPa,A_an_per_MPa,U_beta_kJ_per_mol,chi_g,tau_beta0_s"
COLUMNS = "frequency=f,E_storage=E_stor,E_loss=E_loss,temperature=T,sweep=Set"


def test_shipped_file_is_the_raw_export():
    data = RAW.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")                   # BOM kept
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "f,E_stor,E_loss,T,Set" and lines[1].replace(" ", "") == "Hz,MPa,MPa,C,-"
    assert len(lines) == 212 and (EX / "LICENSE").read_text().startswith("BSD 3-Clause")
    temps = {ln.split(",")[3] for ln in lines[2:]}
    assert len(temps) > 100                                  # logged per point, not per sweep


@pytest.fixture(scope="module")
def pyvisco_fit(tmp_path_factory):
    out = tmp_path_factory.mktemp("pv") / "out"
    argv = ["fit", str(RAW), "--kind", "dma_isothermal", "--columns", COLUMNS,
            "--material", str(EX / "polymer_start.toml"), "--free", FREE,
            "--start", "U_beta_kJ_per_mol=55", "--out", str(out)]
    return main(argv), out


def test_real_sweeps_fit_through_the_cli(pyvisco_fit, capsys):
    code, out = pyvisco_fit
    assert code == 0
    doc = json.loads((out / "fit.json").read_text())
    assert doc["converged"] is True
    assert doc["n_points"] == 420                            # E' and E'' of 210 rows
    assert any("units row on line 2" in n for n in doc["notes"])
    for k, p in doc["parameters"].items():                   # a finite SE, or named undetermined
        if p["std_error"] is None:
            assert p["undetermined"] and any(k in w and "undetermined" in w for w in doc["warnings"])
        else:
            assert math.isfinite(p["std_error"]) and p["std_error"] > 0 and not p["undetermined"]
    corr = np.array(doc["correlation"]["matrix"], dtype=float)
    fin = np.isfinite(corr)
    assert np.all(np.abs(corr[fin]) <= 1) and np.allclose(corr[fin], corr.T[fin])
    # the fitted material loads and keeps the moduli's order
    mat = load_material(str(out / "material.toml"))[0]
    assert mat.E_relaxed_beta_MPa < mat.E_unrelaxed_MPa
    # residuals are reported per column; the model is not a polymer model: a rough fit, said so
    res = {r["column"]: r for r in doc["residuals"]}
    assert set(res) == {"E_storage_MPa", "E_loss_MPa"}
    assert all(0 < r["rms_relative_to_max"] < 0.5 for r in res.values())


def test_real_sweeps_tts_shifts_monotonic(pyvisco_fit):
    _, out = pyvisco_fit
    doc = json.loads((out / "fit.json").read_text())
    (tts,) = doc["derived_fits"]["tts_shifts"]
    assert tts["curve"] == "E_storage_MPa and E_loss_MPa jointly"
    T = np.array([s["temperature_K"] for s in tts["shifts"]])
    a = np.array([s["log10_a_T"] for s in tts["shifts"]])
    assert T.size == 21 and np.all(np.diff(T) > 5)            # 21 sweeps, grouped by Set
    assert np.all(np.diff(a) < 0) and tts["monotonic"]       # hotter relaxes faster
    assert a[0] - a[-1] > 10                                  # a glass transition: many decades
    assert "arrhenius" in tts and "wlf" in tts
    # chi from tan delta is negative for the glassy sweeps: warned, not silently reported
    chis = doc["derived_fits"]["chi_from_tan_delta"]
    assert any(c["chi"] < 0 for c in chis)
    assert any("outside (0, 1]" in w for w in doc["warnings"])


def test_real_sweeps_figures_exist(pyvisco_fit):
    _, out = pyvisco_fit
    for name in ("fit_1_freq_user_raw.png", "tts_1_freq_user_raw.png"):
        png = (out / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 30_000
    report = (out / "report.md").read_text()
    assert "## Residuals" in report and "![tts_1_freq_user_raw.png]" in report


def test_grouping_without_the_set_column_agrees(tmp_path):
    """The per-point temperatures alone (1 K tolerance) give the same 21 sweeps as Set."""
    from mgmeso.fit.data import read_dataset

    cols = dict(item.split("=") for item in COLUMNS.split(","))
    by_set = read_dataset(RAW, "dma-isothermal", cols)
    cols.pop("sweep")
    by_T = read_dataset(RAW, "dma-isothermal", cols)
    assert by_set.group_value.size == by_T.group_value.size == 21
    assert np.array_equal(by_set.group, by_T.group)
    assert np.allclose(by_set.group_value, by_T.group_value)
