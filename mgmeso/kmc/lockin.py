"""Lock-in analysis of oscillatory runs: E', E'', tan delta from the fundamental component.

For each window of whole cycles, stress and strain are each fitted by least squares to
``a + b (t - t_mid) + c sin(theta) + d cos(theta)`` with ``theta = omega (t - t_seg0)``
(the drift terms absorb creep and the slow change of a scan). The phasor of a signal is
``c + i d``; the complex modulus is the ratio of the stress and strain phasors,
``E* = E' + i E''``. Per window the replicas give independent estimates; the table
holds their mean and standard error (``tan delta`` from the mean E*, its SE by the
delta method).

Conditional-mean columns (``stress_MPa_expected``, ``strain_expected``) are used: the
units in local equilibrium enter at their mean, which removes their sampling noise
and changes no expectation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..constants import SECONDS_PER_MINUTE

__all__ = ["phasor", "lockin_windows", "dma_table", "window_average"]


def phasor(t: np.ndarray, x: np.ndarray, omega: float, t0: float) -> complex:
    """Phasor ``c + i d`` of ``x(t) ~ a + b (t - t_mid) + c sin(w(t - t0)) + d cos(w(t - t0))``.

    Parameters
    ----------
    t : numpy.ndarray
        Times (s), shape (n,).
    x : numpy.ndarray
        Signal, shape (n,).
    omega : float
        Angular frequency (rad/s).
    t0 : float
        Phase origin (s), the segment start.

    Returns
    -------
    complex
        The phasor (units of ``x``).
    """
    th = omega * (t - t0)
    A = np.column_stack([np.ones_like(t), t - t.mean(), np.sin(th), np.cos(th)])
    coef, *_ = np.linalg.lstsq(A, x, rcond=None)
    return complex(coef[2], coef[3])


def lockin_windows(t, stress, strain, omega, t0, cycles_per_window: int, skip_cycles: int = 0):
    """E* per window of ``cycles_per_window`` whole cycles (after ``skip_cycles``).

    Parameters
    ----------
    t : numpy.ndarray
        Sample times (s), shape (n,).
    stress, strain : numpy.ndarray
        Stress (MPa) and strain at those times, shape (n,).
    omega : float
        Angular frequency (rad/s).
    t0 : float
        Segment start (s), the phase origin.
    cycles_per_window : int
        Whole cycles per window.
    skip_cycles : int
        Cycles skipped at the start (transient).

    Returns
    -------
    t_mid : numpy.ndarray
        float (windows,): mean sample time of each window (s).
    E : numpy.ndarray
        complex (windows,): ``E' + i E''`` (MPa).
    """
    period = 2 * np.pi / omega
    n_cyc = int(np.floor((t[-1] - t0) / period + 1e-9))
    edges = np.arange(skip_cycles, n_cyc + 1, cycles_per_window)
    tm, E = [], []
    for a, b in zip(edges[:-1], edges[1:]):
        sel = (t > t0 + a * period + 1e-12) & (t <= t0 + b * period + 1e-9)
        if sel.sum() < 6:
            continue
        ps = phasor(t[sel], stress[sel], omega, t0)
        pe = phasor(t[sel], strain[sel], omega, t0)
        tm.append(float(t[sel].mean()))
        E.append(ps / pe)
    return np.array(tm), np.array(E)


def dma_table(series, setup, temperature_window_K: float = 1.0, skip_cycles: int = 1) -> dict:
    """Lock-in table of a DMA run (isochronal: per temperature window; isothermal: per frequency).

    Parameters
    ----------
    series : callable
        ``series(name)`` -> (case, replica, sample) array of a time-series variable
        (e.g. ``RunData.series`` of an opened store).
    setup : KmcSetup
        Its setup (programs tell the frequencies and segment starts).
    temperature_window_K : float
        Width of the temperature windows of an isochronal scan.
    skip_cycles : int
        Cycles skipped at the start of each isothermal segment (transient).

    Returns
    -------
    dict of arrays: ``time_s`` (mid-time of the window), ``temperature_K, frequency_Hz,
    E_storage_MPa, E_loss_MPa, tan_delta`` and
    ``E_storage_MPa_se, E_loss_MPa_se, tan_delta_se, n_replicas``, ``window_K`` (the
    temperature span of each window; a fit of one phasor over a window estimates the
    window average of E*, so compare with the model averaged over the same span) and
    ``case`` (the case index, int).
    """
    t_all = series("time_s")
    s_all = series("stress_MPa_expected")
    e_all = series("strain_expected")
    T_all = series("temperature_K")
    seg_all = series("segment")
    rows: dict[str, list] = {k: [] for k in ("time_s", "temperature_K", "frequency_Hz",
                                             "E_storage_MPa", "E_loss_MPa", "tan_delta",
                                             "E_storage_MPa_se", "E_loss_MPa_se", "tan_delta_se",
                                             "n_replicas", "window_K", "case")}
    for c, prog in enumerate(setup.programs):
        t_start = 0.0
        for k, seg in enumerate(prog.segments):
            if seg.type != "oscillate":
                continue
            omega = 2 * np.pi * seg.frequency_Hz
            if seg.ramp_K_per_min > 0:
                cyc = max(1, int(round(temperature_window_K
                                       / (seg.ramp_K_per_min / SECONDS_PER_MINUTE)
                                       * seg.frequency_Hz)))
                span_K = cyc / seg.frequency_Hz * seg.ramp_K_per_min / SECONDS_PER_MINUTE
            else:
                cyc = max(1, int(np.floor(seg.cycles)) - skip_cycles)
                span_K = 0.0
            per_rep: list = []
            temps: Any = None
            mids: Any = None
            for r in range(t_all.shape[1]):
                sel = (seg_all[c, r] == k) & np.isfinite(t_all[c, r])
                if sel.sum() < 6:
                    continue
                t = t_all[c, r][sel]
                tm, E = lockin_windows(t, s_all[c, r][sel], e_all[c, r][sel], omega, t_start, cyc,
                                       skip_cycles)
                per_rep.append(E)
                if temps is None:
                    temps = np.interp(tm, t, T_all[c, r][sel])
                    mids = tm
            if not per_rep:
                continue
            n = min(len(E) for E in per_rep)
            Es = np.array([E[:n] for E in per_rep])          # (replicas, windows)
            m = Es.mean(axis=0)
            R = Es.shape[0]
            se_r = Es.real.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.full(n, np.nan)
            se_i = Es.imag.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.full(n, np.nan)
            td = Es.imag / Es.real
            se_td = td.std(axis=0, ddof=1) / np.sqrt(R) if R > 1 else np.full(n, np.nan)
            rows["time_s"] += list(mids[:n])
            rows["temperature_K"] += list(temps[:n])
            rows["frequency_Hz"] += [seg.frequency_Hz] * n
            rows["E_storage_MPa"] += list(m.real)
            rows["E_loss_MPa"] += list(m.imag)
            rows["tan_delta"] += list(m.imag / m.real)
            rows["E_storage_MPa_se"] += list(se_r)
            rows["E_loss_MPa_se"] += list(se_i)
            rows["tan_delta_se"] += list(se_td)
            rows["n_replicas"] += [R] * n
            rows["window_K"] += [span_K] * n
            rows["case"] += [c] * n
            t_start += seg.duration_s
    out = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    out["case"] = out["case"].astype(int)
    return out


def window_average(model, temperature_K, window_K, n: int = 9):
    """Average of ``model(T)`` (complex or real arrays) over each window ``T +/- window/2``.

    Parameters
    ----------
    model : callable
        ``model(T)`` on an array of temperatures (K).
    temperature_K : array_like
        Window centres (K).
    window_K : array_like
        Window widths (K).
    n : int
        Midpoint-rule points per window.

    Returns
    -------
    numpy.ndarray
        The averages, of the shape of ``model(temperature_K)``.
    """
    T = np.asarray(temperature_K, float)
    offs = (np.arange(n) + 0.5) / n - 0.5
    return np.mean([model(T + o * np.asarray(window_K, float)) for o in offs], axis=0)
