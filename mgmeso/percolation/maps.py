"""Liquid-like fraction curves, cluster statistics and the deformation map.

* :func:`static_curve` -- liquid-like fraction, largest cluster and wrapping of a
  static glass against temperature for one window.
* :func:`run_cluster_series` -- the same numbers for the snapshots of a kMC run
  (dynamic definition), plus the size distribution of coalescence events.
* :func:`deformation_lines` -- in the (strain rate, T) plane, where the liquid-like
  fraction at ``t_w = 1/strain rate`` reaches the site threshold of the lattice,
  from the static definition and from the integrated loss spectrum ([Duan2022] Fig. 2:
  the fraction of modes faster than 1/f grows like the integral of
  E''(T)/E''_max at f).

Choices (written into docs/percolation.md): the spectral fraction at frequency f
is ``int_{T_lo}^{T} E''(T', f) dT' / int_{T_lo}^{T_hi} E''(T', f) dT'`` over a
temperature range that holds the whole beta and alpha loss, so that it runs from
0 to 1 like delta(T) of [Duan2022]; f = strain rate numerically (one cycle per
window, [Duan2022]'s f_eff = 1/t_w).
"""

from __future__ import annotations

import numpy as np
from scipy.integrate import cumulative_trapezoid

from ..config.material import Material
from ..io.table import Table
from ..theory import kinetics
from ..theory.gumbel import gumbel_grid
from .clusters import label_clusters
from .liquid import StaticGlass, dynamic_liquid_like

__all__ = ["static_curve", "first_crossing", "spectral_fraction", "deformation_lines",
           "run_cluster_series", "active_footprints"]


def _cluster_columns(cl, dim: int) -> dict:
    w = cl.wraps_axis()
    cols = {
        "liquid_fraction": cl.occupied_fraction,
        "largest_cluster_fraction": cl.largest_fraction,
        "n_clusters": cl.n,
        "n_wrapping_clusters": int(cl.wrapping_labels.size),
    }
    for a, name in enumerate("xyz"[:dim]):
        cols[f"wraps_{name}"] = int(w[a])
    return cols


def static_curve(glass: StaticGlass, temperatures_K, window_s: float) -> Table:
    """Liquid-like fraction and cluster numbers of a static glass against T.

    Returns
    -------
    Table
        ``temperature_K, window_s, defect_concentration, liquid_fraction,
        largest_cluster_fraction, n_clusters, n_wrapping_clusters, wraps_x, ...``

    Parameters
    ----------
    glass : StaticGlass
        The glass.
    temperatures_K : array_like
        Temperatures (K).
    window_s : float
        Observation window t_w (s).
    """
    rows = []
    for T in np.asarray(temperatures_K, dtype=float):
        cl = label_clusters(glass.liquid_like(T, window_s), glass.lattice)
        row = {"temperature_K": T, "window_s": window_s,
               "defect_concentration": float(kinetics.defect_concentration(glass.material, T))}
        row.update(_cluster_columns(cl, glass.lattice.dim))
        rows.append(row)
    return Table({k: np.array([r[k] for r in rows]) for k in rows[0]})


