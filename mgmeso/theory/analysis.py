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

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import find_peaks

from ..config.material import Material
from ..constants import R_J_PER_MOL_K
from . import kinetics
from .fits import FitNotDetermined, FitResult, arrhenius_fit, chi_from_tan_delta, kww_fit, kww_fit_or_reason

__all__ = ["FitResult", "FitNotDetermined", "kww_fit", "kww_fit_or_reason", "arrhenius_fit",
           "chi_from_tan_delta", "loss_features", "fragility", "tts_shifts", "relaxation_steps"]


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


