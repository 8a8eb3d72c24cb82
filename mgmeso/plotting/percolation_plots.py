"""Figures of liquid-like zones, clusters, thresholds and the deformation map.

Each function takes a result of :mod:`mgmeso.percolation` and ``ax=None`` (one
panel) or ``fig=None`` (several panels), and returns the Axes or Figure it drew;
write it with :func:`mgmeso.plotting.save`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..percolation.threshold import combine, wrapping_probability
from . import new_axes, new_figure

__all__ = ["plot_threshold", "plot_site_map", "plot_liquid_curves", "plot_deformation_map",
           "plot_run_clusters"]

_WRAP_COLOR = (0.80, 0.05, 0.05)
_LARGEST_COLOR = (0.05, 0.15, 0.55)
_BACKGROUND = {"matrix": (1.0, 1.0, 1.0), "solid": (0.82, 0.82, 0.82)}
_OTHER_COLORS = np.array([k for k in range(20) if k not in (6, 7)])


def plot_threshold(est, ax=None):
    """Plot the wrapping probability R_L(p) of each size, the crossing estimate and the literature value.

    Parameters
    ----------
    est : ThresholdEstimate
    ax : Axes, optional
        Default: a new 6.4 x 4.4 inch figure.

    Returns
    -------
    Axes
    """
    ax = new_axes(ax, figsize=(6.4, 4.4))
    allp = np.concatenate([combine(o, est.criterion) for o in est.onsets.values()])
    lo, hi = np.percentile(allp, [0.5, 99.5])
    p = np.linspace(lo, hi, 400)
    colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(est.sizes)))
    for c, L in zip(colors, est.sizes):
        ps = combine(est.onsets[L], est.criterion)
        ax.plot(p, wrapping_probability(ps, p, smooth=False), color=c, lw=0.6, alpha=0.5,
                drawstyle="steps-post")
        ax.plot(p, wrapping_probability(ps, p), color=c, lw=1.8, label=f"L = {L}")
    lit = est.literature()
    ax.axvspan(est.p_c - est.error, est.p_c + est.error, color="tab:orange", alpha=0.25, lw=0)
    ax.axvline(est.p_c, color="tab:orange", lw=1.5,
               label=f"crossing: {est.p_c:.5f} $\\pm$ {est.error:.5f}")
    if lit is not None:
        ax.axvline(lit.p_c, color="k", ls="--", lw=1.0, label=f"literature: {lit.p_c:g}")
    ax.set_xlabel("site occupation probability p")
    ax.set_ylabel(f"wrapping probability ({est.criterion} axis)")
    ax.set_title(f"Site percolation, {est.lattice} lattice, {est.samples} samples per size",
                 fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    if lit is not None:
        ax.annotate(f"literature: {lit.source}", (0.0, 0.0), xycoords="axes fraction",
                    xytext=(0, -36), textcoords="offset points", va="top", fontsize=6, color="0.3")
    return ax


def _label_colors(clusters, liquid):
    """RGB per site: wrapping clusters red, the largest other cluster dark blue, the rest muted."""
    rng = np.random.default_rng(12345)
    # tab20 without its two reds, which read as "wrapping"
    palette = plt.cm.tab20(_OTHER_COLORS)[:, :3] * 0.75 + 0.25 * np.array([0.45, 0.55, 0.75])
    lab = clusters.labels
    col = palette[rng.integers(0, len(palette), clusters.n + 1)][lab]
    if clusters.n:
        col[lab == clusters.largest] = _LARGEST_COLOR
    wrap = clusters.wraps.any(axis=1)[lab]
    col[wrap] = _WRAP_COLOR
    col[~liquid.astype(bool)] = _BACKGROUND["matrix"]
    return col


def plot_site_map(site_map, *, fig=None):
    """Map of liquid-like sites coloured by cluster (wrapping clusters red, solid QPD sites grey).

    2D lattices are drawn whole (one panel); 3D lattices as two slices (basis
    site 0 of each cell) and a projection along z of the liquid-like fraction with
    the wrapping clusters outlined (three panels).

    Parameters
    ----------
    site_map : mgmeso.percolation.SiteMap
        Lattice, liquid-like and QPD site fields, their clusters, a title.
    fig : Figure, optional
        Empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
    """
    lat, liquid, qpd, clusters = site_map.lattice, site_map.liquid, site_map.qpd, site_map.clusters
    title = site_map.title
    col = _label_colors(clusters, liquid)
    solid_qpd = qpd.astype(bool) & ~liquid.astype(bool)
    col[solid_qpd] = _BACKGROUND["solid"]
    L = lat.L
    if lat.dim == 2:
        fig = new_figure(fig, figsize=(6.2, 6.0))
        ax = fig.subplots()
        pos = lat.positions()
        if lat.name == "square":
            ax.imshow(col.reshape(L, L, 3).transpose(1, 0, 2), origin="lower",
                      interpolation="nearest")
            ax.set_xlabel("x (cells)")
            ax.set_ylabel("y (cells)")
        else:
            size = (300.0 * _bond_length(lat) / L) ** 2      # markers touch their neighbours
            ax.scatter(pos[:, 0], pos[:, 1], c=col, s=size, marker="h", linewidths=0)
            ax.set_aspect("equal")
            ax.set_xlabel("x (lattice spacings)")
            ax.set_ylabel("y (lattice spacings)")
        _legend(ax)
        ax.set_title(title, fontsize=9)
        return fig
    fig = new_figure(fig, figsize=(14.5, 5.0))
    axes = fig.subplots(1, 3)
    c4 = col.reshape(L, L, L, lat.nb, 3)[:, :, :, 0, :]
    for ax, z in zip(axes[:2], (0, L // 2)):
        ax.imshow(c4[:, :, z, :].transpose(1, 0, 2), origin="lower", interpolation="nearest")
        ax.set_title(f"slice z = {z} (basis site 0)", fontsize=9)
        ax.set_xlabel("x (cells)")
        ax.set_ylabel("y (cells)")
    proj = liquid.reshape(L, L, L, lat.nb).mean(axis=(2, 3))
    im = axes[2].imshow(proj.T, origin="lower", cmap="Blues", vmin=0, vmax=max(proj.max(), 1e-9),
                        interpolation="nearest")
    wrap = clusters.wraps.any(axis=1)[clusters.labels].reshape(L, L, L, lat.nb).any(axis=(2, 3))
    if wrap.any():
        axes[2].contour(wrap.T.astype(float), levels=[0.5], colors=[_WRAP_COLOR], linewidths=0.8)
    fig.colorbar(im, ax=axes[2], fraction=0.046, pad=0.04, label="liquid-like fraction along z")
    axes[2].set_title("projection along z (red outline: wrapping clusters)", fontsize=9)
    axes[2].set_xlabel("x (cells)")
    axes[2].set_ylabel("y (cells)")
    _legend(axes[0])
    fig.suptitle(title, fontsize=10)
    return fig


def _bond_length(lat) -> float:
    """Nearest-neighbour distance in units of the cell edge (1 on the triangular lattice)."""
    sx, sy, b2 = lat.offsets[0, 0]
    return float(np.linalg.norm((np.array([sx, sy]) + lat.basis[b2] - lat.basis[0]) @ lat.vectors))


def _legend(ax):
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=_WRAP_COLOR, label="wrapping cluster"),
                       Patch(color=_LARGEST_COLOR, label="largest cluster (if not wrapping)"),
                       Patch(color=(0.5, 0.6, 0.8), label="other liquid-like clusters (colours)"),
                       Patch(color=_BACKGROUND["solid"], label="solid-like QPD site"),
                       Patch(facecolor="white", edgecolor="0.6", label="elastic matrix")],
              fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.12), ncol=2, frameon=False)


def plot_liquid_curves(static_map, ax=None):
    """Plot the static liquid-like fraction and largest cluster against T.

    Beside them the analytical delta(T) and the site threshold (no threshold line, no
    crossings without one).

    Parameters
    ----------
    static_map : mgmeso.percolation.StaticMap
    ax : Axes, optional
        Default: a new 7 x 4.6 inch figure.

    Returns
    -------
    Axes
    """
    curves, delta, p_c = static_map.curves, static_map.delta, static_map.p_c
    crossings = static_map.crossings_K
    ax = new_axes(ax, figsize=(7.0, 4.6))
    colors = plt.cm.plasma(np.linspace(0.1, 0.75, len(curves)))
    first = True
    for c, (tw, t) in zip(colors, curves.items()):
        T = t["temperature_K"]
        ax.plot(T, t["liquid_fraction"], color=c, lw=2, label=f"liquid-like fraction, $t_w$ = {tw:g} s")
        ax.plot(T, t["largest_cluster_fraction"], color=c, lw=1, ls="--",
                label=f"largest cluster, $t_w$ = {tw:g} s")
        if first:
            ax.plot(T, t["defect_concentration"], color="0.4", lw=1, ls=":",
                    label="QPD concentration $C_d(T)$")
            first = False
        Tx = crossings.get(tw)
        if p_c is not None and Tx is not None and np.isfinite(Tx):
            ax.axvline(Tx, color=c, lw=0.8, alpha=0.7)
            ax.annotate(f"{Tx:.0f} K", (Tx, p_c), xytext=(4, 6), textcoords="offset points",
                        fontsize=8, color=c)
    if delta is not None:
        ax.plot(delta["temperature_K"], delta["delta"], color="tab:green", lw=2,
                label=r"analytical $\delta(T)$, stepped relaxation")
    if p_c is not None:
        ax.axhline(p_c, color="k", lw=0.8, ls="-.",
                   label=f"site threshold, {static_map.glass.lattice.name}: {p_c:.4f}")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("fraction of sites")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title(static_map.title, fontsize=9)
    return ax


def plot_deformation_map(deformation_map, ax=None):
    """Deformation map: where liquid-like zones percolate, in the (T, strain rate) plane.

    Parameters
    ----------
    deformation_map : mgmeso.percolation.DeformationMap
    ax : Axes, optional
        Default: a new 6.6 x 4.8 inch figure.

    Returns
    -------
    Axes
    """
    table, Tg_K = deformation_map.table, deformation_map.config.material.Tg_K
    ax = new_axes(ax, figsize=(6.6, 4.8))
    rate = table["strain_rate_per_s"]
    Ts, Tsp = table["T_static_K"], table["T_spectral_K"]
    ax.plot(Ts, rate, "o-", color="tab:blue", ms=3, label="static: liquid-like fraction = $p_c$")
    ax.plot(Tsp, rate, "s--", color="tab:red", ms=3,
            label=r"spectral: $\int E''\,dT / \int_{all} E''\,dT = p_c$")
    ok = np.isfinite(Ts)
    if ok.any():
        xmax = np.nanmax(np.concatenate([Ts, Tsp])) + 40
        ax.fill_betweenx(rate[ok], Ts[ok], xmax, color="tab:blue", alpha=0.08)
        ax.text(0.97, 0.05, "homogeneous flow\n(liquid-like zones percolate)", ha="right",
                transform=ax.transAxes, fontsize=8, color="tab:blue")
        ax.text(0.03, 0.90, "inhomogeneous\n(isolated liquid-like zones)", ha="left",
                transform=ax.transAxes, fontsize=8, color="0.3")
    ax.axvline(Tg_K, color="0.5", lw=0.8, ls=":")
    ax.annotate("$T_g$", (Tg_K, rate.max()), xytext=(3, -12), textcoords="offset points",
                fontsize=8, color="0.4")
    ax.set_yscale("log")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("strain rate (1/s)  [window $t_w$ = 1/rate]")
    ax.legend(fontsize=7, loc="center right")
    ax.set_title(deformation_map.title, fontsize=9)
    return ax


def plot_run_clusters(dynamic_map, case: int = 0, replica: int = 0, *, fig=None):
    """Dynamic liquid-like fraction, largest cluster and footprint coverage against time (first
    window), and beside it the size distribution of the case's coalescence events, if any.

    Parameters
    ----------
    dynamic_map : mgmeso.percolation.DynamicMap
    case, replica : int
        Which time series to draw (the histogram sums all replicas of the case).
    fig : Figure, optional
        Empty figure to draw into (default: a new one).

    Returns
    -------
    Figure
    """
    table = dynamic_map.replica_series(case, replica)
    tw = dynamic_map.windows_s[0]
    title = (f"{dynamic_map.name}: dynamic liquid-like zones, $t_w$ = {tw:g} s, case {case}, "
             f"replica {replica}")
    coalescence_hist = dynamic_map.coalescence_counts[case].sum(axis=0)
    two = np.sum(coalescence_hist) > 0
    fig = new_figure(fig, figsize=(11.5 if two else 6.6, 4.4))
    axes = fig.subplots(1, 2 if two else 1)
    ax = axes[0] if two else axes
    t = table["time_s"]
    ax.plot(t, table["liquid_fraction"], "o-", label="liquid-like fraction (SMD events in $t_w$)")
    ax.plot(t, table["largest_cluster_fraction"], "s--", label="largest liquid-like cluster")
    ax.plot(t, table["footprint_fraction"], "^:", label="covered by polarised SMD footprints")
    ax.plot(t, table["footprint_largest_cluster_fraction"], "v-.", label="largest footprint cluster")
    if np.all(t > 0):
        ax.set_xscale("log")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("fraction of sites")
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    if two:
        h = np.asarray(coalescence_hist)
        s = np.arange(h.size)
        ok = h > 0
        axes[1].bar(s[ok], h[ok] / h.sum(), width=0.8, color="tab:red")
        axes[1].set_yscale("log")
        axes[1].set_xlabel("merged footprint size at coalescence (sites)")
        axes[1].set_ylabel("fraction of coalescence events")
        axes[1].set_title(f"coalescence (plastic) events, all replicas of case {case}: "
                          f"{int(h.sum())}", fontsize=9)
    return fig
