"""The kMC validation cases fail when fed broken inputs.

The multiple-comparison rule is exercised on synthetic z-scores (exact null, a shift, a
wrong spread, outliers); each case's judge on a synthetic measurement; and each case's
measured side, rerun at its quick size on one run, with a kMC whose anelastic amplitude
differs from the theory's (a wrong parameter that the z-scores must catch).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mgmeso.validation import DISAGREES, FAIL, NOT_RUN, PASS, all_cases, judge, run_case
from mgmeso.validation.cases import kmc_mesoscale
from mgmeso.validation.cases.kmc_common import case_alpha, z_rule

R = 16


def _null(n, seed=3):
    """n z-scores with exactly the null distribution t(R - 1) (its quantiles), in random order."""
    z = stats.t.ppf((np.arange(n) + 0.5) / n, R - 1)
    return np.random.default_rng(seed).permutation(z)


def test_z_rule_accepts_the_null_and_rejects_shift_spread_and_outliers():
    alpha = case_alpha(7)
    z = _null(300)
    r = z_rule(z, R, alpha)
    assert r["passed"], r
    assert r["expected"] == pytest.approx(300 * 2 * stats.t.sf(3, R - 1))
    assert not z_rule(z + 0.5, R, alpha)["passed"]            # a biased theory
    assert not z_rule(1.5 * z, R, alpha)["passed"]            # standard errors too small
    bad = z.copy()
    bad[:8] = 4.0                                             # a few points far off
    r = z_rule(bad, R, alpha)
    assert r["beyond"] > r["max_beyond"] and not r["passed"]
    assert not z_rule(np.zeros(0), R, alpha)["passed"]        # nothing compared is no pass


def _time_run(z, replicas=R, title="synthetic creep"):
    n = z.size
    se = {q: np.ones(n) for q in ("strain_beta", "strain_anelastic", "strain_plastic")}
    return {"kind": "time", "title": title, "quantities": ("strain_anelastic",),
            "z": [{"strain_anelastic": z}], "se": [se], "times": [np.geomspace(1, 100, n)],
            "replicas": replicas, "lattice": "sc L = 6", "config": "x.toml", "wall_s": 0.0}


def test_analytical_case_judge_fails_on_perturbed_z():
    case = all_cases()["kmc_vs_analytical"]
    good = {"runs": {"a": _time_run(_null(60, 1)), "b": _time_run(_null(60, 2))}}
    assert judge(case, good)[0] == PASS
    bad = {"runs": {"a": _time_run(_null(60, 1)), "b": _time_run(_null(60, 2) + 1.0)}}
    status, checks = judge(case, bad)
    assert status == FAIL
    assert [c.status for c in checks] == [PASS, FAIL, FAIL]   # run b and the pooled check


def test_analytical_case_fails_with_a_wrong_kmc_parameter():
    """The kMC's anelastic amplitude 30 % above the theory's: the creep run must fail."""
    from mgmeso.config import load_material

    A = load_material("la60ni15al25")[0].A_an_per_MPa
    r = run_case("kmc_vs_analytical", "quick", figure=False,
                 options={"only": ["creep_recovery"], "kmc_material": {"A_an_per_MPa": 1.3 * A}})
    assert r.status == FAIL, (r.error, [(c.name, c.measured) for c in r.checks])


def _point(rule, an, pl, axis="temperature", T=430.0, z=None):
    p = dict(axis=axis, rule=rule, T=T, stress=25.0, fp=1, Cd=0.25, lattice="sc", replicas=R,
             wall_s=0.0, sites="sc L = 6", t_end_s=330.0, an_ratio=an, an_se=0.01, pl_ratio=pl,
             pl_se=0.01, an_own_ratio=1.0, pl_own_ratio=1.0)
    if z is not None:
        p["z"] = z
    return p


def test_mesoscale_judge_series_rule_and_reported_ratios(monkeypatch):
    monkeypatch.setattr(kmc_mesoscale, "elastic_hook_available", lambda: False)
    case = all_cases()["kmc_mesoscale_vs_meanfield"]
    pts = [_point("mean-field", 1.0, 1.0, z=_null(40, 5)), _point("series", 0.95, 0.7, z=_null(40, 6)),
           _point("mesoscale", 0.2, 300.0), _point("mesoscale", 0.3, 30.0, T=415.0)]
    status, checks = judge(case, {"points": pts})
    by = {c.name.split(":")[0]: c for c in checks}
    assert status == DISAGREES, [(c.name, c.status) for c in checks]
    assert [c.status for c in checks if "rule: beta" in c.name] == [PASS, PASS]
    assert checks[-1].status == NOT_RUN and "elastic interactions not in this build" in checks[-1].note
    assert any(c.status == DISAGREES and "mesoscale rule / mean field against temperature" in c.name
               for c in by.values())
    # the exact series-rule mean perturbed: its z-scores shift and the case fails
    pts[1] = _point("series", 0.95, 0.7, z=_null(40, 6) + 0.8)
    assert judge(case, {"points": pts})[0] == FAIL
    # a documented deviation that vanished (mesoscale = mean field) is a failure too
    pts[1] = _point("series", 0.95, 0.7, z=_null(40, 6))
    pts[2] = _point("mesoscale", 1.0, 1.0)
    pts[3] = _point("mesoscale", 1.0, 1.0, T=415.0)
    assert judge(case, {"points": pts})[0] == FAIL


def test_mesoscale_case_fails_with_a_wrong_kmc_parameter():
    """The series-rule runs with a kMC anelastic amplitude 30 % off the exact mean's: fail."""
    from mgmeso.config import load_material

    A = load_material("la60ni15al25")[0].A_an_per_MPa
    r = run_case("kmc_mesoscale_vs_meanfield", "quick", figure=False,
                 options={"only": [("temperature", "series")],
                          "kmc_material": {"A_an_per_MPa": 1.3 * A}})
    assert r.status == FAIL, (r.error, [(c.name, c.measured, c.status) for c in r.checks])
    series = [c for c in r.checks if c.name.startswith("series rule: beta")]
    assert series and series[0].status == FAIL
