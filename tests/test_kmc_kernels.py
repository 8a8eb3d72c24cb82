"""numba kernels of the kMC pinned to slow Python twins, and their building blocks."""

import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgmeso.config import parse_config
from mgmeso.kmc import kernels as kn
from mgmeso.kmc.disorder import draw_disorder, local_defect_fraction, neighbourhood_mean
from mgmeso.kmc.lattice import LATTICES, make_lattice, neighbour
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.rng import next_u64, seed_state, uniform
from mgmeso.kmc.setup import make_setup
from mgmeso.kmc.stable import kanter, sample_uw
from mgmeso.kmc.sumtree import (
    BLOCK,
    PREFETCH_BLOCKS,
    tree_build,
    tree_find,
    tree_find_far,
    tree_size,
    tree_update,
)

from .kmc_twin import TwinEngine, TwinRNG, twin_find, twin_tree


def test_xoshiro_matches_twin():
    st_ = seed_state(np.random.SeedSequence(7))
    tw = TwinRNG(st_.copy())
    s = st_.copy()
    for _ in range(2000):
        assert int(next_u64(s)) == tw.next_u64()
    for _ in range(1000):
        assert uniform(s) == tw.uniform()


def test_xoshiro_uniformity():
    s = seed_state(np.random.SeedSequence(3))
    x = np.array([uniform(s) for _ in range(200_000)])
    assert 0 <= x.min() and x.max() < 1
    counts = np.histogram(x, bins=20, range=(0, 1))[0]
    chi2 = np.sum((counts - 10_000) ** 2 / 10_000)
    assert chi2 < 50  # 19 dof: p ~ 1e-4


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=300), st.floats(0.0, 1.0, exclude_max=True))
def test_sumtree_matches_twin_and_cumsum(leaves, frac):
    leaves = np.array(leaves)
    top = np.zeros(tree_size(leaves.size))
    tree_build(top, leaves)
    assert top[1] == pytest.approx(leaves.sum(), rel=1e-12)
    tw = twin_tree(leaves, top.size)
    assert np.array_equal(top, np.array(tw))
    if top[1] > 0:
        u = frac * top[1]
        j = tree_find(top, leaves, u)
        assert j == twin_find(tw, leaves, u)
        assert leaves[j] > 0
        c = np.cumsum(leaves)
        assert c[j] >= u * (1 - 1e-12) and (j == 0 or c[j - 1] <= u * (1 + 1e-12))
    # update keeps all partial sums exact
    k = int(frac * leaves.size)
    tree_update(top, leaves, k, 3.5)
    ref = np.zeros_like(top)
    tree_build(ref, leaves)
    assert np.array_equal(top, ref) and leaves[k] == 3.5


def test_sumtree_find_far_matches_twin():
    """The prefetching descent of large trees picks the twin's leaf for every u: sparse
    leaves (3/4 zero, like matrix sites), rates over 12 decades, u at the edges too.
    """
    rng = np.random.default_rng(5)
    n = PREFETCH_BLOCKS * BLOCK + 77                   # a large tree, last block partial
    leaves = np.where(rng.random(n) < 0.25, 10.0 ** rng.uniform(-6, 6, n), 0.0)
    top = np.zeros(tree_size(n))
    tree_build(top, leaves)
    assert top.size // 2 >= PREFETCH_BLOCKS
    tw = twin_tree(leaves, top.size)
    us = np.concatenate([rng.random(300), [0.0, np.nextafter(1.0, 0.0)]]) * top[1]
    for u in us:
        j = tree_find_far(top, leaves, u)
        assert j == twin_find(tw, leaves, u) == tree_find(top, leaves, u)
        assert leaves[j] > 0


@pytest.mark.parametrize("name,z", [("square", 4), ("triangular", 6), ("sc", 6), ("bcc", 8),
                                    ("fcc", 12)])
