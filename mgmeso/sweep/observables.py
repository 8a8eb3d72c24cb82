"""Summary observables of one run: the registry the collected sweep dataset is made of.

An observable is one :class:`Observable` entry in :data:`OBSERVABLES` (add one with
:func:`register`): which protocols it applies to, and how to compute it from a kMC
run (mean and standard error over the run's replicas) and from the analytical model
of the same config. Each returns named :class:`Quantity` arrays with their own
dimensions (``case``: the engine's cases of a config, e.g. one per DMA frequency;
``segment``: program segments, numbered from 1; ``step``: relaxation steps).

Registered: ``segment_end`` (strains and stress at the end of every program segment),
``kww`` (stretched exponential fitted to stress relaxation), ``dma_peaks`` (alpha and
beta loss-peak temperatures of isochronal DMA), ``stepped_delta`` (liquid-like fraction
per relaxation step), ``events`` (kMC events per run) and ``localisation`` (localisation
index of the plastic strain at the last snapshot, :mod:`mgmeso.analysis.localisation`);
the last four are defined in :mod:`mgmeso.sweep.scan_observables`.

kMC estimators use the conditional-mean columns (``*_expected``): the units in local
equilibrium enter at their mean, which removes their sampling noise and changes no
expectation.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..config import RunConfig

__all__ = ["OBSERVABLES", "Observable", "Quantity", "register", "selected"]


@dataclass(frozen=True)
class Quantity:
    """An observable's values for one run; ``se`` (same shape) for kMC means, else None."""

    values: np.ndarray
    dims: tuple[str, ...]
    units: str
    description: str
    se: np.ndarray | None = None


@dataclass(frozen=True)
class Observable:
    """One registry entry (see the module docstring)."""

    name: str
    description: str
    applies: Callable[[RunConfig], bool]
    kmc: Callable | None = None         # (RunView) -> dict[str, Quantity]
    theory: Callable | None = None      # (TheoryView) -> dict[str, Quantity]


OBSERVABLES: dict[str, Observable] = {}


def register(obs: Observable) -> Observable:
    """Add an observable to :data:`OBSERVABLES` (replacing one of the same name).

    Parameters
    ----------
    obs : Observable
        The entry.

    Returns
    -------
    Observable
        ``obs`` itself.
    """
    OBSERVABLES[obs.name] = obs
    return obs


def selected(names: list[str] | None, cfg: RunConfig) -> list[Observable]:
    """Return the observables to compute for a run: ``names`` (or all), those that apply to ``cfg``.

    Parameters
    ----------
    names : list of str, optional
        Observable names (default: all registered).
    cfg : RunConfig
        The run's config.

    Returns
    -------
    list of Observable
        The observables.
    """
    pool = [OBSERVABLES[n] for n in names] if names is not None else list(OBSERVABLES.values())
    return [o for o in pool if o.applies(cfg)]


