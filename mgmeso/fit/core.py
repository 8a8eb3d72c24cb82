"""Least-squares fit of material parameters to one or several data sets with shared parameters.

The search runs in the coordinates of :mod:`mgmeso.fit.params` (log for scale parameters, the
moduli's constraint built in) with scipy's bounded trust-region reflective method. After it:

* standard errors and correlations come from :func:`mgmeso.fit.uncertainty.covariance`:
  parameters the data cannot determine get a NaN standard error and a warning naming them;
* a parameter on a bound is read from the optimiser's *active set* (``active_mask``) in the
  search coordinates, not from a relative distance in linear space;
* a fit with no more residuals than free parameters is refused before the search;
* the rms misfit is reported per residual block and warned about when large.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ..config.material import Material
from ..errors import DataError
from ..theory.gumbel import gumbel_grid
from .data import Dataset
from .model import Block, predict
from .params import FITTABLE, Coordinates, bounds_of
from .uncertainty import covariance

__all__ = ["FITTABLE", "FitResult", "fit_material"]

_PENALTY = 1e3          # residual where the model cannot be evaluated
_CLIP = 1e6             # |scaled residual| cap: keeps the sum of squares finite for absurd data
_POOR_FIT = 0.1         # rms scaled residual above which the fit is called rough


def grid_points(B: float, n_min: int) -> int:
    """Gumbel nodes for shape B: at least ``n_min``, and spaced by at most 0.5 in ln tau.

    The grid spans 44 units of ``B ln tau``; nodes further apart than ~0.5 in ln tau (a Debye
    peak is ~2.6 wide) draw ripples on E''(f) for a broad distribution (B ~ 0.1), which an
    optimiser would happily fit.

    Parameters
    ----------
    B : float
        Gumbel shape parameter.
    n_min : int
        Fewest nodes.

    Returns
    -------
    int
        Number of nodes.
    """
    return int(max(n_min, min(2001, np.ceil(88.0 / B) + 1)))


@dataclass
class FitResult:
    """Outcome of :func:`fit_material`."""

    material: Material
    free: list[str]
    values: dict[str, float]
    std_errors: dict[str, float]          # NaN: undetermined
    correlation: np.ndarray               # in the order of ``free``; NaN rows: undetermined
    warnings: list[str]
    blocks: list[list[Block]]             # per data set, at the optimum
    datasets: list[Dataset]
    n_points: int
    chi2_reduced: float                   # SSR / (n - p) of the scaled residuals
    nfev: int
    wall_s: float
    message: str
    converged: bool = True
    undetermined: list[str] = field(default_factory=list)
    at_bound: dict[str, str] = field(default_factory=dict)
    residuals: list[dict] = field(default_factory=list)


def _block_stats(blocks: list[list[Block]], datasets: list[Dataset]) -> list[dict]:
    out = []
    for ds, bl in zip(datasets, blocks):
        for b in bl:
            d = b.model - b.data
            out.append({"file": str(ds.path), "column": b.name, "n": int(d.size),
                        "rms": float(np.sqrt(np.mean(d**2))),
                        "rms_relative_to_max": float(np.sqrt(np.mean(d**2)) / b.scale),
                        "max_abs": float(np.max(np.abs(d)))})
    return out


def fit_material(base: Material, datasets: list[Dataset], free: list[str], *,
                 chi_law: str = "linear", loss_only: bool = False, gumbel_points: int = 121,
                 relaxation_ppd: int = 30, start: dict[str, float] | None = None,
                 max_nfev: int = 400) -> FitResult:
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
    max_nfev : int
        Most model evaluations of the optimiser.
    chi_law : {'linear', 'defects'}
        Law of chi(T).
    relaxation_ppd : int
        Points per decade of the relaxation solver.

    Returns
    -------
    FitResult
        Fitted values with standard errors, correlations, residuals, warnings and the
        optimiser's report.

    Raises
    ------
    UserError
        Unknown or repeated free keys, starting values out of range or violating
        E_relaxed < E_unrelaxed, fewer residuals than free parameters, a model that cannot be
        evaluated at the start.
    """
    coords = Coordinates(base, list(free), dict(start or {}))
    names = coords.names
    grid = gumbel_grid(base.B_beta, grid_points(base.B_beta, gumbel_points))

    def blocks_at(x):
        mat = coords.material(x)
        g = gumbel_grid(mat.B_beta, grid_points(mat.B_beta, gumbel_points)) if "B_beta" in names \
            else grid
        return [predict(mat, ds, g, chi_law, loss_only, relaxation_ppd) for ds in datasets]

    with np.errstate(all="ignore"):
        first = blocks_at(coords.x0)
    n_res = sum(b.data.size for bl in first for b in bl)
    p = len(names)
    if n_res <= p:
        raise DataError(f"{n_res} data value(s) for {p} free parameter(s) ({', '.join(free)}): a "
                        f"fit needs more data values than free parameters (add data or fix some "
                        f"parameters)")
    r0 = np.concatenate([b.residual for bl in first for b in bl])
    if not np.any(np.isfinite(r0)):
        raise DataError(f"the model cannot be evaluated at the starting point ({', '.join(free)}); "
                        f"give other --start values")

    def residuals(x):
        try:
            r = np.concatenate([b.residual for bl in blocks_at(x) for b in bl])
        except (FloatingPointError, ValueError, ZeroDivisionError, OverflowError,
                np.linalg.LinAlgError):
            return np.full(n_res, _PENALTY)
        return np.clip(np.where(np.isfinite(r), r, _PENALTY), -_CLIP, _CLIP)

    t0 = time.perf_counter()
    with np.errstate(all="ignore"):
        res = least_squares(residuals, coords.x0, bounds=(coords.lo, coords.hi), x_scale="jac",
                            method="trf", xtol=1e-8, ftol=1e-8, gtol=1e-8, max_nfev=max_nfev)
        # trf keeps its iterates strictly inside the bounds (reflective steps), so a parameter the
        # data push beyond a bound ends a hair inside and trf's active_mask misses it. dogbox
        # moves such a parameter onto its bound and keeps it in its active set: polish with it
        # when a parameter ended near a bound, and read the active set from there.
        total_nfev = int(res.nfev)
        near = np.minimum(res.x - coords.lo, coords.hi - res.x) <= 1e-3 * np.maximum(1.0, np.abs(res.x))
        if near.any():
            pol = least_squares(residuals, res.x, bounds=(coords.lo, coords.hi), x_scale="jac",
                                method="dogbox", xtol=1e-8, ftol=1e-8, gtol=1e-8, max_nfev=100)
            total_nfev += int(pol.nfev)
            if pol.cost <= res.cost * (1 + 1e-9):
                res = pol
    wall = time.perf_counter() - t0
    n = res.fun.size
    ssr = float(res.fun @ res.fun)
    s2 = ssr / (n - p)
    values = coords.values(res.x)
    _, se, corr_x = covariance(res.jac, s2, coords.jacobian(res.x))
    # report in the order the user gave
    order = [names.index(k) for k in free]
    corr = corr_x[np.ix_(order, order)]
    ses = {k: float(se[names.index(k)]) for k in free}
    warnings: list[str] = []
    undetermined = [k for k in free if not np.isfinite(ses[k])]
    if undetermined:
        warnings.append(f"undetermined by these data: {', '.join(undetermined)} (standard error "
                        f"reported as NaN): the residuals do not constrain "
                        f"{'it' if len(undetermined) == 1 else 'them'}, or only a combination with "
                        f"another free parameter; fix {'it' if len(undetermined) == 1 else 'some'} "
                        f"or add data that do")
    for k in free:
        if k not in undetermined and ses[k] > abs(values[k]):
            warnings.append(f"{k} is poorly determined (standard error {ses[k]:.3g} exceeds the "
                            f"value {values[k]:.3g})")
    for i in range(len(free)):
        for j in range(i + 1, len(free)):
            if abs(corr[i, j]) > 0.999:
                warnings.append(f"{free[i]} and {free[j]} are correlated by {corr[i, j]:+.4f}: the "
                                f"data fix mainly a combination of the two")
    at_bound = {}
    for i, name in enumerate(names):
        if res.active_mask[i] != 0:
            side = "lower" if res.active_mask[i] < 0 else "upper"
            at_bound[name] = side
            a, b = bounds_of(name)
            c = coords.coords[i]
            if c.kind == "logratio" or (name == "E_relaxed_beta_MPa" and side == "upper") or \
                    (name == "E_unrelaxed_MPa" and side == "lower" and a < values[name]):
                what = "the model's constraint E_relaxed_beta_MPa < E_unrelaxed_MPa"
            elif c.kind == "log" and side == "lower" and a <= 0:
                what = "the search floor, e^-50 times the start"
            else:
                what = f"its allowed range [{a:g}, {b:g}]"
            warnings.append(f"{name} = {values[name]:.6g} is at the {side} bound of {what} (the "
                            f"optimiser's active set): the data push it beyond, and its standard "
                            f"error treats it as free")
    blocks = blocks_at(res.x)
    stats = _block_stats(blocks, datasets)
    rough = [s for s in stats if s["rms_relative_to_max"] > _POOR_FIT]
    if rough:
        warnings.append("the model misses " + ", ".join(
            f"{s['column']} of {s['file']} by an rms of {100 * s['rms_relative_to_max']:.1f} % of its "
            f"largest value" for s in rough) + ": the fitted parameters describe these data only "
            "roughly")
    if np.any(np.abs(res.fun) >= _PENALTY * 0.999):
        warnings.append("the model could not be evaluated (or exploded) for some data points at "
                        "the optimum; the fit is not reliable")
    if not res.success:
        warnings.append(f"the optimiser stopped without converging: {res.message}")
    return FitResult(material=coords.material(res.x), free=list(free), values=values,
                     std_errors=ses, correlation=corr, warnings=warnings, blocks=blocks,
                     datasets=datasets, n_points=n, chi2_reduced=s2, nfev=total_nfev,
                     wall_s=wall, message=str(res.message), converged=bool(res.success),
                     undetermined=undetermined, at_bound=at_bound,
                     residuals=stats)