def test_lattice_neighbours(name, z):
    lat = make_lattice(name, 5)
    tab = lat.neighbour_table()
    assert tab.shape == (lat.n_sites, z)
    pos = lat.positions()
    box = lat.L * lat.vectors
    # nearest-neighbour distance by minimum image, and symmetry of the relation
    d = pos[tab] - pos[:, None, :]
    inv = np.linalg.inv(box)
    frac = d @ inv
    frac -= np.round(frac)
    dist = np.linalg.norm(frac @ box, axis=-1)
    assert np.allclose(dist, dist.min())
    for i in range(lat.n_sites):
        assert len(set(tab[i])) == z and i not in tab[i]
        for j in tab[i]:
            assert i in tab[j]
    ker = np.array([[neighbour(i, k, lat.L, lat.dim, lat.nb, lat.offsets) for k in range(z)]
                    for i in range(lat.n_sites)])
    assert np.array_equal(ker, tab)
    with pytest.raises(ValueError):
        make_lattice(name, 2)
    assert set(LATTICES) == {"square", "triangular", "sc", "bcc", "fcc"}


@pytest.mark.parametrize("chi", [0.25, 0.4, 0.7, 1.0])
def test_kanter_stable_law_laplace_transform(chi):
    """E[exp(-s S)] = exp(-s^chi): the SMD rates realise the stretched exponential exactly."""
    u, w = sample_uw(np.random.default_rng(5), 400_000)
    S = np.exp(kanter(u, w, chi))
    for s in (0.1, 1.0, 10.0):
        vals = np.exp(-s * S)
        se = vals.std() / np.sqrt(vals.size)
        assert abs(vals.mean() - np.exp(-s**chi)) < 4 * se + 1e-12


def test_disorder_gumbel_law_and_fractions():
    lat = make_lattice("sc", 20)
    nbr = lat.neighbour_table()
    d = draw_disorder(lat, nbr, 0.25, 1.0, np.random.default_rng(2))
    # ln(tau/<tau>) = ln(E)/B: P(ln tau <= y) = 1 - exp(-e^{B y}) (Gumbel, [Hao2022] Eq. 24)
    y = np.sort(d.log_tb.astype(float))
    emp = np.arange(1, y.size + 1) / y.size
    ks = np.max(np.abs(emp - (1 - np.exp(-np.exp(y)))))
    assert ks < 1.63 / np.sqrt(y.size)  # KS at 1 %
    assert abs(d.kind.mean() - 0.25) < 4 * np.sqrt(0.25 * 0.75 / lat.n_sites)
    corr = draw_disorder(lat, nbr, 0.25, 1.0, np.random.default_rng(2), correlation_length=2.0)
    assert corr.kind.sum() == round(0.25 * lat.n_sites)
    # correlated placement clusters: more QPD neighbours per QPD than chance
    f_un = d.frac[d.kind == 1].mean()
    f_co = corr.frac[corr.kind == 1].mean()
    assert f_co > f_un + 0.1
    # the local fraction is the plain neighbour average (radius 1)
    assert np.allclose(local_defect_fraction(d.kind, nbr, 1), d.kind[nbr].mean(axis=1))


def _ball(site, nbr, radius):
    """Sites within graph distance ``radius`` of ``site`` (breadth-first search, site included)."""
    seen, shell = {site}, {site}
    for _ in range(radius):
        shell = {int(k) for j in shell for k in nbr[j]} - seen
        seen |= shell
    return seen


@pytest.mark.parametrize("lattice,radius", [("sc", 2), ("fcc", 2), ("sc", 3), ("triangular", 3)])
def test_neighbourhood_means_match_breadth_first_search(lattice, radius):
    lat = make_lattice(lattice, 7)
    nbr = lat.neighbour_table()
    rng = np.random.default_rng(radius)
    kind = (rng.random(lat.n_sites) < 0.3).astype(np.int8)
    x = rng.standard_normal(lat.n_sites)
    frac = local_defect_fraction(kind, nbr, radius)
    mean = neighbourhood_mean(x, nbr, radius, include_self=True)
    for j in rng.choice(lat.n_sites, 25, replace=False):
        ball = sorted(_ball(j, nbr, radius))
        others = [k for k in ball if k != j]
        assert frac[j] == pytest.approx(kind[others].mean(), rel=1e-6)
        assert mean[j] == pytest.approx(x[ball].mean(), rel=1e-5, abs=1e-6)


