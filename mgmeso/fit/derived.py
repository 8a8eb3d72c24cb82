"""Derived-quantity fits the papers use, computed from the data alone (no QPD model).

* Arrhenius fit of beta-peak temperatures over frequencies ([Hao2022] Fig. 3c: U_beta, tau_beta0);
* chi from the slope of ln tan(delta) against ln omega per isotherm ([Hao2022] Eq. 27);
* KWW fits of relaxation curves ([Duan2022] Eq. 1);
* time-temperature superposition shifts of isothermal sweeps.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks, savgol_filter

from ..theory import analysis
from .data import Dataset

__all__ = ["beta_peak_temperature", "derived_fits"]


def beta_peak_temperature(T_K: np.ndarray, E_loss: np.ndarray) -> float | None:
    """Temperature of the lowest interior maximum of a (lightly smoothed) E''(T) curve."""
    T, E = np.asarray(T_K, float), np.asarray(E_loss, float)
    if T.size < 9:
        return None
    win = max(5, (T.size // 15) | 1)
    Es = savgol_filter(E, win, 2)
    peaks, _ = find_peaks(Es, prominence=0.02 * (Es.max() - Es.min()))
    peaks = [p for p in peaks if 2 <= p <= T.size - 3]
    if not peaks:
        return None
    p = peaks[0]
    # least-squares parabola through the raw points near the top (within 3 % of the peak's height
    # above the curve's minimum): robust to noise, unlike the three points around the maximum
    level = Es[p] - 0.03 * (Es[p] - Es.min())
    lo, hi = p, p
    while lo > 0 and Es[lo - 1] >= level:
        lo -= 1
    while hi < T.size - 1 and Es[hi + 1] >= level:
        hi += 1
    lo, hi = max(lo, p - 40), min(hi, p + 40)
    if hi - lo < 4:
        lo, hi = max(p - 2, 0), min(p + 2, T.size - 1)
    a, b, _ = np.polyfit(T[lo:hi + 1] - T[p], E[lo:hi + 1], 2)
    if a >= 0:
        return float(T[p])
    return float(T[p] - b / (2 * a))


def derived_fits(datasets: list[Dataset]) -> dict:
    """Every derived fit the given data allow, as plain numbers for the report and fit.json."""
    out: dict = {}
    peaks = []
    for ds in datasets:
        c = ds.columns
        if ds.kind == "dma-isochronal" and "E_loss_MPa" in c and "frequency_Hz" in c:
            for f in np.unique(c["frequency_Hz"]):
                idx = c["frequency_Hz"] == f
                Tp = beta_peak_temperature(c["temperature_K"][idx], c["E_loss_MPa"][idx])
                if Tp is not None:
                    peaks.append((float(f), Tp))
    if peaks:
        out["beta_peaks"] = [{"frequency_Hz": f, "T_K": T} for f, T in peaks]
    if len({f for f, _ in peaks}) >= 2:
        f = np.array([p[0] for p in peaks])
        T = np.array([p[1] for p in peaks])
        fit = analysis.arrhenius_fit(T, 1.0 / (2 * np.pi * f))
        out["beta_peak_arrhenius"] = {"U_kJ_per_mol": fit["U_kJ_per_mol"],
                                      "U_se_kJ_per_mol": fit.stderr["U_kJ_per_mol"],
                                      "tau0_s": fit["tau0_s"], "tau0_se_s": fit.stderr["tau0_s"]}
    chis = []
    for ds in datasets:
        c = ds.columns
        if ds.kind == "dma-isothermal" and "frequency_Hz" in c:
            tand = c.get("tan_delta")
            if tand is None and "E_loss_MPa" in c and "E_storage_MPa" in c:
                tand = c["E_loss_MPa"] / c["E_storage_MPa"]
            if tand is None:
                continue
            for T in np.unique(c["temperature_K"]):
                idx = c["temperature_K"] == T
                if idx.sum() >= 3 and np.all(tand[idx] > 0):
                    fit = analysis.chi_from_tan_delta(2 * np.pi * c["frequency_Hz"][idx], tand[idx])
                    chis.append({"temperature_K": float(T), "chi": fit["chi"],
                                 "chi_se": fit.stderr["chi"]})
    if chis:
        out["chi_from_tan_delta"] = chis
    for ds in datasets:
        c = ds.columns
        y = c.get("tan_delta", c.get("E_loss_MPa"))
        if ds.kind != "dma-isothermal" or y is None or np.any(y <= 0):
            continue
        temps = np.unique(c["temperature_K"])
        if temps.size < 2:
            continue
        lf = [np.log10(c["frequency_Hz"][c["temperature_K"] == T]) for T in temps]
        ly = [np.log10(y[c["temperature_K"] == T]) for T in temps]
        ref = temps.size // 2
        shifts = analysis.tts_shifts(lf, ly, ref)
        out.setdefault("tts_shifts", []).append(
            {"file": str(ds.path), "reference_T_K": float(temps[ref]),
             "curve": "tan_delta" if "tan_delta" in c else "E_loss_MPa",
             "shifts": [{"temperature_K": float(T), "log10_a_T": float(a)} for T, a in zip(temps, shifts)]})
    kww = []
    for ds in datasets:
        c = ds.columns
        if ds.kind == "relaxation":
            T = c.get("temperature_K", np.zeros(len(ds)))
            for Tv in np.unique(T):
                idx = T == Tv
                if idx.sum() >= 5:
                    try:
                        fit = analysis.kww_fit(c["time_s"][idx], c["stress_MPa"][idx])
                    except (RuntimeError, ValueError):
                        continue
                    kww.append({"temperature_K": float(Tv), **{k: float(v) for k, v in fit.values.items()},
                                **{f"{k}_se": float(v) for k, v in fit.stderr.items()}})
    if kww:
        out["kww"] = kww
    return out
