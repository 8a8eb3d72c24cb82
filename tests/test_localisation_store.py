"""The localisation index in the run store, the export and the sweep collection (a small run)."""

import numpy as np
import pytest

from mgmeso.analysis import plane_share
from mgmeso.analysis.deformation_map import run_localisation, simulated_deformation_map
from mgmeso.cli import main
from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.kmc.store import read_run, write_run
from mgmeso.sweep.collect import _read_run
from mgmeso.sweep.observables import OBSERVABLES


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    doc = {"material": "la60ni15al25",
           "protocol": {"kind": "creep", "temperature_K": 450.0, "stress_MPa": 50.0,
                        "creep_time_s": 3.0},
           "simulation": {"L": 6, "replicas": 2, "plasticity": "series"},
           "output": {"snapshot_times_s": [1.5, 3.0]}}
    res = run_ensemble(parse_config(doc), None, progress=False)
    out = write_run(res, tmp_path_factory.mktemp("loc") / "r.zarr", {})
    return res, out


def test_index_is_recorded_and_matches_the_field(small_run, tmp_path):
    res, out = small_run
    rep = res.replicas[0][0]
    col = rep.table()[:, TS_INDEX["localisation_index"]]
    lat = rep.setup.lattice
    want = plane_share(rep.S.eps_p, lat)
    assert col[-1] == pytest.approx(want if np.isfinite(want) else 0.1)
    assert np.all(np.isfinite(col)) and np.all((col >= 0.1 - 1e-12) & (col <= 1 + 1e-12))
    data = read_run(out)
    assert "localisation_index" in data.time_series
    assert main(["export", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
    header = (tmp_path / "r.csv").read_text().splitlines()[0].split(",")
    assert "localisation_index" in header


def test_run_localisation_and_sweep_observable(small_run):
    _, out = small_run
    loc = run_localisation(out)
    data = read_run(out)
    ep = data.snapshots(["plastic_strain"])["plastic_strain"][0, :, -1]
    per = [plane_share(f, (str(data.attrs["lattice"]), int(data.attrs["L"]))) for f in ep]
    assert loc.index == pytest.approx(np.nanmean(per))
    assert loc.T_K == 450.0 and loc.stress_MPa == 50.0
    q = OBSERVABLES["localisation"].kmc(_read_run(out))
    assert q["localisation_index"].values[0] == pytest.approx(loc.index)
    assert q["localisation_index"].dims == ("case",)
    res = simulated_deformation_map([loc], material=data.config.material, percolation=False)
    assert res.kmc_localised[0] == (loc.index >= res.threshold)