def first_crossing(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """First x where y rises through ``level`` (linear interpolation); NaN if it never does.

    Parameters
    ----------
    x, y : array_like
        The curve, shape (n,), ``x`` increasing.
    level : float
        The level.

    Returns
    -------
    float
        The crossing, or NaN.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    above = np.flatnonzero(y >= level)
    if above.size == 0:
        return float("nan")
    k = above[0]
    if k == 0:
        return float(x[0]) if y[0] == level else float("nan")
    return float(x[k - 1] + (level - y[k - 1]) * (x[k] - x[k - 1]) / (y[k] - y[k - 1]))


def spectral_fraction(mat: Material, temperatures_K, f_Hz: float, chi_law: str = "linear",
                      gumbel_points: int = 241) -> np.ndarray:
    """Integrated normalised loss ``int E'' dT / int_total E'' dT`` on a T grid ([Duan2022] Fig. 2).

    Parameters
    ----------
    mat : Material
        The material.
    temperatures_K : array_like
        Temperature grid (K), ascending.
    f_Hz : float
        Frequency of the loss spectrum (Hz).
    chi_law : {'linear', 'defects'}
        Law of chi(T).
    gumbel_points : int
        Nodes of the Gumbel grid.

    Returns
    -------
    numpy.ndarray
        The fraction in [0, 1] at each temperature, non-decreasing.
    """
    from ..theory.protocols import dma_columns

    T = np.asarray(temperatures_K, dtype=float)
    loss = dma_columns(mat, T, f_Hz, gumbel_grid(mat.B_beta, gumbel_points), chi_law)["E_loss_MPa"]
    cum = cumulative_trapezoid(loss, T, initial=0.0)
    return cum / cum[-1]


def deformation_lines(glass: StaticGlass, rates_per_s, temperatures_K, p_c: float,
                    chi_law: str = "linear") -> Table:
    """Temperatures where the liquid-like fraction at ``t_w = 1/rate`` reaches ``p_c``.

    Parameters
    ----------
    glass : StaticGlass
    rates_per_s : array
        Strain rates (1/s).
    temperatures_K : array
        Temperature grid (K), ascending; should run from well below the beta
        peak to above the alpha peak at the slowest rate (the spectral fraction is
        normalised over it).
    p_c : float
        Site threshold of the lattice.
    chi_law : {'linear', 'defects'}
        Law of chi(T) of the spectral line.

    Returns
    -------
    Table
        ``strain_rate_per_s, window_s, T_static_K, T_spectral_K`` (NaN where the
        fraction does not reach p_c on the grid).
    """
    rates = np.asarray(rates_per_s, dtype=float)
    T = np.asarray(temperatures_K, dtype=float)
    windows = 1.0 / rates
    frac = np.array([glass.fraction(t, windows) for t in T])       # (T, rate)
    T_static = np.array([first_crossing(T, frac[:, k], p_c) for k in range(rates.size)])
    T_spec = np.array([first_crossing(T, spectral_fraction(glass.material, T, r, chi_law), p_c)
                       for r in rates])
    return Table({"strain_rate_per_s": rates, "window_s": windows, "T_static_K": T_static,
                  "T_spectral_K": T_spec},
                 meta={"p_c": p_c, "lattice": glass.lattice.name,
                       "static_fraction": frac, "temperature_K": T})


def active_footprints(footprint: np.ndarray, smd_state: np.ndarray) -> np.ndarray:
    """bool[N]: sites covered by the footprint of a polarised SMD.

    Every QPD site is the nucleus of its own (possibly unpolarised) footprint in the
    kMC, so coverage alone is not enough: the nucleus' SMD state must be non-zero.

    Parameters
    ----------
    footprint : numpy.ndarray
        int (N,): snapshot field ``footprint``.
    smd_state : numpy.ndarray
        int (N,): snapshot field ``smd_state``.

    Returns
    -------
    numpy.ndarray
        bool (N,).
    """
    fp = np.asarray(footprint).reshape(-1)
    smd = np.asarray(smd_state).reshape(-1)
    return (fp >= 0) & (smd[np.maximum(fp, 0)] != 0)


def run_cluster_series(fields: dict, lattice, window_s: float, case: int = 0,
                       replica: int = 0) -> Table:
    """Dynamic liquid-like fraction and cluster numbers of one replica's snapshots.

    Parameters
    ----------
    fields : dict
        ``time_s`` (case, replica, snapshot) and ``last_smd_time``, ``footprint``,
        ``smd_state`` (case, replica, snapshot, site) arrays from a run store.
    lattice : Lattice
        The run's lattice.
    window_s : float
        Observation window t_w (s).
    case, replica : int
        Which replica.

    Returns
    -------
    Table
        One row per snapshot: ``time_s, window_s``, the cluster columns of
        :func:`static_curve` and the footprint coverage (empty without snapshots).
    """
    times = np.asarray(fields["time_s"][case, replica], dtype=float)
    rows = []
    for s, t in enumerate(times):
        if not np.isfinite(t):
            continue
        ll = dynamic_liquid_like(fields["last_smd_time"][case, replica, s], t, window_s)
        cl = label_clusters(ll, lattice)
        covered = active_footprints(fields["footprint"][case, replica, s],
                                    fields["smd_state"][case, replica, s])
        fcl = label_clusters(covered, lattice)
        row = {"time_s": t, "window_s": window_s}
        row.update(_cluster_columns(cl, lattice.dim))
        row["footprint_fraction"] = float(covered.mean())
        row["footprint_largest_cluster_fraction"] = fcl.largest_fraction
        rows.append(row)
    if not rows:
        return Table({})
    return Table({k: np.array([r[k] for r in rows]) for k in rows[0]})
