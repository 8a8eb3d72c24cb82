"""Analysis helpers used on model output and on measured data.

* :func:`kww_fit` -- ``sigma = sigma0 exp(-(t/tau_c)^beta)`` ([Duan2022] Eq. 1 as corrected,
  docs/model.md E15: sigma0 free, no residual term);
* :func:`arrhenius_fit` -- ``tau = tau0 exp(U/(R T))`` from (T, tau) pairs, e.g. beta-peak
  temperatures at several frequencies with ``tau = 1/(2 pi f)`` ([Hao2022] Fig. 3c);
* :func:`chi_from_tan_delta` -- ``chi = -d ln(tan delta)/d ln(omega)`` ([Hao2022] Eq. 27,
  [Qiao2019] Eq. 4-11; valid on the alpha high-frequency wing only, docs/model.md E11);
* :func:`loss_features` -- alpha peak and the beta feature of E''(T): peak, shoulder or
  excess wing ([Duan2022] Fig. 1, [Hao2022] Fig. 6b);
* :func:`fragility` -- m = d log10 tau_alpha / d(Tg/T) at Tg (taking tau_alpha = tau_max),
  and the secondary fragility m_beta ([Zhang2023] Eqs. 15-16);
* :func:`tts_shifts` -- empirical horizontal shift factors of isotherms ([Qiao2019] Sec. 2.1.1).

Every fit returns values with standard errors from the Jacobian.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import curve_fit, minimize_scalar
from scipy.signal import find_peaks

from ..config.material import Material
from ..constants import R_J_PER_MOL_K
from . import kinetics

__all__ = ["FitResult", "FitNotDetermined", "kww_fit", "kww_fit_or_reason", "arrhenius_fit",
           "chi_from_tan_delta", "loss_features", "fragility", "tts_shifts", "relaxation_steps"]


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


def loss_features(T_K, E_loss_MPa, shoulder_ratio: float = 0.5, wing_ratio: float = 0.9) -> dict:
    """Alpha peak and beta feature of an isochronal loss curve E''(T).

    The alpha peak is the largest maximum. Below it, with the log-slope
    ``s(T) = d ln E''/dT``, the beta process shows as a dip of s. Its depth is
    ``r = s_min / s_ref``, where ``s_ref`` is the steepest slope of the flank
    below the dip:

    * ``peak``: E'' has a local maximum (r < 0);
    * ``shoulder``: ``0 <= r < shoulder_ratio`` (E'' nearly flat over the dip);
    * ``excess_wing``: ``shoulder_ratio <= r < wing_ratio`` (the flank only bends);
    * ``none``: no dip deeper than ``wing_ratio``.

    The thresholds are conventions (the papers name the forms without a
    criterion, [Duan2022] Fig. 1, [Hao2022] Fig. 6b). ``r`` depends on where the
    scan starts, since s_ref is read within it.

    Returns
    -------
    dict
        ``alpha_T_K``, ``alpha_E_loss_MPa``, ``beta_kind``, ``beta_T_K``,
        ``beta_E_loss_MPa`` and ``beta_slope_ratio`` (r).

    Parameters
    ----------
    T_K : array_like
        Temperatures of the scan (K), increasing, shape (n,).
    E_loss_MPa : array_like
        Loss modulus E'' (MPa), shape (n,).
    shoulder_ratio, wing_ratio : float
        Thresholds of ``r`` between peak/shoulder/excess wing/none (see above).
    """
    T = np.asarray(T_K, dtype=float)
    E = np.asarray(E_loss_MPa, dtype=float)
    ia = int(np.argmax(E))
    out = {"alpha_T_K": float(T[ia]), "alpha_E_loss_MPa": float(E[ia]), "beta_kind": "none",
           "beta_T_K": None, "beta_E_loss_MPa": None, "beta_slope_ratio": None}
    if ia < 5:
        return out
    lo = np.log(np.maximum(E[: ia + 1], 1e-300))
    Tl = T[: ia + 1]
    peaks, _ = find_peaks(lo, prominence=1e-3)
    peaks = [p for p in peaks if 0 < p < ia]
    if peaks:
        p = max(peaks, key=lambda k: lo[k])
        out.update(beta_kind="peak", beta_T_K=float(Tl[p]), beta_E_loss_MPa=float(E[p]))
        s = np.gradient(lo, Tl)
        out["beta_slope_ratio"] = float(np.min(s[p:ia]) / max(np.max(s[:p + 1]), 1e-300))
        return out
    s = np.gradient(lo, Tl)
    # the steepest point of the alpha flank: the slope maximum nearest below the alpha peak
    scale = float(np.max(np.abs(s[:ia])))
    flank, _ = find_peaks(s[:ia], prominence=0.02 * scale)
    i_steep = int(flank[-1]) if flank.size else int(np.argmax(s[:ia]))
    mins, _ = find_peaks(-s[:i_steep])
    best = None
    for m in mins:
        s_ref = float(np.max(s[: m + 1]))
        if s_ref <= 0.05 * scale:  # no real flank below: noise on a flat background
            continue
        r = float(s[m]) / s_ref
        if best is None or r < best[1]:
            best = (m, r)
    if best is None:
        return out
    m, r = best
    out["beta_slope_ratio"] = r
    if r < shoulder_ratio:
        out.update(beta_kind="shoulder", beta_T_K=float(Tl[m]), beta_E_loss_MPa=float(E[m]))
    elif r < wing_ratio:
        out.update(beta_kind="excess_wing", beta_T_K=float(Tl[m]), beta_E_loss_MPa=float(E[m]))
    return out


def fragility(mat: Material, chi_law: str = "linear", dT: float = 1e-3) -> dict:
    """Kinetic fragility of tau_max just above and just below Tg, and m_beta.

    ``m = d log10 tau / d(Tg/T)`` at T = Tg ([Zhang2023] Eq. 15, taking tau_alpha =
    tau_max); ``m_beta = U_beta / (R Tg ln 10)`` for the Arrhenius beta time
    ([Zhang2023] Eq. 16; an identity, docs/model.md E17).

    Parameters
    ----------
    mat : Material
        The material parameters.
    chi_law : {'linear', 'defects'}
        Law of chi(T) (see :func:`~mgmeso.theory.kinetics.chi`).
    dT : float
        Finite-difference step (K).

    Returns
    -------
    dict
        ``m_above_Tg``, ``m_below_Tg`` and ``m_beta`` (dimensionless).
    """
    Tg = mat.Tg_K

    def log_tmax(T):
        tb = kinetics.tau_beta(mat, T)
        return float(np.log10(kinetics.tau_max(mat, tb, kinetics.chi(mat, T, law=chi_law))))

    def m_side(T1, T2):
        return (log_tmax(T2) - log_tmax(T1)) / (Tg / T2 - Tg / T1)

    return {
        "m_above_Tg": m_side(Tg + dT, Tg + 2 * dT),
        "m_below_Tg": m_side(Tg - 2 * dT, Tg - dT),
        "m_beta": mat.U_beta_J_per_mol / (R_J_PER_MOL_K * Tg * np.log(10.0)),
    }


def tts_shifts(log_f: list[np.ndarray], log_y: list[np.ndarray], ref_index: int) -> np.ndarray:
    """Empirical horizontal shifts that superpose isotherms onto the reference.

    Each curve is shifted onto its already-shifted neighbour (towards the reference) by
    minimising the squared difference of ``log_y`` over the overlap of the two curves (linear
    interpolation). Curves are given in order of temperature.

    Parameters
    ----------
    log_f : list of numpy.ndarray
        log10 frequency of each isotherm.
    log_y : list of numpy.ndarray
        The superposed quantity (e.g. log10 tan delta) of each isotherm, same shapes.
    ref_index : int
        Index of the reference isotherm.

    Returns
    -------
    numpy.ndarray
        float64 (n_curves,): ``log10 a_T`` per curve (0 for the reference); the reduced
        frequency is ``f * a_T``.
    """
    n = len(log_f)
    shift = np.zeros(n)

    def mismatch(d, x1, y1, x0, y0):
        xs = x1 + d
        lo, hi = max(xs.min(), x0.min()), min(xs.max(), x0.max())
        if hi - lo < 0.2 * (x0.max() - x0.min()):
            return 1e6 + (hi - lo) ** 2
        grid = np.linspace(lo, hi, 50)
        return float(np.mean((np.interp(grid, xs, y1) - np.interp(grid, x0, y0)) ** 2))

    order = list(range(ref_index + 1, n)) + list(range(ref_index - 1, -1, -1))
    grid = np.linspace(-20.0, 20.0, 801)  # decades; coarse scan, then a local refinement
    for i in order:
        j = i - 1 if i > ref_index else i + 1
        x0, y0 = log_f[j] + shift[j], log_y[j]
        vals = [mismatch(d, log_f[i], log_y[i], x0, y0) for d in grid]
        d0 = grid[int(np.argmin(vals))]
        res = minimize_scalar(mismatch, bounds=(d0 - 0.1, d0 + 0.1), method="bounded",
                              args=(log_f[i], log_y[i], x0, y0), options={"xatol": 1e-8})
        shift[i] = res.x
    return shift


def relaxation_steps(t_s, stress_MPa, min_prominence: float = 0.02,
                     count_edge: bool = True) -> list[float]:
    """Find the times of the distinct decay steps of a relaxation curve.

    A step is a peak of ``-d(sigma/sigma0)/d ln t`` (the measure [Hao2023] Fig. 2a
    uses for tau_1) with a prominence of at least ``min_prominence`` of its maximum.
    With ``count_edge`` (the default) a decay still accelerating at the end of
    the window also counts, as a step at the window end; ``count_edge=False``
    counts only steps with their own maximum inside the window (the honest
    count, used by the protocol summaries and the validation suite: an edge is
    not a step). Two entries means a two-step decay.

    Parameters
    ----------
    t_s : array_like
        Times (s), increasing and positive, shape (n,).
    stress_MPa : array_like
        Stresses (MPa), shape (n,), normalised by the first.
    min_prominence : float
        Smallest prominence of a step, relative to the largest rate.
    count_edge : bool
        Count a decay still accelerating at the window end as a step there.

    Returns
    -------
    list of float
        Step times (s), increasing.
    """
    t = np.asarray(t_s, dtype=float)
    s = np.asarray(stress_MPa, dtype=float) / float(stress_MPa[0])
    rate = -np.gradient(s, np.log(t))
    if not np.any(rate > 0):
        return []
    thr = min_prominence * float(np.max(rate))
    peaks, _ = find_peaks(rate, prominence=thr)
    steps = [float(t[p]) for p in peaks]
    # a step still under way when the window closes is counted at the window end
    if count_edge and rate.size > 2 and rate[-1] > rate[-2] and rate[-1] >= thr:
        steps.append(float(t[-1]))
    return steps


def _corr(cov: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    return cov / np.outer(d, d)
