"""The how-tos of docs/architecture.md, each done here as a user would: a new loading segment,
a new lattice and a new observable, each in one place, run through the engines.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import parse_config
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup
from mgmeso.program import LoadingProgram
from mgmeso.segments import SEGMENTS, STRESS, Hold, HoldStress, Law, Start, register
from mgmeso.segments.ranges import SPACING, TIME, param, samples
from mgmeso.theory.hereditary import HereditaryOptions, run_program

# ---- 1. a loading segment: one class --------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class StressStep(Hold):
    """Add ``stress_MPa`` to the stress at the segment start and hold it (step-loading creep).

    A :class:`~mgmeso.segments.Hold` lasts ``duration_s`` and is resolved at its first sample.
    """

    type: ClassVar[str] = "stress_step"
    stress_MPa: float = param(unit="MPa", doc="stress added at the start", lo=-1e4, hi=1e4,
                              why="a stress step below sigma1 in magnitude")
    duration_s: float = param(doc="segment duration", **TIME)
    samples: int = samples(30)
    spacing: str = param("log", doc="sample spacing from the segment start", **SPACING)

    def law(self, start: Start) -> Law:
        return Law(STRESS, sigma_hold=start.stress_MPa + self.stress_MPa, eps0=start.strain,
                   t0=start.t_s)

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        return abs(self.stress_MPa)


def _programs(T=430.0):
    """The same loading written with the new segment and with two stress holds."""
    first = HoldStress(stress_MPa=20.0, duration_s=30.0, samples=12)
    new = LoadingProgram(T, (first, StressStep(stress_MPa=10.0, duration_s=30.0, samples=12)), 0.1)
    old = LoadingProgram(T, (first, HoldStress(stress_MPa=30.0, duration_s=30.0, samples=12)), 0.1)
    return new, old


def test_new_segment_runs_in_the_theory():
    """The hereditary integrator runs the new class through its law, with no other change:
    a stress step of 10 MPa after 20 MPa is the same loading as a hold at 30 MPa.
    """
    new, old = _programs()
    opts = HereditaryOptions(nonlinear=True)
    from mgmeso.config import load_material
    mat = load_material("la60ni15al25")[0]
    a, b = run_program(mat, new, opts), run_program(mat, old, opts)
    assert np.array_equal(a["stress_MPa"][a["segment"] == 1], np.full(12, 30.0))
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    assert a["strain"][-1] > a["strain"][11] > 0           # it creeps further under the step


def test_new_segment_runs_in_the_kmc():
    """The kMC runs it too, bit for bit the same as the equivalent program."""
    new, old = _programs()
    doc = {"material": "la60ni15al25",
           "protocol": {"kind": "creep", "temperature_K": 430.0, "stress_MPa": 25.0},
           "simulation": {"L": 6, "replicas": 1, "plasticity": "parallel", "coalescence": False,
                          "footprint_max_sites": 1, "bias_law": "linear",
                          "bias_saturation_stress_MPa": 100.0}}
    base = make_setup(parse_config(doc))
    tables = []
    for prog in (new, old):
        setup = type(base)(**{**base.__dict__, "programs": (prog,)})
        rep = Replica(setup, 0, np.random.SeedSequence(3))
        rep.run()
        tables.append(rep.table())
    assert tables[0].tobytes() == tables[1].tobytes()
    assert tables[0][-1, 1] == pytest.approx(30.0)          # stress_MPa column


def test_new_segment_as_a_config_table(tmp_path):
    """Registered, it is a [[protocol.segments]] table for both 'mgmeso theory' and 'run'."""
    register(StressStep)
    try:
        cfg = tmp_path / "step.toml"
        cfg.write_text('''material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = 430.0
t_first_s = 0.1
[[protocol.segments]]
type = "hold_stress"
stress_MPa = 20.0
duration_s = 10.0
samples = 5
[[protocol.segments]]
type = "stress_step"
stress_MPa = 10.0
duration_s = 10.0
samples = 5
[simulation]
L = 5
replicas = 1
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
''')
        assert main(["theory", str(cfg), "--out", str(tmp_path / "th")]) == 0
        assert main(["run", str(cfg), "--out", str(tmp_path / "r.zarr"), "--quiet"]) == 0
        assert main(["export", str(tmp_path / "r.zarr"), "--csv", str(tmp_path / "r.csv")]) == 0
        rows = np.genfromtxt(tmp_path / "r.csv", delimiter=",", names=True)
        assert rows["stress_MPa"][-1] == pytest.approx(30.0)
    finally:
        SEGMENTS.pop("stress_step", None)


# ---- 2. a lattice: one entry of the lattice registry ------------------------------------------

def test_new_lattice_runs_in_the_kmc():
    """A kagome lattice (z = 4, three sites per cell) registered in a test runs the kMC."""
    from mgmeso.kmc import lattice as lat_mod
    register_lattice = getattr(lat_mod, "register_lattice", None)
    if register_lattice is None:
        pytest.skip("the lattice registry (mgmeso.kmc.lattice.register_lattice) is not merged yet")
    s3 = math.sqrt(3.0) / 2.0
    entry = lat_mod.LatticeType("kagome", ((1.0, 0.0), (0.5, s3)),
                                ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5)), 4)
    register_lattice(entry)
    try:
        doc = {"material": "la60ni15al25",
               "protocol": {"kind": "creep", "temperature_K": 450.0, "stress_MPa": 25.0,
                            "creep_time_s": 5.0},
               "simulation": {"lattice": "kagome", "L": 6, "replicas": 2}}
        res = run_ensemble(parse_config(doc), None, progress=False)
        lat = res.setup.lattice
        assert lat.z == 4 and lat.n_sites == 108
        tab = res.replicas[0][0].table()
        assert tab.shape[0] > 0 and np.all(np.isfinite(tab))
        assert res.replicas[0][0].K.counts[5] > 0          # events happened
    finally:
        lat_mod.LATTICE_TYPES.pop("kagome", None)


# ---- 3. an observable and a snapshot field: one registry entry each ---------------------------

def test_new_observable_reaches_the_store_and_the_export(tmp_path):
    from mgmeso.kmc import observables as ob
    from mgmeso.kmc.store import read_run, write_run

    def smd_fraction(o):
        return np.count_nonzero(o.replica.S.smd) / o.replica.n_qpd

    ob.register(ob.Observable("smd_fraction", "1", "fraction of QPD sites with a polarised SMD",
                              smd_fraction))
    ob.register_snapshot_field(ob.SnapshotField(
        "beta_time_offset", "f4", "1", "ln(tau_beta_j/<tau_beta>) at the reference temperature",
        lambda rep, beta, smd: rep.S.log_tb.copy()))
    try:
        doc = {"material": "la60ni15al25",
               "protocol": {"kind": "creep", "temperature_K": 450.0, "stress_MPa": 50.0,
                            "creep_time_s": 10.0},
               "simulation": {"L": 5, "replicas": 2, "plasticity": "series"},
               "output": {"snapshot_times_s": [5.0]}}
        res = run_ensemble(parse_config(doc), None, progress=False)
        rep = res.replicas[0][0]
        col = rep.table()[:, ob.TS_INDEX["smd_fraction"]]
        assert col[-1] == pytest.approx(np.count_nonzero(rep.S.smd) / rep.n_qpd)
        assert 0 < col.max() <= 1
        out = write_run(res, tmp_path / "r.zarr", {})
        data = read_run(out)
        assert "smd_fraction" in data.time_series
        assert data.group["smd_fraction"].attrs["units"] == "1"
        assert np.array_equal(data.series("smd_fraction")[0, 0], col)
        snap = data.group["snapshots/beta_time_offset"]
        assert np.array_equal(snap[0, 0, 0], rep.S.log_tb)
        assert main(["export", str(out), "--csv", str(tmp_path / "r.csv")]) == 0
        header = (tmp_path / "r.csv").read_text().splitlines()[0].split(",")
        assert "smd_fraction" in header and "smd_fraction_se" in header
    finally:
        ob.unregister("smd_fraction")
        ob.unregister_snapshot_field("beta_time_offset")
    assert "smd_fraction" not in ob.TS_INDEX
