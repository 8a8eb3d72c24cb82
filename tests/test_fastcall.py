"""The replica's fast kernel calls and cached control groups change nothing (bit for bit)."""

import numpy as np
import pytest

from mgmeso.analysis.localisation import _planes, plane_share
from mgmeso.config import parse_config
from mgmeso.kmc import fastcall
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.lattice import make_lattice
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

DOC = {"material": "la60ni15al25",
       "protocol": {"kind": "dma_isochronal", "frequency_Hz": [1.0], "T_start_K": 440.0,
                    "T_end_K": 444.0, "T_step_K": 2.0, "heating_rate_K_per_min": 12.0},
       "simulation": {"L": 6, "replicas": 1, "plasticity": "parallel", "coalescence": False,
                      "footprint_max_sites": 1, "elimination_factor": 20,
                      "temperature_slice_K": 0.5}}


def _run(monkeypatch, fast: bool, advances: int = 1000):
    if not fast:
        # the plain dispatcher call, and control groups rebuilt at every call
        monkeypatch.setattr(fastcall.Entries, "call", lambda self, disp, *a: disp(*a))
        orig = Replica.control

        def rebuilt(self, t_stop, max_events):
            self._ctl_key = ()
            return orig(self, t_stop, max_events)
        monkeypatch.setattr(Replica, "control", rebuilt)
    setup = make_setup(parse_config(DOC))
    rep = Replica(setup, 0, np.random.SeedSequence(11).spawn(1)[0])
    for _ in range(advances):
        rep.advance()
    monkeypatch.undo()
    return rep


def test_fast_calls_give_the_same_run(monkeypatch):
    a = _run(monkeypatch, fast=True)
    b = _run(monkeypatch, fast=False)
    assert a.table().shape[0] > 200 and a.T > 441.0      # samples and temperature slices
    np.testing.assert_array_equal(a.table(), b.table())
    for k, v in a.state_dict().items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(v, b.state_dict()[k], err_msg=k)


def test_entries_follow_replaced_arrays():
    e = fastcall.Entries()
    setup = make_setup(parse_config(DOC))
    rep = Replica(setup, 0, np.random.SeedSequence(3))
    e.check(rep.S, rep.K)
    C = rep.control(0.0, 0)
    want = kn.stress_strain(0.0, C, rep.K)
    assert e.call(kn.stress_strain, 0.0, C, rep.K) == want
    e.check(rep.S, rep.K)
    assert e._entries          # same groups: the entry is kept
    e.check(rep.S, rep.K._replace(t=rep.K.t.copy()))
    assert not e._entries      # a group replaced: resolved again at the next call


@pytest.mark.parametrize("name, L", [("sc", 6), ("bcc", 4), ("triangular", 8)])
def test_plane_share_equals_bincount(name, L):
    lat = make_lattice(name, L)
    rng = np.random.default_rng(5)
    for f in (rng.random(lat.n_sites).astype(np.float32), rng.normal(size=lat.n_sites)):
        best = float("nan")
        for axis in (0, 1):   # the definition with numpy's bincount
            lab, n = _planes(name, L, axis)
            P = np.sort(np.abs(np.bincount(lab, weights=np.asarray(f, float), minlength=n)))[::-1]
            k = 0.1 * n
            i = int(np.floor(k))
            s = (P[:i].sum() + (k - i) * P[i]) / P.sum()
            best = s if not np.isfinite(best) else max(best, s)
        assert plane_share(f, lat) == best
    with pytest.raises(ValueError, match="values"):
        plane_share(np.ones(lat.n_sites + 1), lat)
