"""Time-temperature superposition of isothermal sweeps, and Arrhenius and WLF fits of the shifts.

Shifts are horizontal only (no vertical density/temperature factor). Neighbouring isotherms are
superposed pairwise, on E' and E'' *jointly* (log10 of both against log10 f), or on tan delta
when only that was measured: E' alone is almost flat in a glassy sweep and gives near-zero,
ill-defined shifts, E'' alone ignores half the data. For each pair the shift d (decades)
minimises the mean squared difference of the log moduli over the frequency overlap (linear
interpolation, at least 30 % of the shorter sweep must overlap); shifts are accumulated from
the reference isotherm (the middle one), so ``log10 a_T(T_ref) = 0`` and the reduced frequency
is ``f a_T``. A sweep hotter than the reference relaxes faster and has ``log10 a_T < 0``.

The shifts are then fitted by

* Arrhenius, ``log10 a_T = c + E_a / (R ln 10 T)`` (linear least squares), and
* WLF, ``log10 a_T = -C1 (T - T_ref) / (C2 + T - T_ref)`` (scipy ``curve_fit``),

both with standard errors and the rms of their residuals, so the reader sees which describes the
data (WLF above a polymer's Tg, Arrhenius below it).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import curve_fit, minimize_scalar

from ..constants import R_J_PER_MOL_K

__all__ = ["arrhenius_shift_fit", "tts_joint", "wlf_fit"]

_MIN_OVERLAP = 0.3
_C1_MAX, _C2_MAX = 1e3, 1e5


def _pair_shift(x0, Y0, x1, Y1) -> tuple[float, float]:
    """Shift d (decades) putting curve 1 (x1 + d) onto curve 0, and the rms mismatch."""
    span = min(np.ptp(x0), np.ptp(x1))
    if span <= 0:
        return np.nan, np.nan
    ov = _MIN_OVERLAP * span
    lo, hi = x0.min() - x1.max() + ov, x0.max() - x1.min() - ov

    # each quantity weighted by the inverse of its variance over the pair, so that a flat E'
    # counts as much as a steep E''
    w = [1.0 / max(np.var(np.concatenate([y0, y1])), 1e-12) for y0, y1 in zip(Y0, Y1)]
    w = np.array(w) / np.sum(w)

    def mismatch(d):
        a, b = max(x0.min(), x1.min() + d), min(x0.max(), x1.max() + d)
        if b - a < ov * 0.999:
            return 1e6
        g = np.linspace(a, b, 40)
        return float(sum(wk * np.mean((np.interp(g, x1 + d, y1) - np.interp(g, x0, y0)) ** 2)
                         for wk, y0, y1 in zip(w, Y0, Y1)))

    grid = np.linspace(lo, hi, 241)
    vals = _mismatch_scan(grid, x0, Y0, x1, Y1, w, ov)
    k = int(np.argmin(vals))
    r = minimize_scalar(mismatch, bounds=(grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]),
                        method="bounded", options={"xatol": 1e-6})
    d = float(r.x) if r.fun <= vals[k] else float(grid[k])
    return d, float(np.sqrt(min(r.fun, vals[k])))


def _mismatch_scan(ds, x0, Y0, x1, Y1, w, ov) -> np.ndarray:
    """``mismatch(d)`` of :func:`_pair_shift` for every d at once (the coarse scan)."""
    a = np.maximum(x0.min(), x1.min() + ds)
    b = np.minimum(x0.max(), x1.max() + ds)
    G = a[:, None] + (b - a)[:, None] * np.linspace(0.0, 1.0, 40)[None, :]
    out = np.zeros(ds.size)
    for wk, y0, y1 in zip(w, Y0, Y1):
        d1 = np.interp(G - ds[:, None], x1, y1) - np.interp(G, x0, y0)
        out += wk * np.mean(d1**2, axis=1)
    return np.where(b - a < ov * 0.999, 1e6, out)


def tts_joint(curves: list[tuple[float, np.ndarray, list[np.ndarray]]]) -> dict:
    """Shift factors of isotherms.

    Parameters
    ----------
    curves : list of (T_K, f_Hz, [y, ...])
        One entry per isotherm, any order; ``y`` are positive quantities (E', E'' or tan delta)
        on the same frequencies, superposed jointly in log10.

    Returns
    -------
    dict
        ``temperature_K``, ``log10_a_T`` (arrays sorted by T), ``reference_T_K``,
        ``pair_rms_decades`` (mismatch of each neighbour pair), ``monotonic`` (log10 a_T strictly
        decreasing in T).
    """
    curves = sorted(curves, key=lambda c: c[0])
    T = np.array([c[0] for c in curves])
    X = [np.log10(c[1]) for c in curves]
    Ys = [[np.log10(y) for y in c[2]] for c in curves]
    orders = [np.argsort(x) for x in X]
    X = [x[o] for x, o in zip(X, orders)]
    Ys = [[y[o] for y in ys] for ys, o in zip(Ys, orders)]
    n = T.size
    ref = n // 2
    step = np.zeros(n)          # step[i]: shift of curve i relative to curve i-1
    rms = np.full(n, np.nan)
    for i in range(1, n):
        step[i], rms[i] = _pair_shift(X[i - 1], Ys[i - 1], X[i], Ys[i])
    cum = np.concatenate([[0.0], np.cumsum(step[1:])])
    a = cum - cum[ref]
    mono = bool(np.all(np.diff(a) < 0)) if n > 1 else True
    return {"temperature_K": T, "log10_a_T": a, "reference_T_K": float(T[ref]),
            "pair_rms_decades": rms[1:], "monotonic": mono}


def arrhenius_shift_fit(T_K: np.ndarray, log10_aT: np.ndarray) -> dict:
    """``log10 a_T = c + E_a / (R ln10 T)``: E_a (kJ/mol) with its standard error and the rms.

    Parameters
    ----------
    T_K : numpy.ndarray
        Temperatures (K), at least three (the rms needs a degree of freedom).
    log10_aT : numpy.ndarray
        Shifts (decades).

    Returns
    -------
    dict
        ``E_a_kJ_per_mol``, its standard error, intercept and rms (decades).
    """
    T, y = np.asarray(T_K, float), np.asarray(log10_aT, float)
    x = 1.0 / (R_J_PER_MOL_K * np.log(10.0) * T)
    if T.size < 3 or not np.ptp(x) > 1e-9 * np.abs(x).max():
        raise ValueError("an Arrhenius fit of shifts needs three or more distinct temperatures")
    A = np.vstack([np.ones_like(T), x]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ coef
    s2 = float(res @ res) / (T.size - 2)
    cov = s2 * np.linalg.pinv(A.T @ A)
    return {"E_a_kJ_per_mol": float(coef[1] / 1e3), "E_a_se_kJ_per_mol": float(np.sqrt(cov[1, 1]) / 1e3),
            "intercept_decades": float(coef[0]), "rms_decades": float(np.sqrt(np.mean(res**2)))}


def wlf_fit(T_K: np.ndarray, log10_aT: np.ndarray, T_ref_K: float) -> dict | None:
    """``log10 a_T = -C1 (T - T_ref) / (C2 + T - T_ref)``; None if it does not converge.

    Parameters
    ----------
    T_K : numpy.ndarray
        Temperatures (K).
    log10_aT : numpy.ndarray
        Shifts (decades).
    T_ref_K : float
        Reference temperature (K).

    Returns
    -------
    dict or None
        ``C1``, ``C2_K`` with standard errors and the rms, or None.
    """
    T, y = np.asarray(T_K, float), np.asarray(log10_aT, float)
    dT = T - T_ref_K
    if T.size < 3 or not np.ptp(T) > 1e-6:
        return None
    c2_lo = max(1e-3, -dT.min() + 1e-3)        # the denominator stays positive over the data

    def f(dt, c1, c2):
        return -c1 * dt / (c2 + dt)

    best = None
    for c2 in (c2_lo + 10.0, c2_lo + 50.0, c2_lo + 200.0):
        try:
            with np.errstate(all="ignore"):
                p, cov = curve_fit(f, dT, y, p0=(10.0, c2), bounds=([0.0, c2_lo], [_C1_MAX, _C2_MAX]),
                                   maxfev=5000)
        except (RuntimeError, ValueError):
            continue
        r = float(np.sqrt(np.mean((y - f(dT, *p)) ** 2)))
        if best is None or r < best[2]:
            best = (p, cov, r)
    if best is None:
        return None
    p, cov, r = best
    se = np.sqrt(np.clip(np.diag(cov), 0, None)) if np.all(np.isfinite(cov)) else np.full(2, np.nan)
    at_bound = bool(p[0] >= 0.999 * _C1_MAX or p[1] >= 0.999 * _C2_MAX or p[1] <= 1.001 * c2_lo)
    return {"C1": float(p[0]), "C1_se": float(se[0]), "C2_K": float(p[1]), "C2_se_K": float(se[1]),
            "T_ref_K": float(T_ref_K), "rms_decades": r, "at_bound": at_bound}