def test_neighbourhood_beta_time_sets_the_alpha_times_only():
    """'neighbourhood': tau_max_j from the regional geometric-mean beta time and chi_j, never
    below the site's own tau_beta_j; the beta rates stay the site's own.
    """
    extra = 'chi_radius = 2\nhierarchy_beta_time = "neighbourhood"'
    rep, setup = make_replica(T=400.0, het="local", plast="parallel", coal="false", fp=1, extra=extra)
    site, _ = make_replica(T=400.0, het="local", plast="parallel", coal="false", fp=1,
                           extra="chi_radius = 2")
    nbr = setup.lattice.neighbour_table()
    assert np.array_equal(site.S.log_tb, rep.S.log_tb)           # same quenched draw
    assert site.S.log_tb_hier is site.S.log_tb
    assert np.allclose(rep.S.log_tb_hier, neighbourhood_mean(rep.S.log_tb, nbr, 2, True))
    assert rep.S.log_tb_hier.std() < 0.5 * rep.S.log_tb.std()    # averaging narrows the spread
    C = rep.control(1.0, 1)
    ln = np.array([kn.site_log_times(j, rep.S, C) for j in range(rep.N)])
    ln_site = np.array([kn.site_log_times(j, site.S, site.control(1.0, 1)) for j in range(rep.N)])
    assert np.array_equal(ln[:, 0], ln_site[:, 0])                # beta times unchanged
    assert np.all(ln[:, 1] >= ln[:, 0])                           # tau_max_j >= tau_beta_j
    tm = C.times
    ln_th = tm.log_tb_mean + rep.S.log_tb_hier.astype(float) * tm.temp_factor
    expect = np.maximum(tm.log_t0 + (ln_th - tm.log_t0) / rep.S.chi.astype(float), ln[:, 0])
    assert np.allclose(ln[:, 1], expect, rtol=1e-6)
    assert np.any(ln[:, 1] != ln_site[:, 1])


CFG = '''
material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = {T}
t_first_s = 0.01
[[protocol.segments]]
type = "{seg}"
{segkey}
duration_s = 1000.0
[simulation]
lattice = "{lattice}"
L = 5
elimination_factor = {elim}
plasticity = "{plast}"
coalescence = {coal}
footprint_max_sites = {fp}
heterogeneity = "{het}"
footprint_growth = "{growth}"
bias_law = "{law}"
{extra}
'''


def make_replica(T=490.0, seg="hold_stress", segkey="stress_MPa = 200.0", lattice="sc", elim=0.0,
                 plast="series", coal="true", fp=6, het="paper", seed=11, growth="every_event",
                 extra="", law="linear"):
    cfg = parse_config(tomllib.loads(CFG.format(T=T, seg=seg, segkey=segkey, lattice=lattice,
                                                elim=elim, plast=plast, coal=coal, fp=fp, het=het,
                                                growth=growth, extra=extra, law=law)))
    setup = make_setup(cfg)
    rep = Replica(setup, 0, np.random.SeedSequence(seed))
    rep._begin_segment()
    return rep, setup


