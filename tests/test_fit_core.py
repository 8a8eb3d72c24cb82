"""The fit's statistics and constraints: undetermined parameters, correlations, bounds, n > p.

The covariance routine is pinned to its obvious twin (``s^2 (J^T J)^-1`` with the delta method)
on well-conditioned Jacobians; on degenerate ones it must name the undetermined parameters
instead of returning a standard error of 0, and every correlation it returns lies in [-1, 1] in
a symmetric matrix.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgmeso.config import load_material
from mgmeso.errors import UserError
from mgmeso.fit import synthetic
from mgmeso.fit.core import fit_material
from mgmeso.fit.data import parse_column_map, read_dataset
from mgmeso.fit.uncertainty import covariance


@pytest.fixture(scope="module")
def la60():
    return load_material("la60ni15al25")[0]


def test_covariance_twin_on_well_conditioned_jacobians():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, p = 30, 4
        J = rng.normal(size=(n, p)) * rng.uniform(0.01, 100, p)
        s2 = rng.uniform(0.1, 2)
        theta = rng.uniform(0.5, 3, p)
        G = np.diag(theta)                       # log coordinates: d theta / d ln theta = theta
        cov, se, corr = covariance(J, s2, G)
        twin = G @ (s2 * np.linalg.inv(J.T @ J)) @ G.T
        assert np.allclose(cov, twin, rtol=1e-8)
        assert np.allclose(se, np.sqrt(np.diag(twin)), rtol=1e-8)
        assert np.allclose(corr, twin / np.outer(se, se), rtol=1e-8, atol=1e-12)


def test_degenerate_columns_are_undetermined_not_zero():
    rng = np.random.default_rng(1)
    J = rng.normal(size=(40, 4))
    J[:, 2] = 3.0 * J[:, 1]                      # only a combination of 1 and 2 is determined
    J[:, 3] = 0.0                                # no effect at all
    _, se, corr = covariance(J, 1.0, np.eye(4))
    assert np.isfinite(se[0]) and se[0] > 0
    assert np.all(np.isnan(se[1:]))
    assert np.all(np.isnan(corr[1:, :])) and np.all(np.isnan(corr[:, 1:]))
    assert corr[0, 0] == 1.0


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), p=st.integers(1, 6), rank_drop=st.integers(0, 3),
       scale=st.floats(0, 12))
def test_correlations_always_bounded_and_symmetric(seed, p, rank_drop, scale):
    rng = np.random.default_rng(seed)
    J = rng.normal(size=(max(p + 1, 8), p)) * 10.0 ** rng.uniform(-scale, scale, p)
    for k in range(min(rank_drop, p - 1)):       # near-copies of other columns
        J[:, p - 1 - k] = J[:, 0] * rng.uniform(-2, 2) * (1 + 1e-9 * rng.normal(size=J.shape[0]))
    G = np.diag(rng.uniform(0.1, 10, p))
    _, se, corr = covariance(J, float(rng.uniform(0, 3)), G)
    fin = np.isfinite(corr)
    assert np.all(np.abs(corr[fin]) <= 1.0)
    assert np.array_equal(fin, fin.T) and np.allclose(corr[fin], corr.T[fin])
    assert np.all(np.isnan(se) | (se >= 0))
    assert np.array_equal(np.isnan(se), np.all(np.isnan(corr), axis=1))


def _sweeps(tmp_path, mat, T, name="sw.csv", noise=0.01, seed=3):
    p = tmp_path / name
    cmap = synthetic.write_isothermal(mat, p, T, np.geomspace(0.01, 2, 10), np.random.default_rng(seed),
                                      noise=noise)
    return read_dataset(p, "dma-isothermal", parse_column_map(cmap))


def test_parameter_without_effect_is_reported_undetermined(tmp_path, la60):
    """Sweeps below Tg do not see a1 (the slope of chi above Tg)."""
    ds = _sweeps(tmp_path, la60, [400.0, 420.0, 440.0])
    res = fit_material(la60, [ds], ["chi_g", "a1_per_K"], start={"chi_g": 0.3, "a1_per_K": 0.004})
    assert np.isfinite(res.std_errors["chi_g"]) and res.std_errors["chi_g"] > 0
    assert np.isnan(res.std_errors["a1_per_K"]) and res.undetermined == ["a1_per_K"]
    assert any("undetermined" in w and "a1_per_K" in w for w in res.warnings)
    c = res.correlation
    assert c[0, 0] == 1.0 and np.isnan(c[0, 1]) and np.isnan(c[1, 0])
    assert abs(res.values["chi_g"] - 0.4) < 3 * res.std_errors["chi_g"]


def test_bound_flagged_from_the_active_set_in_log_space(tmp_path, la60):
    """Data of a nearly single beta time (B = 60, beyond the allowed 20) push B_beta to its bound."""
    narrow = dataclasses.replace(la60, B_beta=60.0)
    p = tmp_path / "scan.txt"
    cmap = synthetic.write_isochronal(narrow, p, 1.0, np.arange(330.0, 400.0, 2.0),
                                      np.random.default_rng(2), noise=0.002)
    ds = read_dataset(p, "dma-isochronal", parse_column_map(cmap), frequency_Hz=1.0)
    res = fit_material(la60, [ds], ["B_beta"], start={"B_beta": 5.0}, loss_only=True)
    assert res.at_bound == {"B_beta": "upper"}
    assert res.values["B_beta"] <= 20.0
    assert any("B_beta" in w and "upper bound" in w and "active set" in w for w in res.warnings)


@pytest.mark.parametrize("free", [["E_relaxed_beta_MPa"], ["E_unrelaxed_MPa", "E_relaxed_beta_MPa"]])
def test_moduli_constraint_kept_and_material_loads(tmp_path, la60, free):
    """Data without a beta relaxation (E_r = E_u) put E_r on the constraint, never above E_u."""
    from mgmeso.fit.report import write_material_toml

    flat = dataclasses.replace(la60, E_relaxed_beta_MPa=la60.E_unrelaxed_MPa)
    p = tmp_path / "scan.txt"
    cmap = synthetic.write_isochronal(flat, p, 1.0, np.arange(320.0, 420.0, 4.0),
                                      np.random.default_rng(5), noise=0.0)
    ds = read_dataset(p, "dma-isochronal", parse_column_map(cmap), frequency_Hz=1.0)
    start = {"E_relaxed_beta_MPa": 3.0e4} if len(free) == 1 else {"E_unrelaxed_MPa": 3.3e4,
                                                                  "E_relaxed_beta_MPa": 3.0e4}
    res = fit_material(la60, [ds], free, start=start)
    m = res.material
    assert m.E_relaxed_beta_MPa < m.E_unrelaxed_MPa and m.check() == []
    assert "E_relaxed_beta_MPa" in res.at_bound
    assert any("E_relaxed_beta_MPa < E_unrelaxed_MPa" in w for w in res.warnings)
    out = tmp_path / "m.toml"
    write_material_toml(res, None, {}, [str(p)], out)
    loaded = load_material(str(out))[0]
    assert loaded.E_relaxed_beta_MPa == m.E_relaxed_beta_MPa


def test_start_violating_the_constraint_is_refused(la60):
    with pytest.raises(UserError, match="relaxed modulus must be below"):
        fit_material(la60, [], ["E_unrelaxed_MPa"], start={"E_unrelaxed_MPa": 2.0e4})


def test_fewer_values_than_parameters_is_refused(tmp_path, la60):
    p = tmp_path / "one.csv"
    p.write_text("temperature_K,frequency_Hz,E_storage_MPa,E_loss_MPa\n430,1,30000,300\n")
    ds = read_dataset(p, "dma-isochronal", {k: k for k in ("temperature_K", "frequency_Hz",
                                                            "E_storage_MPa", "E_loss_MPa")})
    with pytest.raises(UserError, match=r"2 data value\(s\) for 2 free parameter\(s\)"):
        fit_material(la60, [ds], ["U_beta_kJ_per_mol", "tau_beta0_s"])
    res = fit_material(la60, [ds], ["U_beta_kJ_per_mol"])           # 2 values, 1 parameter: fits
    assert np.isfinite(res.values["U_beta_kJ_per_mol"])
