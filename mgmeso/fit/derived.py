"""Derived-quantity fits the papers use, computed from the data alone (no QPD model).

* Arrhenius fit of beta-peak temperatures over frequencies ([Hao2022], Fig. 3c: U_beta, tau_beta0);
* chi from the slope of ln tan(delta) against ln omega per isotherm ([Hao2022], Eq. 27);
* KWW fits of relaxation curves ([Duan2022], Eq. 1);
* time-temperature superposition shifts of isothermal sweeps, on E' and E'' jointly
  (:mod:`mgmeso.fit.tts`), with Arrhenius and WLF fits of the shifts.
"""

from __future__ import annotations

import contextlib

import numpy as np
from scipy.signal import find_peaks, savgol_filter

from ..theory import analysis
from . import tts
from .data import Dataset

__all__ = ["beta_peak_temperature", "derived_fits"]


def beta_peak_temperature(T_K: np.ndarray, E_loss: np.ndarray) -> float | None:
    """Temperature of the lowest interior maximum of a (lightly smoothed) E''(T) curve.

    Parameters
    ----------
    T_K : numpy.ndarray
        Temperatures (K), increasing.
    E_loss : numpy.ndarray
        E'' at those temperatures.

    Returns
    -------
    float or None
        The temperature (K), or None without an interior maximum.
    """
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


def _tts(ds: Dataset) -> dict | None:
    c = ds.columns
    if "E_storage_MPa" in c and "E_loss_MPa" in c:
        names, curve = ["E_storage_MPa", "E_loss_MPa"], "E_storage_MPa and E_loss_MPa jointly"
    elif "tan_delta" in c:
        names, curve = ["tan_delta"], "tan_delta"
    elif "E_loss_MPa" in c:
        names, curve = ["E_loss_MPa"], "E_loss_MPa"
    else:
        return None
    curves = []
    for T, idx in ds.curves():
        if idx.size >= 3 and all(np.all(c[n][idx] > 0) for n in names) and \
                np.ptp(np.log10(c["frequency_Hz"][idx])) > 0:
            curves.append((T, c["frequency_Hz"][idx], [c[n][idx] for n in names]))
    if len(curves) < 2:
        return None
    r = tts.tts_joint(curves)
    out = {"file": str(ds.path), "reference_T_K": r["reference_T_K"], "curve": curve,
           "monotonic": r["monotonic"],
           "shifts": [{"temperature_K": float(T), "log10_a_T": float(a)}
                      for T, a in zip(r["temperature_K"], r["log10_a_T"])],
           "pair_rms_decades": r["pair_rms_decades"]}
    if len(curves) >= 3:
        with _guard(out, "Arrhenius fit of the shifts"):
            out["arrhenius"] = tts.arrhenius_shift_fit(r["temperature_K"], r["log10_a_T"])
        with _guard(out, "WLF fit of the shifts"):
            wlf = tts.wlf_fit(r["temperature_K"], r["log10_a_T"], r["reference_T_K"])
            if wlf is not None:
                out["wlf"] = wlf
    return out


@contextlib.contextmanager
def _guard(out: dict, what: str):
    """Skip a derived fit the data do not allow with a note, not a crash of the whole fit.

    These are side results computed from the raw data (degenerate temperatures, a flat curve).
    """
    try:
        with np.errstate(all="ignore"):
            yield
    except (ValueError, RuntimeError, FloatingPointError, ZeroDivisionError,
            np.linalg.LinAlgError) as exc:
        out.setdefault("skipped", []).append(f"{what}: {exc}")


def derived_fits(datasets: list[Dataset]) -> dict:
    """Every derived fit the given data allow, as plain numbers for the report and fit.json.

    ``warnings`` collects what the reader must know (a chi outside (0, 1], TTS shifts not
    monotonic in T).

    Parameters
    ----------
    datasets : list of Dataset
        The data sets of the fit.

    Returns
    -------
    dict
        One entry per derived fit, and ``warnings``.
    """
    out: dict = {}
    warnings: list[str] = []
    peaks = []
    for ds in datasets:
        c = ds.columns
        if ds.kind == "dma-isochronal" and "E_loss_MPa" in c and "frequency_Hz" in c:
            for f, idx in ds.curves():
                with _guard(out, f"beta peak of {ds.path} at {f:g} Hz"):
                    Tp = beta_peak_temperature(c["temperature_K"][idx], c["E_loss_MPa"][idx])
                    if Tp is not None:
                        peaks.append((float(np.mean(c["frequency_Hz"][idx])), Tp))
    if peaks:
        out["beta_peaks"] = [{"frequency_Hz": f, "T_K": T} for f, T in peaks]
    if len({round(f, 9) for f, _ in peaks}) >= 2:
        f = np.array([p[0] for p in peaks])
        T = np.array([p[1] for p in peaks])
        with _guard(out, "Arrhenius fit of the beta peaks"):
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
                with np.errstate(divide="ignore", invalid="ignore"):
                    tand = c["E_loss_MPa"] / c["E_storage_MPa"]
            if tand is None:
                continue
            for T, idx in ds.curves():
                w = 2 * np.pi * c["frequency_Hz"][idx]
                if idx.size >= 3 and np.all(np.isfinite(tand[idx]) & (tand[idx] > 0)) and np.ptp(w) > 0:
                    with _guard(out, f"chi from tan delta at {T:g} K"):
                        fit = analysis.chi_from_tan_delta(w, tand[idx])
                        chis.append({"temperature_K": float(T), "chi": fit["chi"],
                                     "chi_se": fit.stderr["chi"]})
    if chis:
        out["chi_from_tan_delta"] = chis
        bad = [x for x in chis if not 0 < x["chi"] <= 1]
        if bad:
            warnings.append(
                f"chi from the slope of ln tan(delta) against ln omega is outside (0, 1] at "
                f"{len(bad)} of {len(chis)} temperatures (" + ", ".join(
                    f"{x['chi']:+.3f} at {x['temperature_K']:.1f} K" for x in bad[:6])
                + (", ..." if len(bad) > 6 else "") + "): the relation chi = -d ln tan(delta) / "
                "d ln omega holds only on the high-frequency flank of the relaxation (omega "
                "tau >> 1); there these sweeps are not, so those values are not chi")
    for ds in datasets:
        if ds.kind != "dma-isothermal" or "frequency_Hz" not in ds.columns:
            continue
        t = None
        with _guard(out, f"time-temperature shifts of {ds.path}"):
            t = _tts(ds)
        if t is None:
            continue
        out.setdefault("tts_shifts", []).append(t)
        if not t["monotonic"]:
            warnings.append(f"{ds.path}: the time-temperature shifts are not monotonic in T: the "
                            f"sweeps do not superpose (not thermorheologically simple, or too "
                            f"little overlap between neighbouring sweeps)")
    kww = []
    for ds in datasets:
        c = ds.columns
        if ds.kind == "relaxation":
            for Tv, idx in ds.curves():
                if idx.size >= 5:
                    with _guard(out, f"KWW fit at {Tv:g} K"):
                        fit = analysis.kww_fit(c["time_s"][idx], c["stress_MPa"][idx])
                        kww.append({"temperature_K": float(Tv),
                                    **{k: float(v) for k, v in fit.values.items()},
                                    **{f"{k}_se": float(v) for k, v in fit.stderr.items()}})
    if kww:
        out["kww"] = kww
    if warnings:
        out["warnings"] = warnings
    return out
