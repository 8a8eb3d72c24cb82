"""Stress relaxation at 280-315 K is independent of the output grid and monotonic.

Before the fix, the anelastic strain was computed as sigma minus a KWW history of nearly
the same size; where tau_an >> t (1e11-1e15 s here) that difference is rounding noise, and
on an output grid of 40 points per decade (whose nodes nearly coincide with the solver's)
the noise was amplified: sigma/sigma0 reached 1.19 at 290 K and the anelastic strain went
negative.
"""

import numpy as np
import pytest

from mgmeso.config import parse_config
from mgmeso.theory import evaluate, gumbel_grid, state_point
from mgmeso.theory.volterra import relax_stress, time_nodes

TEMPS = (280.0, 290.0, 300.0, 315.0)


@pytest.mark.parametrize("T", TEMPS)
def test_low_temperature_relaxation_does_not_depend_on_output_grid(la60, T):
    g = gumbel_grid(la60.B_beta, 241)
    sp = state_point(la60, T)
    at_decades = {}
    for n in (161, 201, 321, 401):          # 20, 25, 40, 50 points per decade over 1e-3..1e5 s
        t = np.geomspace(1e-3, 1e5, n)
        d = relax_stress(la60, sp, g, lambda x: np.full_like(x, 0.006), t, points_per_decade=40)
        s = d["stress_MPa"]
        assert np.all(np.diff(s) < 0), "stress must decay monotonically"
        an = d["strain_anelastic"]
        assert np.all(an > 0) and np.all(np.diff(an) > 0), "anelastic creep strain must grow"
        at_decades[n] = s[:: (n - 1) // 8] / s[0]
    ref = at_decades[401]
    for n, v in at_decades.items():
        assert np.max(np.abs(v - ref)) < 1e-6, (n, np.max(np.abs(v - ref)))


def test_protocol_at_40_points_per_decade_is_monotonic():
    """The audit's reproduction: the stress_relaxation protocol with 40 output points per decade."""
    cfg = parse_config({"material": "la60ni15al25", "protocol": {
        "kind": "stress_relaxation", "temperatures_K": list(TEMPS), "strain": 0.006,
        "duration_s": 1e5, "t_first_s": 1e-3, "points_per_decade": 40}})
    t = evaluate(cfg).tables["theory"]
    for T in TEMPS:
        sel = t["temperature_K"] == T
        s = t["stress_normalized"][sel]
        assert s.max() <= 1.0 + 1e-12 and np.all(np.diff(s) < 0)
        assert np.all(t["strain_anelastic"][sel] > 0)


def test_solver_nodes_avoid_near_duplicates():
    t = np.geomspace(1e-3, 1e5, 321)
    nodes = time_nodes(t, 1e-6, 40)
    assert np.all(np.isin(t, nodes))
    rel = np.diff(nodes)[1:] / nodes[1:-1]
    assert rel.min() > 1e-3
