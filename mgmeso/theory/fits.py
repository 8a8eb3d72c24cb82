"""Fits to model or measured curves with their uncertainties: KWW stretched exponential, Arrhenius
law, chi from tan(delta); a fit the data do not determine raises `FitNotDetermined`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit

from ..constants import R_J_PER_MOL_K


@dataclass(frozen=True)
class FitResult:
    """Fitted values, their standard errors and the correlation matrix (same key order)."""

    values: dict[str, float]
    stderr: dict[str, float]
    correlation: np.ndarray | None = field(repr=False, default=None)
    rms_residual: float = float("nan")

    def __getitem__(self, key: str) -> float:
        return self.values[key]


class FitNotDetermined(RuntimeError):
    """A fit whose optimum lies on a bound of its parameter range: the data do not fix it.

    A subclass of RuntimeError, so callers that turn a failed fit into "no fit"
    (NaN) treat it the same way; ``str(exc)`` says which parameter and why.
    """


#: bounds of the KWW fit: beta_KWW in [KWW_BETA_MIN, 1]
KWW_BETA_MIN = 0.01


def kww_fit(t_s, stress_MPa) -> FitResult:
    """Fit ``sigma(t) = sigma0 exp(-(t/tau_c)^beta_KWW)`` ([Duan2022] Eq. 1, docs/model.md E15).

    Fitted in log-parameters (ln sigma0, ln tau_c, beta) with uniform weights
    on the stress; standard errors of tau_c by the delta method.

    Returns
    -------
    FitResult
        keys ``sigma0_MPa``, ``tau_c_s``, ``beta_KWW``.

    Raises
    ------
    FitNotDetermined
        When the optimum lies on a bound (beta_KWW = 0.01 or tau_c at 30 decades
        below the first or 60 above the last time): the stretched exponential is
        then not determined by the curve (e.g. a small decay spread over the whole
        window, which only an ever flatter KWW can follow), and a value would be
        the bound, not a measurement.
    RuntimeError
        When the optimiser does not converge.

    Parameters
    ----------
    t_s : array_like
        Times (s), shape (n,); non-positive times and non-finite stresses are dropped.
    stress_MPa : array_like
        Stresses (MPa), shape (n,).
    """
    t = np.asarray(t_s, dtype=float)
    s = np.asarray(stress_MPa, dtype=float)
    ok = (t > 0) & np.isfinite(s)
    t, s = t[ok], s[ok]
    s0 = float(s[0])
    # starting tau_c: where the stress has lost 1 - 1/e of its decay, else the window end
    target = s0 * np.exp(-1.0)
    below = np.nonzero(s <= target)[0]
    tau_guess = float(t[below[0]]) if below.size else float(t[-1]) * 10

    def model(tt, ls0, ltau, beta):
        return np.exp(ls0) * np.exp(-np.power(tt / np.exp(ltau), beta))

    p0 = [np.log(abs(s0) + 1e-300), np.log(tau_guess), 0.5]
    bounds = ([-np.inf, np.log(t[0]) - 30, KWW_BETA_MIN], [np.inf, np.log(t[-1]) + 60, 1.0])
    popt, pcov = curve_fit(model, t, s, p0=p0, bounds=bounds, maxfev=20000)
    names = ("ln sigma0", "ln tau_c", "beta_KWW")
    for k in (1, 2):
        for side, b in (("lower", bounds[0][k]), ("upper", bounds[1][k])):
            if abs(popt[k] - b) <= 1e-6 * max(1.0, abs(b)):
                if k == 2 and side == "upper":
                    continue        # beta = 1 is a Debye decay, a legitimate value
                raise FitNotDetermined(
                    f"{names[k]} ended at its {side} bound {np.exp(b) if k == 1 else b:.4g}"
                    f"{' s' if k == 1 else ''}: the decay ({100 * (1 - s[-1] / s0):.2g} % over "
                    f"{np.log10(t[-1] / t[0]):.1f} decades) does not determine a stretched "
                    "exponential")
    perr = np.sqrt(np.clip(np.diag(pcov), 0, None))
    res = s - model(t, *popt)
    sig0, tau = np.exp(popt[0]), np.exp(popt[1])
    return FitResult(
        values={"sigma0_MPa": sig0, "tau_c_s": tau, "beta_KWW": popt[2]},
        stderr={"sigma0_MPa": sig0 * perr[0], "tau_c_s": tau * perr[1], "beta_KWW": perr[2]},
        correlation=_corr(pcov), rms_residual=float(np.sqrt(np.mean(res**2))),
    )


def kww_fit_or_reason(t_s, stress_MPa, min_decay: float,
                      max_extrapolation: float) -> tuple[FitResult | None, str]:
    """:func:`kww_fit` with the acceptance rules of the protocols, and the reason of a refusal.

    A fit is refused when the curve relaxed by less than ``min_decay`` of its
    first value, when the optimiser fails or ends on a bound
    (:class:`FitNotDetermined`), or when tau_c lies more than
    ``max_extrapolation`` times beyond the last time.

    Returns
    -------
    (FitResult or None, str)
        The fit and ``""``, or None and the reason (for reports: "no fit: <reason>").

    Parameters
    ----------
    t_s, stress_MPa : array_like
        The relaxation curve: times (s) and stresses (MPa), shape (n,).
    min_decay : float
        Smallest relative decay ``(sigma_0 - sigma_end) / sigma_0`` worth fitting.
    max_extrapolation : float
        Largest accepted ``tau_c / t_end``.
    """
    t = np.asarray(t_s, dtype=float)
    s = np.asarray(stress_MPa, dtype=float)
    decay = (s[0] - s[-1]) / s[0]
    if decay < min_decay:
        return None, (f"the stress relaxed by {100 * decay:.3g} % only (< {100 * min_decay:g} %): "
                      "nothing to fit")
    try:
        fit = kww_fit(t, s)
    except FitNotDetermined as exc:
        return None, str(exc)
    except RuntimeError as exc:
        return None, f"the optimiser did not converge ({exc})"
    if fit["tau_c_s"] > max_extrapolation * t[-1]:
        return None, (f"tau_c = {fit['tau_c_s']:.3g} s lies {fit['tau_c_s'] / t[-1]:.3g} times "
                      f"beyond the window (limit {max_extrapolation:g})")
    return fit, ""


def arrhenius_fit(T_K, tau_s) -> FitResult:
    """Weighted-equal linear fit of ``ln tau = ln tau0 + U/(R T)``.

    Returns
    -------
    FitResult
        keys ``U_kJ_per_mol`` and ``tau0_s`` (SE of tau0 by the delta method).

    Parameters
    ----------
    T_K : array_like
        Temperatures (K), at least two, shape (n,).
    tau_s : array_like
        Times (s) at those temperatures, shape (n,).

    Raises
    ------
    ValueError
        With fewer than two temperatures.
    """
    T = np.asarray(T_K, dtype=float)
    y = np.log(np.asarray(tau_s, dtype=float))
    x = 1.0 / (R_J_PER_MOL_K * T)
    if T.size < 2:
        raise ValueError("an Arrhenius fit needs at least two temperatures")
    A = np.vstack([np.ones_like(x), x]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ coef
    dof = max(T.size - 2, 1)
    s2 = float(res @ res) / dof if T.size > 2 else 0.0
    cov = s2 * np.linalg.inv(A.T @ A)
    se = np.sqrt(np.diag(cov))
    tau0 = float(np.exp(coef[0]))
    return FitResult(
        values={"U_kJ_per_mol": coef[1] / 1e3, "tau0_s": tau0},
        stderr={"U_kJ_per_mol": se[1] / 1e3, "tau0_s": tau0 * se[0]},
        correlation=_corr(cov), rms_residual=float(np.sqrt(np.mean(res**2))),
    )


def chi_from_tan_delta(omega_rad_s, tan_delta) -> FitResult:
    """chi = minus the slope of ln tan(delta) against ln omega ([Hao2022] Eq. 27).

    Returns
    -------
    FitResult
        keys ``chi`` and ``ln_K_tau`` (the intercept).

    Parameters
    ----------
    omega_rad_s : array_like
        Angular frequencies (rad/s), shape (n,).
    tan_delta : array_like
        Loss tangents at those frequencies, shape (n,) (on the alpha high-frequency wing).
    """
    x = np.log(np.asarray(omega_rad_s, dtype=float))
    y = np.log(np.asarray(tan_delta, dtype=float))
    A = np.vstack([np.ones_like(x), x]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ coef
    dof = max(x.size - 2, 1)
    cov = (float(res @ res) / dof) * np.linalg.inv(A.T @ A)
    se = np.sqrt(np.diag(cov))
    return FitResult(values={"chi": -coef[1], "ln_K_tau": coef[0]},
                     stderr={"chi": se[1], "ln_K_tau": se[0]}, correlation=_corr(cov),
                     rms_residual=float(np.sqrt(np.mean(res**2))))


def _corr(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return cov / np.outer(d, d)
