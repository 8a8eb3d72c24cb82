"""Composition-rejection event selection (mgmeso/kmc/composition.py): kernels against their
slow twins, selection frequencies against the rates, the engine against the sum tree.

Tolerances, fixed before the tests were first run:

* the twins: identical arrays and identical draws (same RNG state in, same site out);
* selection frequencies (``cr_find`` and the queued ``cr_pop``): Pearson chi-square of 1e6
  draws over 64 sites of positive rate (spanning 3 decades, 11 classes; 63 degrees of
  freedom), p-value above 1e-3 (seed fixed); sites of zero rate are never drawn;
* engine: the mean creep strain of a small mean-field config, tree against composition, at
  every sample within 3 combined SE (SE from the replica spread of each, 32 replicas per
  selection). Multiple comparisons: 11 samples of one strain, strongly correlated in time, so
  the family-wise false-alarm rate of an exact pair is at most 11 x 0.27 % = 3 % (Bonferroni);
  the seed was fixed before the first run. The engine on a small lattice draws with
  ``cr_find``; the queued ``cr_pop`` of large lattices is pinned to its twin, tested for its
  frequencies, and run through the engine for its chunk and resume independence.
"""

from __future__ import annotations

import math
import tomllib

import numpy as np
import pytest
from numba import njit
from scipy import stats

from mgmeso.config import parse_config
from mgmeso.errors import ConfigError
from mgmeso.kmc import composition as cr
from mgmeso.kmc.ensemble import run_ensemble
from mgmeso.kmc.replica import TS_INDEX, Replica
from mgmeso.kmc.rng import seed_state, uniform
from mgmeso.kmc.setup import make_setup

from .kmc_helpers import resumed_run

# ---- slow obvious twins ----------------------------------------------------------------

def twin_class(r: float) -> int:
    return 0 if r <= 0.0 else math.frexp(r)[1] - cr.E_MIN + 1


def twin_build(leaves):
    """Sites sorted by class (stable: increasing site within a class), class starts, the
    cumulative weights n_c 2^e and the occupied range.
    """
    cls = np.array([twin_class(float(r)) for r in leaves])
    members = np.argsort(cls, kind="stable").astype(np.int32)
    pos = np.empty_like(members)
    pos[members] = np.arange(members.size, dtype=np.int32)
    counts = np.bincount(cls, minlength=cr.N_CLASSES)
    start = np.zeros(cr.N_CLASSES + 3, np.int64)
    start[1:cr.N_CLASSES + 1] = np.cumsum(counts)
    cum = np.zeros(cr.N_CLASSES + 1)
    for c in range(1, cr.N_CLASSES):
        cum[c + 1] = cum[c] + math.ldexp(float(counts[c]), c - 1 + cr.E_MIN)
    occupied = [c for c in range(1, cr.N_CLASSES) if counts[c]]
    start[cr.LO], start[cr.HI] = (occupied[0], occupied[-1]) if occupied else (cr.N_CLASSES, 0)
    return members, pos, start, cum


def twin_find(state, leaves, members, start, cum):
    """One selection, drawing from the same generator (a copy of its state) as the kernel."""
    W = cum[cr.N_CLASSES]
    while True:
        u = uniform(state) * W
        c = max(c for c in range(int(start[cr.LO]), int(start[cr.HI]) + 1) if cum[c] <= u)
        a, n = int(start[c]), int(start[c + 1] - start[c])
        k = min(a + int(uniform(state) * n), a + n - 1)
        j = int(members[k])
        if uniform(state) < leaves[j] / math.ldexp(1.0, c - 1 + cr.E_MIN):
            return j


def rates(n, seed, zeros=0, decades=15.0):
    rng = np.random.default_rng(seed)
    r = 10.0 ** rng.uniform(-decades / 2, decades / 2, n)
    r[rng.choice(n, zeros, replace=False)] = 0.0
    return r


def built(leaves):
    m, p, st, cum = cr.cr_arrays(leaves.size)
    cr.cr_build(leaves, m, p, st, cum)
    return m, p, st, cum


# ---- kernels against twins -------------------------------------------------------------

@pytest.mark.parametrize("zeros", [0, 40])
def test_build_equals_twin(zeros):
    leaves = rates(300, 1, zeros)
    leaves[:5] = [1.0, 0.5, 0.75, 2.0 ** -1074, 1e300]     # class edges, extreme exponents
    for got, want in zip(built(leaves), twin_build(leaves)):
        assert np.array_equal(got, want)


def test_find_equals_twin():
    leaves = rates(200, 2, zeros=30)
    m, p, st, cum = built(leaves)
    s_kernel, s_twin = seed_state(np.random.SeedSequence(7)), seed_state(np.random.SeedSequence(7))
    for _ in range(3000):
        assert cr.cr_find(s_kernel, leaves, m, st, cum) == twin_find(s_twin, leaves, m, st, cum)
    assert np.array_equal(s_kernel, s_twin)          # the same number of draws


