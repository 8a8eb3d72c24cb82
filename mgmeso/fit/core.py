"""Least-squares fit of material parameters to one or several data sets with shared parameters.

Free parameters are fitted in transformed coordinates: the logarithm for times,
intensities and other positive scale parameters (so that steps are relative and
the parameter cannot change sign), the value itself for energies, moduli, chi
and temperatures. Bounds come from the material's declared ranges (the same
ones config validation uses, docs/model.md section 1), narrowed where the model
needs it (chi_g > 0.05).

Errors: with the Jacobian J of the weighted, scaled residuals at the optimum and
``s^2 = SSR / (n - p)``, the covariance of the transformed parameters is
``s^2 (J^T J)^-1``; standard errors of log-parameters are carried to the
parameters by the delta method (``se(theta) = theta se(ln theta)``).
A parameter is flagged *not identifiable* when ``J^T J`` is (numerically)
singular, when its relative standard error exceeds 100 %, or when it is
correlated with another free parameter by more than 0.999.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..config.fields import field_specs
from ..config.material import Material
from ..errors import UserError
from ..theory.gumbel import gumbel_grid
from .data import Dataset
from .model import Block, predict

__all__ = ["FITTABLE", "FitResult", "fit_material"]

#: fittable material keys and their fit coordinate
FITTABLE = {
    "U_beta_kJ_per_mol": "lin", "tau_beta0_s": "log", "B_beta": "log", "chi_g": "lin",
    "t0_s": "log", "A_an_per_MPa": "log", "A_vp_per_MPa": "log", "E_unrelaxed_MPa": "lin",
    "E_relaxed_beta_MPa": "lin", "a1_per_K": "lin", "Tg_K": "lin", "sigma1_MPa": "log",
}
_EXTRA_BOUNDS = {"chi_g": (0.05, 1.0), "U_beta_kJ_per_mol": (1.0, 2000.0), "a1_per_K": (0.0, 0.1)}


@dataclass
class FitResult:
    """Outcome of :func:`fit_material`."""

    material: Material
    free: list[str]
    values: dict[str, float]
    std_errors: dict[str, float]
    correlation: np.ndarray
    warnings: list[str]
    blocks: list[list[Block]]        # per data set, at the optimum
    datasets: list[Dataset]
    n_points: int
    chi2_reduced: float               # SSR / (n - p) of the scaled residuals
    nfev: int
    wall_s: float
    message: str


def _bounds(name: str) -> tuple[float, float]:
    spec = field_specs(Material)[name][1]
    lo = spec.lo if spec.lo is not None else -np.inf
    hi = spec.hi if spec.hi is not None else np.inf
    if name in _EXTRA_BOUNDS:
        lo = max(lo, _EXTRA_BOUNDS[name][0])
        hi = min(hi, _EXTRA_BOUNDS[name][1])
    return lo, hi


def _to_x(name, v):
    return np.log(v) if FITTABLE[name] == "log" else v


def _from_x(name, x):
    return float(np.exp(x)) if FITTABLE[name] == "log" else float(x)


def fit_material(base: Material, datasets: list[Dataset], free: list[str], *,
                 chi_law: str = "linear", loss_only: bool = False, gumbel_points: int = 121,
                 relaxation_ppd: int = 30, start: dict[str, float] | None = None) -> FitResult:
    """Fit the ``free`` parameters of ``base`` to the data sets (shared parameters).

    Parameters
    ----------
    base : Material
        Values of the fixed parameters and the starting point of the free ones.
    datasets : list of Dataset
    free : list of str
        Keys of :data:`FITTABLE`.
    loss_only : bool
        DMA: fit E'' alone (E' is then only drawn).
    gumbel_points : int
        Nodes of the discrete Gumbel distribution during the fit.
    start : dict, optional
        Starting values overriding ``base``.
    """
    bad = [f for f in free if f not in FITTABLE]
    if bad or not free:
        raise UserError(f"--free {','.join(free) or '(empty)'}: fittable keys are "
                        f"{', '.join(FITTABLE)}")
    if len(set(free)) != len(free):
        raise UserError(f"--free {','.join(free)}: a parameter is listed twice")
    start = dict(start or {})
    unknown = [k for k in start if k not in free]
    if unknown:
        raise UserError(f"--start {', '.join(unknown)}: starting values are for free parameters "
                        f"only (free: {', '.join(free)})")
    x0, lo, hi = [], [], []
    for name in free:
        v = start.get(name, getattr(base, name))
        if v is None:                       # A_vp_per_MPa defaults to A_an
            v = base.A_an_per_MPa
        a, b = _bounds(name)
        if not a <= v <= b:
            raise UserError(f"start value {name} = {v:g} is outside its allowed range [{a:g}, {b:g}]")
        if FITTABLE[name] == "log":
            a = np.log(a) if a > 0 else np.log(v) - 50.0
            b = np.log(b) if np.isfinite(b) else np.log(v) + 50.0
        x = _to_x(name, v)
        x0.append(float(np.clip(x, a + 1e-9 * max(1, abs(a)), b - 1e-9 * max(1, abs(b)))))
        lo.append(a)
        hi.append(b)
    grid = gumbel_grid(base.B_beta, gumbel_points)

    def material_at(x) -> Material:
        vals = {n: _from_x(n, xi) for n, xi in zip(free, x)}
        return dataclasses.replace(base, **vals)

    def blocks_at(x):
        mat = material_at(x)
        g = gumbel_grid(mat.B_beta, gumbel_points) if "B_beta" in free else grid
        return [predict(mat, ds, g, chi_law, loss_only, relaxation_ppd) for ds in datasets]

    def residuals(x):
        try:
            r = np.concatenate([b.residual for bl in blocks_at(x) for b in bl])
        except (FloatingPointError, ValueError):
            return np.full(n_res, 1e3)
        return np.where(np.isfinite(r), r, 1e3)

    t0 = time.perf_counter()
    n_res = sum(b.data.size for bl in blocks_at(np.array(x0)) for b in bl)
    with np.errstate(all="ignore"):
        res = least_squares(residuals, np.array(x0), bounds=(lo, hi), x_scale="jac",
                            method="trf", xtol=1e-10, ftol=1e-10, gtol=1e-10, max_nfev=400)
    wall = time.perf_counter() - t0
    n, p = res.fun.size, len(free)
    ssr = float(res.fun @ res.fun)
    s2 = ssr / max(n - p, 1)
    J = res.jac
    JTJ = J.T @ J
    warnings: list[str] = []
    sv = np.linalg.svd(J, compute_uv=False)
    if sv[-1] <= 1e-10 * sv[0]:
        warnings.append("the Jacobian is singular: some free parameters (or combinations) are not "
                        "determined by these data; fix some of them or add data sets")
    cov_x = s2 * np.linalg.pinv(JTJ)
    se_x = np.sqrt(np.clip(np.diag(cov_x), 0.0, None))
    d = np.where(se_x > 0, se_x, 1.0)
    corr = cov_x / np.outer(d, d)
    values, ses = {}, {}
    for i, name in enumerate(free):
        v = _from_x(name, res.x[i])
        values[name] = v
        ses[name] = abs(v) * se_x[i] if FITTABLE[name] == "log" else float(se_x[i])
        if ses[name] > abs(v):
            warnings.append(f"{name} is not identifiable from these data (standard error "
                            f"{ses[name]:.3g} exceeds the value {v:.3g})")
    for i in range(p):
        for j in range(i + 1, p):
            if abs(corr[i, j]) > 0.999:
                warnings.append(f"{free[i]} and {free[j]} are correlated by {corr[i, j]:+.3f}: the "
                                f"data fix only a combination of the two")
    for name in free:
        a, b = _bounds(name)
        v = values[name]
        if np.isfinite(a) and abs(v - a) <= 1e-6 * max(abs(a), 1e-300) or \
                np.isfinite(b) and abs(v - b) <= 1e-6 * max(abs(b), 1e-300):
            warnings.append(f"{name} = {v:.4g} ended at a bound of its allowed range [{a:g}, {b:g}]")
    if not res.success:
        warnings.append(f"the optimiser stopped without converging: {res.message}")
    mat = material_at(res.x)
    return FitResult(material=mat, free=list(free), values=values, std_errors=ses, correlation=corr,
                     warnings=warnings, blocks=blocks_at(res.x), datasets=datasets, n_points=n,
                     chi2_reduced=s2, nfev=int(res.nfev), wall_s=wall, message=str(res.message))
