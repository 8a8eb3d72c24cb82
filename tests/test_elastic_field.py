"""Field-update kernels (record_event, local_stress_at, drive_two_state) against a slow
dense-matrix twin, the exactness of the exact mode after 1e5 events, and the mean-stress
contract (docs/model.md section 2a).
"""

import numpy as np
import pytest

from mgmeso.kmc.bias import PHYSICAL, draw_state_biased
from mgmeso.kmc.elastic import (
    ElasticField,
    ElasticOptions,
    nn_distance,
    shear_modulus_MPa,
)
from mgmeso.kmc.elastic_kernels import drive_two_state, local_stress_at, record_event
from mgmeso.kmc.lattice import LATTICES, make_lattice
from mgmeso.kmc.rng import seed_state

MU, NU = shear_modulus_MPa(33000.0, 0.35), 0.35
SMALL = {"square": 12, "triangular": 12, "sc": 7, "bcc": 6, "fcc": 5}


class DenseTwin:
    """The obvious form: sigma_loc(j) = sigma_a + sum_{k != j} (K_jk + s) e_k."""

    def __init__(self, F: ElasticField):
        self.K = F.prop.dense()
        lat = F.lattice
        self.N = lat.n_sites
        self.s = F.prop.self_term / (self.N - 1)
        pos = lat.positions()
        d = pos[:, None, :] - pos[None, :, :]
        # minimal-image distance through the fine-grid displacement of the propagator
        f = F.prop.fine_coords()
        df = (f[:, None, :] - f[None, :, :]) % F.prop.n_fine
        df = np.minimum(df, F.prop.n_fine - df) if F.prop.fold else df
        if lat.name == "triangular":
            idx = np.where(df[..., :2] > lat.L // 2, df[..., :2] - lat.L, df[..., :2])
            best = np.full(df.shape[:2], np.inf)
            for sx in (-lat.L, 0, lat.L):
                for sy in (-lat.L, 0, lat.L):
                    best = np.minimum(best, np.linalg.norm(
                        (idx + np.array([sx, sy])) @ lat.vectors, axis=-1))
            self.dist = best
        else:
            self.dist = np.linalg.norm(df[..., : lat.dim], axis=-1) / (F.prop.n_fine / lat.L)
        self.near = (self.dist > 1e-9) & (self.dist <= F.options.near_radius * nn_distance(lat) + 1e-9)
        _ = d

    def exact(self, eps, sigma_a):
        off = self.K - np.diag(np.diag(self.K)) + self.s * (1 - np.eye(self.N))
        return sigma_a + off @ eps

    def windowed(self, eps_ref, eps, sigma_a):
        """Refresh-time field plus near-stencil changes plus the mean far part."""
        K_off = self.K - np.diag(np.diag(self.K))
        de = eps - eps_ref
        far = ~self.near & ~np.eye(self.N, dtype=bool)
        c_far = (self.K[0] * far[0]).sum() / self.N
        return (sigma_a + K_off @ eps_ref + (self.K * self.near) @ de
                + self.s * (eps.sum() - eps) + c_far * de.sum())


def _field(name, radius, exact, cap=0.5):
    lat = make_lattice(name, SMALL[name])
    return ElasticField(lat, MU, NU, ElasticOptions(near_radius=radius, capacity_per_site=cap,
                                                    exact=exact))


@pytest.mark.parametrize("name", LATTICES)
@pytest.mark.parametrize("exact", [True, False])
def test_kernels_match_dense_twin(name, exact):
    F = _field(name, 1.5, exact)
    T = DenseTwin(F)
    rng = np.random.default_rng(7)
    N = F.lattice.n_sites
    F.set_eigenstrain(rng.choice([-0.01, 0.0, 0.01], size=N))
    eps_ref = F.state.eps.copy()
    for _ in range(150):
        k = int(rng.integers(N))
        record_event(k, float(rng.choice([-0.02, 0.02])), F.state)
        j = int(rng.integers(N))
        got = local_stress_at(j, 30.0, F.state, int(exact))
        want = T.exact(F.state.eps, 30.0)[j] if exact else T.windowed(eps_ref, F.state.eps, 30.0)[j]
        assert got == pytest.approx(want, abs=1e-9 * MU)
    # the mean over all sites is the applied stress (exact in both modes)
    allq = np.array([local_stress_at(j, 30.0, F.state, int(exact)) for j in range(N)])
    assert allq.mean() == pytest.approx(30.0, abs=1e-10 * MU)


def test_stencil_sizes():
    """Sites within 1.5 nearest-neighbour distances: the first two shells."""
    want = {"square": 8, "triangular": 6, "sc": 18, "bcc": 14, "fcc": 18}
    for name in LATTICES:
        assert _field(name, 1.5, False).state.geom[6] == want[name]


def test_exact_mode_after_1e5_events_equals_fresh_fft():
    """1e5 events of resampled two-state units (4 refreshes on the way): the incremental
    local stress equals the one from a fresh FFT to 1e-9 MPa at every probed site.
    """
    lat = make_lattice("sc", 10)
    F = ElasticField(lat, MU, NU, ElasticOptions(near_radius=0.0, capacity_per_site=3.0,
                                                 exact=True))
    rng = np.random.default_rng(8)
    N = lat.n_sites
    state = rng.choice([-1, 1], size=N).astype(np.int64)
    d = 0.0113
    F.set_eigenstrain(d * state)
    seq = rng.integers(N, size=100_000).astype(np.int32)
    st = seed_state(np.random.SeedSequence(8))
    i = 0
    while i < len(seq):
        i = drive_two_state(seq, i, state, d, 25.0, 188.0, PHYSICAL, st, F.state, 1)
        if i < len(seq):
            F.refresh()
    assert F.n_refresh >= 4                      # set_eigenstrain counts one
    assert F.pending > 300                       # and the last stretch is still pending
    assert np.allclose(F.state.eps, d * state)
    ref = F.exact_local_stress(25.0)
    got = np.array([local_stress_at(j, 25.0, F.state, 1) for j in range(N)])
    assert np.abs(got - ref).max() < 1e-9


def test_windowed_mode_error_is_the_far_field_of_pending_changes():
    """The windowed mode misses exactly the zero-mean far field of the changes since the
    refresh: its error equals that field computed from the dense twin.
    """
    F = _field("sc", 2.0, False)
    T = DenseTwin(F)
    rng = np.random.default_rng(9)
    N = F.lattice.n_sites
    F.set_eigenstrain(0.0113 * rng.choice([-1, 1], size=N))
    eps_ref = F.state.eps.copy()
    for k in rng.integers(N, size=60):
        record_event(int(k), 0.0226 * float(rng.choice([-1, 1])), F.state)
    de = F.state.eps - eps_ref
    far = ~T.near & ~np.eye(N, dtype=bool)
    miss = (T.K * far) @ de - (T.K[0] * far[0]).sum() / N * de.sum()
    got = np.array([local_stress_at(j, 0.0, F.state, 0) for j in range(N)])
    assert np.allclose(T.exact(F.state.eps, 0.0) - got, miss, atol=1e-9 * MU)
    assert abs(miss.mean()) < 1e-10 * MU


def test_driver_matches_python_twin():
    """drive_two_state = the loop written out in Python (same RNG draws, same states)."""
    F = _field("fcc", 1.5, True, cap=100.0)
    F2 = _field("fcc", 1.5, True, cap=100.0)
    N = F.lattice.n_sites
    rng = np.random.default_rng(10)
    state = rng.choice([-1, 1], size=N).astype(np.int64)
    d = 0.01
    F.set_eigenstrain(d * state)
    F2.set_eigenstrain(d * state)
    seq = rng.integers(N, size=2000).astype(np.int32)
    st1 = seed_state(np.random.SeedSequence(10))
    st2 = st1.copy()
    s1 = state.copy()
    drive_two_state(seq, 0, s1, d, 50.0, 188.0, PHYSICAL, st1, F.state, 1)
    s2 = state.copy()
    for j in seq:
        sig = local_stress_at(int(j), 50.0, F2.state, 1)
        new = draw_state_biased(st2, sig, 188.0, PHYSICAL)
        if new != s2[j]:
            record_event(int(j), d * (new - s2[j]), F2.state)
            s2[j] = new
    assert (s1 == s2).all()
    assert (st1 == st2).all()
    assert np.allclose(F.state.phi, F2.state.phi, atol=1e-12)


def test_buffer_full_is_reported_and_overflow_is_loud():
    F = _field("square", 0.0, True, cap=0.0)         # capacity: the minimum of 64 changes
    ES = F.state
    flags = [record_event(i % 100, 0.01, ES) for i in range(64)]
    assert flags[-1] == 1 and sum(flags) == 1
    for i in range(ES.pend_site.shape[0]):            # ignore the request: overflow
        record_event(i % 100, 0.01, ES)
    assert np.isnan(local_stress_at(5, 0.0, ES, 1))
    F.refresh()
    assert np.isfinite(local_stress_at(5, 0.0, ES, 1))