def test_updates_keep_the_classes_of_a_rebuild():
    """A random sequence of rate changes (within a class, across classes, to and from zero)
    leaves each site in the class of its rate, ``pos`` the inverse of ``members``, and the
    starts and weights of a fresh build (the order within a class may differ).
    """
    rng = np.random.default_rng(3)
    leaves = rates(150, 3, zeros=20)
    m, p, st, cum = built(leaves)
    for step in range(200):
        j = int(rng.integers(leaves.size))
        kind = step % 4
        value = (0.0 if kind == 0 else leaves[j] * 1.01 if kind == 1 and leaves[j] > 0
                 else float(10.0 ** rng.uniform(-8, 8)))
        cr.cr_update(leaves, m, p, st, cum, j, value)
        assert leaves[j] == value
        _, _, st_w, cum_w = twin_build(leaves)
        assert np.array_equal(st, st_w) and np.array_equal(cum, cum_w)
        assert np.array_equal(p[m], np.arange(leaves.size))
        slot_class = np.repeat(np.arange(cr.N_CLASSES), np.diff(st[:cr.N_CLASSES + 1]))
        assert np.array_equal(slot_class, [twin_class(float(leaves[k])) for k in m])


def twin_pop(state, queue, leaves, members, start, cum):
    """:func:`cr_pop` as two Python FIFO lists of proposals (``queue = [slots, sites]``)."""
    slots, sites = queue
    if not slots and not sites:
        for _ in range(cr.AHEAD):
            sites.append(int(members[twin_slot(state, start, cum)]))
        for _ in range(cr.AHEAD):
            slots.append(twin_slot(state, start, cum))
    j = sites.pop(0)
    j_new = int(members[slots.pop(0)])
    sites.append(j_new)
    slots.append(twin_slot(state, start, cum))
    c = twin_class(float(leaves[j]))
    return j, j_new, bool(uniform(state) < leaves[j] / math.ldexp(1.0, c - 1 + cr.E_MIN))


def twin_slot(state, start, cum):
    u = uniform(state) * cum[cr.N_CLASSES]
    c = max(c for c in range(int(start[cr.LO]), int(start[cr.HI]) + 1) if cum[c] <= u)
    a, n = int(start[c]), int(start[c + 1] - start[c])
    return min(a + int(uniform(state) * n), a + n - 1)


def test_queued_pop_equals_twin():
    leaves = rates(120, 6, zeros=15)
    m, p, st, cum = built(leaves)
    s_kernel, s_twin = seed_state(np.random.SeedSequence(8)), seed_state(np.random.SeedSequence(8))
    ahead, queue = cr.cr_queue(), ([], [])
    for _ in range(2000):
        got = cr.cr_pop(s_kernel, ahead, leaves, m, st, cum)
        assert tuple(int(x) if not isinstance(x, bool) else x for x in got) == \
            twin_pop(s_twin, queue, leaves, m, st, cum)
    assert np.array_equal(s_kernel, s_twin)


# ---- the distribution ------------------------------------------------------------------

@njit(cache=True)
def _draws(state, leaves, m, st, cum, n, out, queued):
    ahead = np.zeros(2 + 2 * cr.AHEAD, np.int64)
    for _ in range(n):
        if queued:
            while True:
                j, _, ok = cr.cr_pop(state, ahead, leaves, m, st, cum)
                if ok:
                    break
        else:
            j = cr.cr_find(state, leaves, m, st, cum)
        out[j] += 1


@pytest.mark.parametrize("queued", [False, True])
def test_selection_frequencies_match_the_rates(queued):
    leaves = np.zeros(72)
    leaves[:64] = 10.0 ** np.linspace(-1.0, 2.0, 64)       # 11 binary classes
    leaves = leaves[np.random.default_rng(4).permutation(72)]   # zero-rate sites interleaved
    m, p, st, cum = built(leaves)
    n = 1_000_000
    counts = np.zeros(72, np.int64)
    _draws(seed_state(np.random.SeedSequence(11)), leaves, m, st, cum, n, counts, queued)
    assert counts[leaves == 0.0].sum() == 0
    pos = leaves > 0.0
    expected = n * leaves[pos] / leaves[pos].sum()
    assert expected.min() > 50
    chi2, pval = stats.chisquare(counts[pos], expected)
    assert pval > 1e-3, (chi2, pval)


def test_acceptance_is_at_least_one_half():
    """The proposal weight W = sum n_c 2^e lies in [sum r, 2 sum r)."""
    leaves = rates(5000, 5, zeros=500)
    _, _, st, cum = built(leaves)
    W, R = cr.cr_weight(st, cum), leaves.sum()
    assert R <= W * (1 + 1e-12) and W < 2 * R


# ---- the engine ------------------------------------------------------------------------

