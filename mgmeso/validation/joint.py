"""The joint study: whether one parameter set meets [Hao2022] and [Hao2023] at once.

Targets (the numbers the two papers report, with the tolerances of the cases):

* 1 Hz E'' peaks (exact form): beta 360 +/- 5 K, alpha 480 +/- 5 K ([Hao2022] Fig. 5);
* five distinct beta peaks at 1-16 Hz whose Arrhenius fit gives 83.12 kJ/mol +/- 5 %
  ([Hao2022] Fig. 3c);
* E'(300 K) = 33 GPa and E' after beta = 30.6 GPa, +/- 1 % ([Hao2022] Table 1, Fig. 5);
* initial slope of the 430 K tension curve 29.8 GPa +/- 1 % ([Hao2022] Fig. 10; linear,
  the first 0.05 % of strain);
* beta share of the stress decay at 315 K (0.5-1000 s) 5 +/- 0.5 % ([Hao2023] Fig. 3);
* a two-step decay, i.e. two interior maxima of -d sigma/d ln t within 0.5-1800 s, the
  second removing at least 1 % of sigma0 inside the window, at some temperature of 315-350 K
  ([Hao2023] Fig. 1; at 355-360 K it is impossible for every parameter set that keeps the
  1 Hz beta peak at 360 K, see :func:`beta_step_bound`);
* the sharp drop of E' through alpha, E'(500 K)/E'(430 K) < 0.1 ([Hao2022] Fig. 5);
* the tension peak of 370 MPa +/- 10 % is met afterwards by sigma1 alone (it does not
  change the linear targets), see :func:`sigma1_for_peak`.

:func:`evaluate_targets` computes the model's numbers; :func:`objective` turns them into
a penalty (0 when every target is met), which ``scripts/study_joint_fit.py`` minimises
by differential evolution within physical bounds (:data:`BOUNDS`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..constants import R_J_PER_MOL_K

__all__ = [
    "BOUNDS",
    "TARGETS",
    "beta_step_bound",
    "evaluate_targets",
    "material_from",
    "objective",
    "sigma1_for_peak",
    "violations",
]

#: free parameters and their physical bounds (log10 for times and intensities)
BOUNDS = {
    "U_beta_kJ_per_mol": (70.0, 100.0),
    "log10_tau_beta0_s": (-16.0, -10.0),
    "B_beta": (0.2, 3.0),
    "E_unrelaxed_MPa": (31000.0, 35000.0),
    "Er_over_Eu": (0.85, 0.995),
    "log10_A_an_per_MPa": (-8.0, -3.5),
    "chi_g": (0.1, 1.0),
    "a1_per_K": (0.0, 0.02),
    "log10_t0_s": (-14.0, -1.0),      # t0 is a microscopic time scale: no shorter than ~1e-14 s
}

#: target -> (reference, tolerance, kind): kind 'abs' or 'rel' (|value - ref| <= tol or
#: tol |ref|), or 'max' (value <= ref; the tolerance scales the violation)
TARGETS = {
    "E_drop_500_over_430K": (0.1, 0.1, "max"),
    "beta_peak_1Hz_K": (360.0, 5.0, "abs"),
    "alpha_peak_1Hz_K": (480.0, 5.0, "abs"),
    "U_arrhenius_kJ_per_mol": (83.12, 0.05, "rel"),
    "E_300K_MPa": (33000.0, 0.01, "rel"),
    "E_after_beta_MPa": (30600.0, 0.01, "rel"),
    "initial_modulus_430K_MPa": (29800.0, 0.01, "rel"),
    "beta_share_315K": (0.05, 0.005, "abs"),
}

_T_SCAN = np.arange(300.0, 560.0, 0.5)
_FREQS = (1.0, 2.0, 4.0, 8.0, 16.0)
_TWO_STEP_T = (315.0, 325.0, 335.0, 345.0, 350.0)


def material_from(base, x: dict):
    """Build a Material from the free parameters ``x`` (keys of :data:`BOUNDS`).

    Parameters
    ----------
    base : Material
        Values of the other keys.
    x : dict
        Free parameter -> value.

    Returns
    -------
    Material
        The material.
    """
    Eu = x["E_unrelaxed_MPa"]
    return dataclasses.replace(
        base, U_beta_kJ_per_mol=x["U_beta_kJ_per_mol"], tau_beta0_s=10.0 ** x["log10_tau_beta0_s"],
        B_beta=x["B_beta"], E_unrelaxed_MPa=Eu, E_relaxed_beta_MPa=Eu * x["Er_over_Eu"],
        A_an_per_MPa=10.0 ** x["log10_A_an_per_MPa"], A_vp_per_MPa=None, chi_g=x["chi_g"],
        a1_per_K=x["a1_per_K"], t0_s=10.0 ** x["log10_t0_s"])


def _relax(mat, T, t, strain_of_t=None, ppd=20):
    from ..theory import gumbel_grid, state_point
    from ..theory.volterra import relax_stress

    f = strain_of_t or (lambda x: np.full_like(x, 0.006))
    return relax_stress(mat, state_point(mat, T), gumbel_grid(mat.B_beta, 121), f, t,
                        points_per_decade=ppd)["stress_MPa"]


def _vertex(x, y, i) -> float:
    """x of the parabola through the three points around index i (the grid value at an edge)."""
    if i <= 0 or i >= len(x) - 1:
        return float(x[i])
    x0, x1, x2 = x[i - 1], x[i], x[i + 1]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    den = (x0 - x1) * (x0 - x2) * (x1 - x2)
    a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
    b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / den
    return float(np.clip(-b / (2 * a), x0, x2)) if a < 0 else float(x1)


def _maxima(t, s):
    """Find the times of the interior maxima of -d(sigma/sigma0)/d ln t.

    Prominence 2 % of the largest, refined by a parabola in ln t (so that the times vary
    continuously with the parameters).
    """
    from scipy.signal import find_peaks

    lt = np.log(t)
    rate = -np.gradient(s / s[0], lt)
    if not np.any(rate > 0):
        return []
    p, _ = find_peaks(rate, prominence=0.02 * rate.max())
    return [float(np.exp(_vertex(lt, rate, k))) for k in p]


def _peak_T(T, E, T_grid_value) -> float:
    """Refine a loss peak temperature by a parabola in ln E'' around the grid maximum."""
    i = int(np.argmin(np.abs(T - T_grid_value)))
    return _vertex(T, np.log(np.maximum(E, 1e-300)), i)


def evaluate_targets(mat, with_two_step: bool = True) -> dict:
    """Evaluate the model's value of every target (NaN where a feature is missing).

    Parameters
    ----------
    mat : Material
        The material.
    with_two_step : bool
        Also search the two-step relaxation (the slow part).

    Returns
    -------
    dict
        Target name -> value.
    """
    from ..theory import analysis, dma_columns, gumbel_grid

    g = gumbel_grid(mat.B_beta, 121)
    out: dict = {}
    c = dma_columns(mat, _T_SCAN, 1.0, g)
    f1 = analysis.loss_features(_T_SCAN, c["E_loss_MPa"])
    out["beta_peak_1Hz_K"] = (_peak_T(_T_SCAN, c["E_loss_MPa"], f1["beta_T_K"])
                              if f1["beta_kind"] == "peak" else float("nan"))
    out["alpha_peak_1Hz_K"] = _peak_T(_T_SCAN, c["E_loss_MPa"], f1["alpha_T_K"])
    Ep = c["E_storage_MPa"]
    out["E_300K_MPa"] = float(Ep[0])
    out["E_drop_500_over_430K"] = float(np.interp(500.0, _T_SCAN, Ep) / np.interp(430.0, _T_SCAN, Ep))
    if f1["beta_kind"] == "peak":
        sel = (_T_SCAN > f1["beta_T_K"]) & (_T_SCAN < f1["alpha_T_K"])
        s = np.gradient(Ep, _T_SCAN)
        out["E_after_beta_MPa"] = float(Ep[sel][int(np.argmax(s[sel]))]) if sel.sum() > 2 else float("nan")
    else:
        out["E_after_beta_MPa"] = float("nan")
    peaks = []
    for f in _FREQS:
        cf = dma_columns(mat, _T_SCAN, f, g) if f != 1.0 else c
        ft = analysis.loss_features(_T_SCAN, cf["E_loss_MPa"])
        if ft["beta_kind"] == "peak":
            peaks.append((f, _peak_T(_T_SCAN, cf["E_loss_MPa"], ft["beta_T_K"])))
    out["n_beta_peaks"] = len(peaks)
    if len(peaks) == len(_FREQS):
        fit = analysis.arrhenius_fit([p[1] for p in peaks], [1 / (2 * np.pi * p[0]) for p in peaks])
        out["U_arrhenius_kJ_per_mol"] = float(fit["U_kJ_per_mol"])
    else:
        out["U_arrhenius_kJ_per_mol"] = float("nan")
    # linear initial slope of the 430 K tension test: ramp 3e-4 1/s to 0.05 % strain
    t = np.linspace(0.05, 5e-4 / 3e-4, 12)
    s = _relax(mat, 430.0, t, lambda x: 3e-4 * x, ppd=20)
    e = 3e-4 * t
    out["initial_modulus_430K_MPa"] = float(np.sum(s * e) / np.sum(e * e))
    t = np.geomspace(0.5, 1000.0, 60)
    s = _relax(mat, 315.0, t)
    out["beta_share_315K"] = float(1 - s[-1] / s[0])
    if with_two_step:
        # a two-step decay at T: an interior maximum at t1 >= 0.5 s and another at t2 <= 1800 s;
        # the margin log10 max(0.5/t1, t2/1800) is <= 0 exactly then (searched in 0.05-1e12 s)
        tw = np.geomspace(0.05, 1e12, 260)
        best: tuple = (np.inf, None, None, None, 0.0)
        for T in _TWO_STEP_T:
            sw = _relax(mat, T, tw, ppd=15)
            mx = _maxima(tw, sw)
            amp = 0.0
            if len(mx) < 2:
                margin = np.inf if not mx else np.log10(max(0.5 / mx[0], 1e12 / 1800))
                t1, t2 = (mx[0] if mx else np.nan), np.nan
            else:
                t1, t2 = mx[0], mx[-1]
                # the second step's decay inside the window: from the rate minimum between the
                # two maxima (or 0.5 s) to 1800 s, as a fraction of sigma0
                lt = np.log(tw)
                rate = -np.gradient(sw / sw[0], lt)
                between = (tw > t1) & (tw < t2)
                t_min = float(tw[between][np.argmin(rate[between])]) if between.any() else t1
                a = np.interp(np.log(max(t_min, 0.5)), lt, sw) - np.interp(np.log(1800.0), lt, sw)
                amp = float(max(a, 0.0) / np.interp(np.log(0.5), lt, sw))
                margin = float(np.log10(max(0.5 / t1, t2 / 1800.0, 0.01 / max(amp, 1e-12))))
            if margin < best[0]:
                best = (margin, T, t1, t2, amp)
        out["two_step_second_amplitude"] = best[4]
        out["two_step_margin_decades"], out["two_step_best_T_K"] = best[0], best[1]
        out["two_step_t1_s"], out["two_step_t2_s"] = best[2], best[3]
    return out


def violations(vals: dict) -> dict:
    """Per target, how far outside its tolerance the model is (0 inside; in tolerances).

    Parameters
    ----------
    vals : dict
        Target values of :func:`evaluate_targets`.

    Returns
    -------
    dict
        Target name -> violation (tolerances; 10 where missing).
    """
    v = {}
    for k, (ref, tol, kind) in TARGETS.items():
        x = vals.get(k, float("nan"))
        if x is None or not np.isfinite(x):
            v[k] = 10.0
            continue
        if kind == "max":
            v[k] = max(0.0, (x - ref) / tol)
            continue
        d = abs(x - ref) / (tol * abs(ref) if kind == "rel" else tol)
        v[k] = max(0.0, d - 1.0)
    v["n_beta_peaks"] = float(max(0, 5 - vals.get("n_beta_peaks", 0)))
    return v


def objective(xvec, base, names=tuple(BOUNDS)) -> float:
    """Penalty: sum of squared violations (in tolerances) + the two-step margin (decades, >= 0).

    Parameters
    ----------
    xvec : sequence of float
        Free parameters in ``names`` order.
    base : Material
        Values of the other keys.
    names : tuple of str
        The free parameters.

    Returns
    -------
    float
        The penalty (1e6 where the model cannot be evaluated).
    """
    x = dict(zip(names, xvec))
    try:
        with np.errstate(all="ignore"):
            vals = evaluate_targets(material_from(base, x))
    except (ValueError, FloatingPointError, RuntimeError):
        return 1e6
    pen = sum(vv**2 for vv in violations(vals).values())
    margin = vals["two_step_margin_decades"]
    return float(pen + (min(max(margin, 0.0), 12.0) if np.isfinite(margin) else 12.0))


def beta_step_bound(T_beta_1Hz_K: float, U_kJ_per_mol: float, t_first_s: float = 0.5) -> float:
    """Highest T at which the beta step can peak after ``t_first_s``, given the 1 Hz beta peak.

    tau_beta(T) = (1/(2 pi)) exp(U/R (1/T - 1/T_beta)) (peak condition w tau_beta = 1); the
    step's maximum of -d sigma/d ln t lies near tau_beta (a little earlier: the relaxation
    time at constant strain is J_el/(J_el + A_beta) tau_beta), so a step maximum at
    t >= t_first needs tau_beta >= t_first: T <= 1/(1/T_beta + R ln(2 pi t_first)/U).

    Parameters
    ----------
    T_beta_1Hz_K : float
        Temperature of the 1 Hz beta peak (K).
    U_kJ_per_mol : float
        Beta activation energy (kJ/mol).
    t_first_s : float
        First observed time (s).

    Returns
    -------
    float
        The temperature (K).
    """
    return 1.0 / (1.0 / T_beta_1Hz_K + R_J_PER_MOL_K * np.log(2 * np.pi * t_first_s)
                  / (U_kJ_per_mol * 1e3))


def sigma1_for_peak(cfg, target_MPa: float = 370.0) -> tuple[float, float]:
    """sigma1 (MPa) that brings the 430 K tension peak to ``target_MPa``; and the peak reached.

    Parameters
    ----------
    cfg : RunConfig
        A 430 K tension config.
    target_MPa : float
        Peak stress wanted (MPa).

    Returns
    -------
    (float, float)
        sigma1 (MPa) and the peak it gives (MPa).
    """
    from scipy.optimize import brentq

    from ..theory import evaluate

    def peak(s1):
        c = dataclasses.replace(cfg, material=dataclasses.replace(cfg.material, sigma1_MPa=float(s1)),
                                protocol=dataclasses.replace(cfg.protocol, unload=False, samples=150))
        return float(evaluate(c).summary["peak_stress_MPa"])

    s1 = brentq(lambda ls: peak(np.exp(ls)) - target_MPa, np.log(2000.0), np.log(2e5), xtol=2e-3)
    return float(np.exp(s1)), peak(np.exp(s1))


class ConstrainedProblem:
    """The two-step margin as objective, every other target as a hard constraint.

    ``margin(x)`` and ``constraints(x)`` (each ``1 - |value - ref|/tol >= 0`` when met) share
    one cached evaluation per point, for derivative-free constrained optimisers (COBYLA).
    """

    def __init__(self, base, names=tuple(BOUNDS)):
        self.base, self.names = base, names
        self._cache: dict = {}
        self.evaluations = 0

    def values(self, xvec) -> dict:
        """Evaluate (once per point, cached) every target at ``xvec``.

        Parameters
        ----------
        xvec : sequence of float
            Free parameters in ``names`` order.

        Returns
        -------
        dict
            Target name -> value (empty where the model fails).
        """
        key = tuple(np.round(np.asarray(xvec, float), 12))
        if key not in self._cache:
            self.evaluations += 1
            try:
                with np.errstate(all="ignore"):
                    self._cache[key] = evaluate_targets(material_from(self.base, dict(zip(self.names, xvec))))
            except (ValueError, FloatingPointError, RuntimeError):
                self._cache[key] = {}
            if len(self._cache) > 256:
                self._cache.pop(next(iter(self._cache)))
        return self._cache[key]

    def margin(self, xvec) -> float:
        """Return the objective: the two-step margin at ``xvec``.

        Parameters
        ----------
        xvec : sequence of float
            Free parameters in ``names`` order.

        Returns
        -------
        float
            Decades, capped at 12.
        """
        m = self.values(xvec).get("two_step_margin_decades", np.inf)
        return float(min(m, 12.0)) if np.isfinite(m) else 12.0

    def constraints(self, xvec) -> np.ndarray:
        """Return the constraints at ``xvec``, each >= 0 when met.

        Parameters
        ----------
        xvec : sequence of float
            Free parameters in ``names`` order.

        Returns
        -------
        numpy.ndarray
            One value per target, the beta-peak count and the bounds.
        """
        vals = self.values(xvec)
        g = []
        for k, (ref, tol, kind) in TARGETS.items():
            x = vals.get(k, float("nan"))
            if not np.isfinite(x):
                g.append(-10.0)
            elif kind == "max":
                g.append((ref - x) / tol)
            else:
                g.append(1.0 - abs(x - ref) / (tol * abs(ref) if kind == "rel" else tol))
        g.append(vals.get("n_beta_peaks", 0) - 4.5)
        lo = np.array([BOUNDS[n][0] for n in self.names])
        hi = np.array([BOUNDS[n][1] for n in self.names])
        x = np.asarray(xvec, float)
        return np.concatenate([g, x - lo, hi - x])