def mean_se(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over ``axis`` ignoring NaN (SE NaN with fewer than 2 values).

    Parameters
    ----------
    x : numpy.ndarray
        Samples, NaN ignored.
    axis : int
        The sample axis.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Mean and standard error (NaN with fewer than two samples).
    """
    x = np.asarray(x, dtype=float)
    n = np.sum(np.isfinite(x), axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = np.nanmean(x, axis=axis)
        sd = np.nanstd(x, axis=axis, ddof=1)
    return m, np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), np.nan)


# --------------------------------------------------------------------------------------------
# segment_end

#: quantity name -> (kMC column, theory column, units, description)
_SEGMENT_END = {
    "time_end_s": ("time_s", "time_s", "s", "time at the end of the segment"),
    "stress_end_MPa": ("stress_MPa_expected", "stress_MPa", "MPa", "stress at the end of the segment"),
    "strain_end": ("strain_expected", "strain", "1", "total strain at the end of the segment"),
    "strain_beta_end": ("strain_beta_expected", "strain_beta", "1",
                        "beta strain at the end of the segment"),
    "strain_anelastic_end": ("strain_anelastic_expected", "strain_anelastic", "1",
                             "anelastic strain at the end of the segment"),
    "strain_plastic_end": ("strain_plastic", "strain_plastic", "1",
                           "plastic (permanent) strain at the end of the segment"),
}


def _time_domain(cfg: RunConfig) -> bool:
    return cfg.protocol.time_series


def _segment_end_kmc(run) -> dict[str, Quantity]:
    seg = run.series("segment")
    n_case, n_rep = seg.shape[:2]
    n_seg = max(len(p.segments) for p in run.setup.programs)
    cols = {q: run.series(c) for q, (c, _, _, _) in _SEGMENT_END.items()}
    per = {q: np.full((n_case, n_rep, n_seg), np.nan) for q in cols}
    for c in range(n_case):
        for r in range(n_rep):
            s = seg[c, r]
            for k in range(n_seg):
                idx = np.flatnonzero(s == k)
                if idx.size:
                    for q, x in cols.items():
                        per[q][c, r, k] = x[c, r, idx[-1]]
    out = {}
    for q, (_, _, unit, desc) in _SEGMENT_END.items():
        m, se = mean_se(per[q], axis=1)
        out[q] = Quantity(m, ("case", "segment"), unit, desc + " (kMC replica mean)", se)
    return out


def _segment_bounds(program) -> list[float]:
    """End time of each segment of a compiled program (NaN after one of unknown duration)."""
    from ..program import segment_duration

    t, strain, T, ends = 0.0, 0.0, program.temperature_K, []
    for seg in program.segments:
        d = segment_duration(seg, strain, T)
        t = t + d if d is not None else float("nan")
        ends.append(t)
        strain = getattr(seg, "to_strain", getattr(seg, "strain", strain))
        T = getattr(seg, "to_K", T)
    return ends


def theory_cases(view) -> list[dict[str, np.ndarray]]:
    """Split the main theory table into the engine's cases (a new case where time restarts).

    Parameters
    ----------
    view : TheoryView
        A run's theory group.

    Returns
    -------
    list of dict
        Column name -> array, one dict per case.
    """
    tab = view.tables["theory"]
    t = tab["time_s"]
    starts = [0] + [i for i in range(1, t.size) if t[i] < t[i - 1]] + [t.size]
    return [{k: v[a:b] for k, v in tab.items()} for a, b in itertools.pairwise(starts)]


def _segment_end_theory(view) -> dict[str, Quantity]:
    progs = view.setup.programs
    cases = theory_cases(view)
    n_seg = max(len(p.segments) for p in progs)
    out = {q: np.full((len(progs), n_seg), np.nan) for q in _SEGMENT_END}
    if len(cases) == len(progs):
        for c, (tab, prog) in enumerate(zip(cases, progs)):
            t = tab["time_s"]
            if "segment" in tab:
                seg = tab["segment"].astype(int)
            else:
                ends = np.array(_segment_bounds(prog))
                seg = np.searchsorted(ends, t * (1 - 1e-12), side="left")
            for k in range(len(prog.segments)):
                idx = np.flatnonzero(seg == k)
                if idx.size:
                    for q, (_, col, _, _) in _SEGMENT_END.items():
                        if col in tab:
                            out[q][c, k] = tab[col][idx[-1]]
    return {q: Quantity(out[q], ("case", "segment"), unit, desc + " (analytical model)")
            for q, (_, _, unit, desc) in _SEGMENT_END.items()}


register(Observable("segment_end", "strains and stress at the end of every program segment",
                    _time_domain, _segment_end_kmc, _segment_end_theory))


# --------------------------------------------------------------------------------------------
# kww

def kww_or_nan(t: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """tau_c and beta of a KWW fit, NaN where the window does not determine them.

    The same guards as the analytical model's summary: at least KWW_MIN_DECAY of decay,
    tau_c within KWW_MAX_EXTRAPOLATION of the window end.

    Parameters
    ----------
    t : numpy.ndarray
        Times (s).
    s : numpy.ndarray
        Stresses (MPa).

    Returns
    -------
    (float, float)
        tau_c (s) and beta_KWW, or NaN, NaN.
    """
    from ..theory.analysis import kww_fit
    from ..theory.protocols import KWW_MAX_EXTRAPOLATION, KWW_MIN_DECAY

    ok = np.isfinite(s) & (t > 0)
    t, s = t[ok], s[ok]
    if t.size < 4 or not s[0] > 0 or (s[0] - s[-1]) / s[0] < KWW_MIN_DECAY:
        return float("nan"), float("nan")
    try:
        fit = kww_fit(t, s)
    except (RuntimeError, ValueError):
        return float("nan"), float("nan")
    if fit["tau_c_s"] > KWW_MAX_EXTRAPOLATION * t[-1]:
        return float("nan"), float("nan")
    return float(fit["tau_c_s"]), float(fit["beta_KWW"])


def _hold(t: np.ndarray, seg: np.ndarray, s: np.ndarray):
    """Time since the start of the strain hold (segment 0) and its stress."""
    m = (seg == 0) & np.isfinite(t)
    return t[m], s[m]


def _kww_kmc(run) -> dict[str, Quantity]:
    t_all, seg_all = run.series("time_s"), run.series("segment")
    s_all = run.series("stress_MPa_expected")
    n_case, n_rep = t_all.shape[:2]
    tau, beta = np.full(n_case, np.nan), np.full(n_case, np.nan)
    tau_se, beta_se = np.full(n_case, np.nan), np.full(n_case, np.nan)
    for c in range(n_case):
        t, _ = _hold(t_all[c, 0], seg_all[c, 0], s_all[c, 0])
        curves = np.array([_hold(t_all[c, r], seg_all[c, r], s_all[c, r])[1] for r in range(n_rep)])
        tau[c], beta[c] = kww_or_nan(t, curves.mean(axis=0))
        if n_rep >= 3 and np.isfinite(tau[c]):      # jackknife over replicas
            jk = np.array([kww_or_nan(t, np.delete(curves, r, axis=0).mean(axis=0))
                           for r in range(n_rep)])
            f = (n_rep - 1) / n_rep
            tau_se[c] = np.sqrt(f * np.sum((jk[:, 0] - jk[:, 0].mean()) ** 2))
            beta_se[c] = np.sqrt(f * np.sum((jk[:, 1] - jk[:, 1].mean()) ** 2))
    return {"kww_tau_c_s": Quantity(tau, ("case",), "s", "KWW relaxation time of the stress "
                                    "(fit to the kMC replica mean; SE by jackknife)", tau_se),
            "kww_beta": Quantity(beta, ("case",), "1", "KWW stretching exponent of the stress "
                                 "(fit to the kMC replica mean; SE by jackknife)", beta_se)}


def _kww_theory(view) -> dict[str, Quantity]:
    cases = theory_cases(view)
    res = np.array([kww_or_nan(c["time_s"], c["stress_MPa"]) for c in cases]).reshape(-1, 2)
    return {"kww_tau_c_s": Quantity(res[:, 0], ("case",), "s", "KWW relaxation time of the stress "
                                    "(analytical model)"),
            "kww_beta": Quantity(res[:, 1], ("case",), "1", "KWW stretching exponent of the stress "
                                 "(analytical model)")}


register(Observable("kww", "stretched exponential fitted to the stress relaxation",
                    lambda cfg: cfg.protocol.relaxes_stress, _kww_kmc, _kww_theory))


# the observables of scans and of whole runs, registered after these (the dataset's order)
from . import scan_observables  # noqa: E402, F401
