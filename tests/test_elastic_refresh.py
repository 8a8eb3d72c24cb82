"""The refresh interval of the elastic field (docs/kmc_elastic.md section 6.3) and the split of
the field's kernels into modules (the old imports still work).

What must hold, fixed before the runs: an explicit ``elastic_refresh_per_site`` is used as it
is (old configurations keep their meaning); unset, the exact mode refreshes every
``KAPPA_EXACT sqrt(N log2 N)`` changes (so the share of N falls as N grows) and the windowed
mode every 0.02 N (its validated lag); the replica's field gets that capacity; bad values stay
clear errors (tests/test_elastic_engine.py).
"""

import math
import tomllib

import numpy as np
import pytest

from mgmeso.config import parse_config
from mgmeso.kmc import elastic_kernels as ek
from mgmeso.kmc.elastic_refresh import KAPPA_EXACT, PER_SITE_WINDOWED, refresh_interval
from mgmeso.kmc.elastic_replica import field_options


def _sim(extra=""):
    text = f'''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 1.0
[simulation]
lattice = "sc"
L = 16
elastic_interactions = true
{extra}
'''
    return parse_config(tomllib.loads(text)).simulation


@pytest.mark.parametrize("L", [16, 32, 64, 128])
def test_exact_default_interval_grows_as_sqrt_n_log_n(L):
    N = L ** 3
    changes = refresh_interval(N, True) * N
    assert changes == pytest.approx(KAPPA_EXACT * math.sqrt(N * math.log2(N)), rel=1e-12)
    assert refresh_interval(N, False) == PER_SITE_WINDOWED
    assert refresh_interval(N, True, 0.02) == 0.02 and refresh_interval(N, False, 0.5) == 0.5


def test_share_of_sites_falls_with_n():
    shares = [refresh_interval(L ** 3, True) for L in (16, 32, 64, 128)]
    assert all(a > b for a, b in zip(shares, shares[1:]))


def test_config_default_and_explicit_value():
    sim = _sim()
    assert sim.elastic_refresh_per_site is None
    N = 16 ** 3
    assert field_options(sim, N).capacity_per_site == refresh_interval(N, True)
    assert field_options(_sim('elastic_update = "windowed"'), N).capacity_per_site == 0.02
    old = _sim("elastic_refresh_per_site = 0.02")     # an old configuration: the same meaning
    assert field_options(old, N).capacity_per_site == 0.02


def test_split_modules_keep_the_old_imports():
    from mgmeso.kmc import elastic_pending, elastic_refresh, elastic_state, elastic_stencil
    assert ek.record_event is elastic_pending.record_event
    assert ek.local_stress_at is elastic_pending.local_stress_at
    assert ek.finish_refresh is elastic_refresh.finish_refresh
    assert ek.ElasticState is elastic_state.ElasticState
    assert ek.apply_stencil is elastic_stencil.apply_stencil
    assert set(ek.__all__) <= set(dir(ek))
    assert np.int64(ek.PACK_BITS) == 10
