"""The studies with elastic interactions (docs/kmc_elastic.md section 7): collection and figures.

Default run: a two-run sweep store (interactions off and on, sc L = 4, creep of 3 s) collected
by ``mgmeso.sweep.analyses.elastic`` (``mgmeso sweep --collect``: table and figure); the ratio
table is checked against the ratios computed by hand from the collected dataset.
Slow: the three shipped sweeps, shrunk, end to end through ``scripts/study_elastic_studies.py
--run`` (every figure of the section, the localisation part included).
"""

from __future__ import annotations

import csv
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

import mgmeso
from mgmeso.cli import main
from mgmeso.sweep.analyses.elastic import deviation_table, paired_ratio

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "configs" / "sweeps"


def _script():
    spec = importlib.util.spec_from_file_location("study_elastic_studies",
                                                  ROOT / "scripts" / "study_elastic_studies.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def shrunk(tmp: Path, name: str, subs: list[tuple[str, str]]) -> Path:
    """The shipped sweep file with absolute base paths and textual substitutions."""
    text = (SWEEPS / f"{name}.toml").read_text()
    text = text.replace('base = "../', f'base = "{SWEEPS.parent}/')
    for a, b in subs:
        text, n = re.subn(a, b, text)
        assert n, a
    p = tmp / f"{name}.toml"
    p.write_text(text)
    return p


def test_paired_ratio_against_its_definition():
    rng = np.random.default_rng(3)
    off = 1.0 + 0.1 * rng.standard_normal(8)
    on = 1.2 * off + 0.01 * rng.standard_normal(8)
    r, se = paired_ratio(on, off)
    assert r == pytest.approx(on.mean() / off.mean(), rel=1e-12)
    # delta method: the common part of a pair cancels, so the SE is that of the residual
    assert se == pytest.approx(np.std(on - r * off, ddof=1) / np.sqrt(8) / off.mean(), rel=1e-12)
    assert se < np.std(on, ddof=1) / np.sqrt(8) / off.mean() / 3
    assert np.isnan(paired_ratio([1.0], [2.0])[1])
    assert np.isnan(paired_ratio([1.0, 2.0], [0.0, 0.0])[0])


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("elastic_studies")
    toml = shrunk(tmp, "elastic_deviation", [
        (r"L = 16", "L = 4"), (r"creep_time_s = 330.0", "creep_time_s = 3.0"),
        (r"recovery_time_s = 1000.0", "recovery_time_s = 3.0"),
        (r"\[330.0, 1330.0\]", "[3.0, 6.0]"),
        (r"values = \[400.0, 430.0, 460.0\]", "values = [460.0]"),
        (r"values = \[25.0, 100.0, 300.0\]", "values = [300.0]"),
        (r"\[\[axis\]\]\nreplicas = 8\n", "")])
    store = tmp / "s.zarr"
    assert main(["sweep", str(toml), "--out", str(store), "--executor", "serial", "--quiet"]) == 0
    assert main(["sweep", str(toml), "--out", str(store), "--theory", "--quiet"]) == 0
    return tmp, store


def test_deviation_table_and_figures_on_a_two_run_store(tiny_store, capsys):
    tmp, store = tiny_store
    ds = mgmeso.open_sweep(store)
    assert dict(ds.sizes)["interactions"] == 2 and ds.sizes.get("replica", 1) == 1
    tab = deviation_table(ds, mgmeso.sweep.collect.SweepData(store))
    assert len(tab["on"]) == 4          # 2 quantities x 2 stages
    for i in range(4):
        pt = ds.sel(case=0, segment=int(tab["segment"][i]))[f"strain_{tab['quantity'][i]}_end"]
        on = float(pt.sel(interactions="on").values.ravel()[0])
        off = float(pt.sel(interactions="off").values.ravel()[0])
        th = float(ds.sel(case=0, segment=int(tab["segment"][i]))[
            f"strain_{tab['quantity'][i]}_end_theory"].values.ravel()[0])
        assert tab["on_off"][i] == pytest.approx(on / off, rel=1e-12)
        assert tab["on_theory"][i] == pytest.approx(on / th, rel=1e-12)
        assert tab["off_theory"][i] == pytest.approx(off / th, rel=1e-12)
        assert np.isnan(tab["on_off_se"][i])          # one pair: no SE, not a made-up one
    # the physical law's tanh(x)/x at 300 MPa: sigma_sat is about 200 MPa at 460 K
    assert 0.4 < tab["tanh_factor"][0] < 0.8
    capsys.readouterr()
    assert main(["sweep", "--collect", str(store), "--out", str(tmp / "analysis")]) == 0
    assert "on/off" in capsys.readouterr().out
    with open(tmp / "analysis" / "elastic_deviation.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 4


@pytest.mark.slow
def test_small_studies_end_to_end(tmp_path, capsys):
    """The three sweeps, shrunk (sc L = 6, two temperatures and stresses, two replicas), run
    through the script's ``--run`` and drawn: every figure of section 7 is written.
    """
    sub = {"elastic_deviation": [
        (r"L = 16", "L = 6"), (r"creep_time_s = 330.0", "creep_time_s = 20.0"),
        (r"recovery_time_s = 1000.0", "recovery_time_s = 20.0"), (r"\[330.0, 1330.0\]", "[20.0, 40.0]"),
        (r"values = \[400.0, 430.0, 460.0\]", "values = [430.0, 460.0]"),
        (r"values = \[25.0, 100.0, 300.0\]", "values = [25.0, 300.0]"),
        (r"replicas = 8", "replicas = 2")],
        "elastic_dma": [(r"L = 16", "L = 6"), (r"T_start_K = 360.0", "T_start_K = 420.0"),
                        (r"T_end_K = 480.0", "T_end_K = 436.0"), (r"replicas = 4", "replicas = 2")],
        "elastic_localisation": [
            (r"L = 16", "L = 6"), (r"replicas = 4", "replicas = 2"),
            (r"values = \[100.0, 300.0, 600.0\]", "values = [100.0, 600.0]")]}
    mod = _script()
    sweeps = tmp_path / "sweeps"
    sweeps.mkdir()
    for name, s in sub.items():
        shrunk(sweeps, name, s)
    mod.SWEEPS = sweeps
    figs = tmp_path / "figs"
    mod.main(["--run", "--stores", str(tmp_path / "stores"), "--out", str(figs)])
    out = capsys.readouterr().out
    assert "E''_on/E''_off" in out
    for name in ("elastic_deviation", "elastic_dma", "elastic_localisation_index",
                 "elastic_correlation", "elastic_avalanches", "elastic_maps",
                 "elastic_deformation_map"):
        assert (figs / f"{name}.png").stat().st_size > 5_000, name
