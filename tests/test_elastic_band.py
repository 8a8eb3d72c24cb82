"""Plastic renewal (docs/kmc_elastic.md section 7.8; mgmeso/kmc/plastic_renewal.py).

Tolerances written before the runs: the hop count of the pure rule within 3 binomial SE of
its analytic mean ``sum_j (1 - (1 - p)^n_j)`` (three cases, about 1 % false alarm together);
conservation and the neighbour rule exact; off (0) draws nothing; with the engine: the same
seed gives the same bytes, a resumed run equals the uninterrupted one bit for bit, and the
default equals an explicit 0.
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from mgmeso.config import parse_config
from mgmeso.kmc.lattice import make_lattice
from mgmeso.kmc.plastic_renewal import renewal_hops
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

from .kmc_helpers import DEFECTS_CFG as CFG
from .kmc_helpers import MEANFIELD, resumed_run
from .test_elastic_defects import EL


def _sparse(n_cand=4000, z=4, seed=1):
    # candidate QPD sites whose neighbours are all free matrix sites (a star per candidate)
    N = n_cand * (z + 1)
    kind = np.zeros(N, np.int8)
    owner = np.full(N, -1, np.int32)
    nbr = np.zeros((N, z), np.int32)
    cand = np.arange(n_cand) * (z + 1)
    kind[cand] = 1
    for j in cand:
        nbr[j] = j + 1 + np.arange(z)
    return kind, owner, nbr, cand


@pytest.mark.parametrize("prob,n_events", [(0.3, 1), (0.3, 3), (0.8, 2)])
def test_hop_count_follows_the_renewal_probability(prob, n_events):
    kind, owner, nbr, cand = _sparse()
    d_p = 0.01
    p_last = np.zeros(kind.size, np.float32)
    eps_p = np.zeros(kind.size, np.float32)
    eps_p[cand] = n_events * d_p
    heal = np.zeros(kind.size, bool)
    form = np.zeros(kind.size, bool)
    hops = renewal_hops(kind, owner, eps_p, p_last, d_p, nbr, prob, np.random.default_rng(7),
                        heal, form)
    q = 1.0 - (1.0 - prob) ** n_events
    mean, se = cand.size * q, np.sqrt(cand.size * q * (1 - q))
    assert abs(hops - mean) < 3 * se, (hops, mean, se)
    # conservation and the neighbour rule
    assert heal.sum() == form.sum() == hops
    assert np.all(kind[heal] == 1) and np.all(kind[form] == 0)
    for j in np.flatnonzero(heal):
        assert np.count_nonzero(form[nbr[j]]) == 1


def test_only_sites_that_flowed_renew_and_only_onto_free_matrix_sites():
    lat = make_lattice("square", 8)
    nbr = lat.neighbour_table()
    rng = np.random.default_rng(3)
    N = lat.n_sites
    kind = (rng.random(N) < 0.5).astype(np.int8)
    owner = np.where(rng.random(N) < 0.2, 0, -1).astype(np.int32)
    p_last = np.zeros(N, np.float32)
    eps_p = np.where(rng.random(N) < 0.5, 0.01, 0.0).astype(np.float32)
    heal = np.zeros(N, bool)
    form = np.zeros(N, bool)
    renewal_hops(kind, owner, eps_p, p_last, 0.01, nbr, 1.0, rng, heal, form)
    assert heal.any()
    assert np.all((kind[heal] == 1) & (eps_p[heal] != 0))
    assert np.all((kind[form] == 0) & (owner[form] == -1))
    assert heal.sum() == form.sum()


def test_off_draws_nothing():
    kind, owner, nbr, cand = _sparse(10)
    eps_p = np.ones(kind.size, np.float32)
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    heal = np.zeros(kind.size, bool)
    form = np.zeros(kind.size, bool)
    assert renewal_hops(kind, owner, eps_p, np.zeros_like(eps_p), 0.01, nbr, 0.0, rng, heal,
                        form) == 0
    assert rng.bit_generator.state == before and not heal.any() and not form.any()


def _setup(extra, L=6):
    doc = tomllib.loads(CFG.format(T=470.0, seg="hold_strain", segkey="strain = 0.01", dur=4.0,
                                   samples=4, L=L, het="paper", rules=MEANFIELD + EL, step=0.5,
                                   extra=extra))
    return make_setup(parse_config(doc))


RENEW = "plastic_renewal_probability = 1.0"


def test_renewal_runs_are_reproducible_and_resume_exactly():
    setup = _setup(RENEW)
    ref, again = resumed_run(setup, advances=8, events=2000)
    assert ref.dyn.renewed > 0
    assert again.table().tobytes() == ref.table().tobytes()
    assert again.S.kind.tobytes() == ref.S.kind.tobytes()
    assert again.S.eps_p.tobytes() == ref.S.eps_p.tobytes()
    twin = Replica(setup, 0, np.random.SeedSequence(4))
    twin.run()
    assert twin.table().tobytes() == ref.table().tobytes()


def test_the_default_is_no_renewal():
    a = Replica(_setup(""), 0, np.random.SeedSequence(2))
    b = Replica(_setup("plastic_renewal_probability = 0.0"), 0, np.random.SeedSequence(2))
    a.run()
    b.run()
    assert a.dyn.renewed == b.dyn.renewed == 0
    assert a.table().tobytes() == b.table().tobytes()