CREEP = '''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 100.0
t_first_s = 1.0
points_per_decade = 5
[simulation]
lattice = "sc"
L = 6
replicas = {reps}
seed = {seed}
plasticity = "parallel"
coalescence = false
footprint_max_sites = 1
bias_law = "linear"
event_selection = "{sel}"
'''


def cfg(sel, reps=32, seed=2024, extra=""):
    return parse_config(tomllib.loads(CREEP.format(sel=sel, reps=reps, seed=seed) + extra))


def test_engine_creep_tree_and_composition_agree():
    means, ses = {}, {}
    for sel in ("tree", "composition"):
        res = run_ensemble(cfg(sel), None, progress=False)
        eps = np.array([r.table()[:, TS_INDEX["strain"]] for r in res.replicas[0]])
        means[sel] = eps.mean(0)
        ses[sel] = eps.std(0, ddof=1) / math.sqrt(eps.shape[0])
    assert means["tree"].size == 11
    z = (means["composition"] - means["tree"]) / np.hypot(ses["tree"], ses["composition"])
    assert np.max(np.abs(z)) < 3.0, z
    # the comparison has power: the creep strain grows by many SE over the run
    assert (means["tree"][-1] - means["tree"][0]) / ses["tree"][-1] > 10


def test_same_seed_same_bytes_and_resume_with_composition():
    setup = make_setup(cfg("composition", reps=1))
    a = Replica(setup, 0, np.random.SeedSequence(4))
    a.run()
    ref, again = resumed_run(setup, advances=5, events=300)
    assert a.table().tobytes() == ref.table().tobytes() == again.table().tobytes()
    assert np.array_equal(ref.K.rng, again.K.rng)
    tree = Replica(make_setup(cfg("tree", reps=1)), 0, np.random.SeedSequence(4))
    tree.run()
    assert tree.table().tobytes() != a.table().tobytes()      # other draws, other bytes
    assert np.array_equal(again.S.sel_members, ref.S.sel_members)   # rebuilt on resume


def test_tree_mode_allocates_no_classes_and_auto_picks_by_size():
    rep = Replica(make_setup(cfg("tree", reps=1)), 0, np.random.SeedSequence(1))
    assert rep.S.sel_members.size == rep.S.sel_start.size == 0
    auto = cfg("auto", reps=1).simulation
    assert auto.selection_for(cr.AUTO_MIN_SITES - 1) == "tree"
    assert auto.selection_for(cr.AUTO_MIN_SITES) == "composition"
    elastic = parse_config(tomllib.loads(CREEP.format(sel="auto", reps=1, seed=1).replace(
        'bias_law = "linear"', 'elastic_interactions = true'))).simulation
    assert elastic.selection_for(10**7) == "tree"


def test_queued_path_same_bytes_across_chunks_and_resume():
    """On a lattice beyond the L2 cache (sc 41^3, 68921 sites) the engine draws through the
    queues of cr_pop, which live in the replica's state: kernel calls of any length and a
    resume from a checkpoint give the same trajectory.
    """
    text = (CREEP.format(sel="composition", reps=1, seed=3).replace("L = 6", "L = 41")
            .replace("creep_time_s = 100.0", "creep_time_s = 0.02")
            .replace("t_first_s = 1.0", "t_first_s = 0.002"))
    setup = make_setup(parse_config(tomllib.loads(text)))
    a = Replica(setup, 0, np.random.SeedSequence(4))
    a.run()
    assert a.S.sel_members.size == a.N and a.K.counts[5] > 50 * cr.AHEAD
    b = Replica(setup, 0, np.random.SeedSequence(4))
    while not b.done:
        b.advance(997)
    assert a.table().tobytes() == b.table().tobytes()
    ref, again = resumed_run(setup, advances=3, events=20_000)
    assert ref.table().tobytes() == again.table().tobytes() == a.table().tobytes()


def test_memory_estimate_counts_the_classes():
    from mgmeso.config import limits
    m, _, st, cum = cr.cr_arrays(10, positions=False)
    assert limits.SELECTION_FIXED_BYTES == st.nbytes + cum.nbytes
    assert limits.SELECTION_BYTES == m.itemsize
    a = limits.estimate_memory(cr.AUTO_MIN_SITES, 6, 1, 1, 0)
    b = limits.estimate_memory(cr.AUTO_MIN_SITES, 6, 1, 1, 0, composition=False)
    assert a.per_replica_bytes - b.per_replica_bytes == cr.AUTO_MIN_SITES * 4 + st.nbytes + cum.nbytes


def test_bad_values_are_clean_errors():
    with pytest.raises(ConfigError, match="event_selection"):
        cfg("heap")
    with pytest.raises(ConfigError, match="event_selection = 'composition' is for the "
                                          "non-interacting engine"):
        parse_config(tomllib.loads(CREEP.format(sel="composition", reps=1, seed=1).replace(
            'bias_law = "linear"', 'elastic_interactions = true')))