@pytest.mark.parametrize("kw", [
    dict(),                                                       # series, coalescence, sc
    dict(lattice="fcc", fp=12),                                   # fcc footprints
    dict(lattice="bcc", growth="alpha"),                   # hierarchical growth
    dict(lattice="triangular", het="local"),                      # 2D, local chi_j
    dict(T=480.0, het="local", plast="parallel", coal="false", fp=1,  # neighbourhood beta time
         extra='chi_radius = 2\nhierarchy_beta_time = "neighbourhood"'),
    dict(plast="parallel", coal="false", fp=1, elim=100.0),       # mean-field with elimination
    dict(seg="hold_strain", segkey="strain = 0.01", elim=100.0),  # strain control
    # the physical bias law (tanh, a saturation stress per process; docs/kmc_elastic.md)
    dict(law="physical"),                                         # series, coalescence
    dict(law="physical", plast="parallel", coal="false", fp=1, elim=100.0),
    dict(law="physical", seg="hold_strain", segkey="strain = 0.01", elim=100.0),  # Newton stress
])
def test_kernel_matches_python_twin(kw):
    rep, setup = make_replica(**kw)
    C = rep.control(1e9, 20000)
    twin = TwinEngine(rep.S, C, rep.K, setup.lattice)
    kn.run_until(rep.S, C, rep.K)
    twin.run(1e9, 20000)
    assert rep.K.counts[5] == 20000
    assert float(rep.K.t[0]) == twin.t
    assert list(rep.K.sums) == twin.sums
    assert float(rep.K.work[0]) == twin.work      # net anelastic work, summed in the same order
    assert list(rep.K.counts) == twin.counts
    assert list(rep.K.rng) == twin.rng.s
    for name in ("beta", "smd", "owner", "fp_next", "fp_size", "eps_p", "last_smd"):
        assert np.array_equal(getattr(rep.S, name), twin.S[name]), name
    assert rep.K.counts[kn.C_SMD] > 100
    if kw.get("coal", "true") == "true" and kw.get("plast", "series") == "series":
        assert rep.K.counts[kn.C_COAL] > 0


def test_footprint_invariants_after_many_events():
    rep, setup = make_replica(fp=8)
    kn.run_until(rep.S, rep.control(1e9, 200_000), rep.K)
    S = rep.S
    qpd = np.nonzero(S.kind == 1)[0]
    covered = np.zeros(rep.N, int)
    for j in qpd:
        m, n = j, 0
        while m != -1:
            assert S.owner[m] == j
            covered[m] += 1
            m = S.fp_next[m]
            n += 1
        assert n == S.fp_size[j] <= 8
    assert np.all(covered[S.owner >= 0] == 1)     # footprints do not overlap
    assert np.all(S.owner[S.owner < 0] == -1)
    # integer bookkeeping equals the site states
    assert rep.K.sums[0] == int(S.beta.sum()) and rep.K.sums[1] == int(S.smd.sum())
    assert rep.K.counts[kn.C_COAL] > 0


@pytest.mark.parametrize("strain_control", [True, False])
def test_alpha_drift_matches_the_twin(strain_control):
    """Above ~500 K the annihilation channel of the fast units is replaced by its mean drift
    (elim = 3), integrated in closed form; the twin integrates the same ODE numerically.
    """
    from mgmeso.program import LoadingProgram, Oscillate
    rep, setup = make_replica(T=530.0, plast="parallel", coal="false", fp=1, elim=20.0)
    osc = (Oscillate(frequency_Hz=1.0, cycles=3, strain_amplitude=2e-4) if strain_control
           else Oscillate(frequency_Hz=1.0, cycles=3, stress_amplitude_MPa=10.0))
    setup = type(setup)(**{**setup.__dict__, "programs": (LoadingProgram(530.0, (osc,), 1 / 16),)})
    rep = Replica(setup, 0, np.random.SeedSequence(3))
    rep._begin_segment()
    assert np.count_nonzero(rep.S.elim == 3) > 0 and rep.k_fast > 0
    C = rep.control(2.5, 3000)
    twin = TwinEngine(rep.S, C, rep.K, setup.lattice)
    kn.run_until(rep.S, C, rep.K)
    twin.run(2.5, 3000)
    assert list(rep.K.counts) == twin.counts and list(rep.K.sums) == twin.sums
    assert float(rep.K.frozen[0]) == pytest.approx(twin.frozen, rel=1e-8, abs=1e-14)
    assert abs(float(rep.K.frozen[0])) > 1e-7          # the drift is not negligible
