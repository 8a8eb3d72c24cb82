"""Figures of kMC run stores: ensemble means with standard-error bands.

Each function returns the Figure it drew, into ``fig`` (an empty figure) if given;
``path`` (optional, kept for older callers) also writes it with
:func:`mgmeso.plotting.save` and closes it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import COMPONENT_STYLE, new_figure, save_figure

__all__ = ["plot_run", "plot_comparison", "plot_dma_comparison", "band"]


def band(ax, x, mean, se, **style):
    """Line with a +/- 1 SE band (SE NaN: line only)."""
    line, = ax.plot(x, mean, **style)
    if se is not None and np.any(np.isfinite(se)):
        ax.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.25, lw=0)
    return line


def _done(fig, path):
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_run(data, path: Path | None = None, *, fig=None):
    """Strain components (left, log time), stress (right) for every case of a run store.

    Parameters
    ----------
    data : mgmeso.kmc.store.RunData
    path : Path, optional
        Also write the figure there (over an existing file) and close it.
    fig : Figure, optional
        Empty figure to draw into (default: a new one, 12 x 3.8 inches per case).

    Returns
    -------
    Figure
    """
    cases = data.cases
    n = len(cases)
    fig = new_figure(fig, figsize=(12, 3.8 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False)
    t_all = data.mean("time_s")
    for c in range(n):
        t = t_all[c]
        ok = np.isfinite(t)
        ax = axes[c, 0]
        band(ax, t[ok], data.mean("strain")[c][ok], data.se("strain")[c][ok], color="k", lw=1.8,
             label="total")
        for comp in ("elastic", "beta", "anelastic", "plastic"):
            band(ax, t[ok], data.mean(f"strain_{comp}")[c][ok], data.se(f"strain_{comp}")[c][ok],
                 **COMPONENT_STYLE[comp])
        ax.set_xscale("log")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("strain")
        ax.set_title(f"{cases[c]}: ensemble mean +/- 1 SE", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax2 = axes[c, 1]
        band(ax2, t[ok], data.mean("stress_MPa")[c][ok], data.se("stress_MPa")[c][ok], color="k")
        ax2.set_xlabel("time (s)")
        ax2.set_ylabel("stress (MPa)")
        ax2.grid(alpha=0.3)
    a = data.attrs
    title = a["config"].get("title") or "kMC run"
    fig.suptitle(f"{title}\n{a['lattice']} L = {a['L']}, {a['replicas']} replicas, seed {a['seed']}",
                 fontsize=10)
    return _done(fig, path)


def plot_comparison(cmp, setup, cfg, path: Path | None = None, *, fig=None):
    """kMC ensemble mean +/- 1 SE (bands) against the analytical counterpart (lines), and the
    difference in standard errors; one row per case. Returns the Figure (see :func:`plot_run`)."""
    n = len(cmp.labels)
    fig = new_figure(fig, figsize=(12, 3.8 * n), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False)
    for c in range(n):
        t = cmp.times[c]
        ax, axz = axes[c]
        for comp in ("beta", "anelastic", "plastic"):
            name = f"strain_{comp}"
            st = dict(COMPONENT_STYLE[comp])
            st.pop("ls")
            band(ax, t, cmp.kmc_mean[c][name], cmp.kmc_se[c][name], ls="none", marker="o",
                 ms=2.5, color=st["color"], label=f"kMC {st['label']}")
            ax.plot(t, cmp.theory[c][name], "-", color=st["color"], lw=1.2,
                    label=f"theory {st['label']}")
            axz.plot(t, cmp.z[c][name], "o-", ms=2.5, lw=0.8, color=st["color"], label=st["label"])
        ax.set_xscale("log")
        ax.set_xlabel("time (s)")
        ax.set_ylabel("strain")
        ax.set_title(f"{cmp.labels[c]}: {cmp.model[c]}", fontsize=9)
        ax.legend(fontsize=7, ncol=2)
        ax.grid(alpha=0.3)
        for v in (-3, 3):
            axz.axhline(v, color="tab:red", ls=":", lw=1)
        axz.axhline(0, color="0.5", lw=0.8)
        axz.set_xscale("log")
        axz.set_xlabel("time (s)")
        axz.set_ylabel("(kMC - theory) / SE")
        axz.legend(fontsize=7)
        axz.grid(alpha=0.3)
    s = setup.sim
    _run_title(fig, cfg, setup, f"{s.heterogeneity} heterogeneity, coalescence "
                                f"{'on' if s.coalescence else 'off'}")
    return _done(fig, path)


def _run_title(fig, cfg, setup, rules: str) -> None:
    """Figure title: the config title, then the kMC lattice, replicas and rules."""
    s = setup.sim
    fig.suptitle(f"{cfg.title or cfg.name}\nkMC {setup.lattice.name} L = {setup.lattice.L}, "
                 f"{s.replicas} replicas, {s.plasticity} plasticity, {rules}", fontsize=10)


def plot_dma_comparison(cols: dict, setup, cfg, path: Path | None = None, *, fig=None):
    """kMC lock-in E', E'' (+/- 1 SE) against the exact (line) and paper (dashed) forms, and the
    difference in standard errors. Returns the Figure (see :func:`plot_run`)."""
    iso = cfg.protocol.kind == "dma_isochronal"
    key = "frequency_Hz" if iso else "temperature_K"
    xname = "temperature_K" if iso else "frequency_Hz"
    groups = np.unique(cols[key])
    fig = new_figure(fig, figsize=(7.5, 10), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(groups)))
    for c, g in zip(colors, groups):
        sel = cols[key] == g
        x = cols[xname][sel]
        lab = f"{g:g} Hz" if iso else f"{g:g} K"
        for ax, n in zip(axes[:2], ("E_storage", "E_loss")):
            ax.errorbar(x, cols[f"{n}_MPa"][sel], yerr=cols[f"{n}_se_MPa"][sel], fmt="o", ms=2.5,
                        color=c, elinewidth=0.8, label=f"kMC {lab}")
            ax.plot(x, cols[f"{n}_theory_MPa"][sel], "-", color=c, lw=1.2, label=f"exact form {lab}")
            ax.plot(x, cols[f"{n}_paper_MPa"][sel], "--", color=c, lw=0.9, label=f"paper form {lab}")
        axes[2].plot(x, cols["E_storage_z"][sel], "s", ms=2.5, color=c, label=f"E' {lab}")
        axes[2].plot(x, cols["E_loss_z"][sel], "o", ms=2.5, color=c, mfc="none", label=f"E'' {lab}")
    axes[0].set_ylabel("E' (MPa)")
    axes[1].set_ylabel("E'' (MPa)")
    for v in (-3, 3):
        axes[2].axhline(v, color="tab:red", ls=":", lw=1)
    axes[2].axhline(0, color="0.5", lw=0.8)
    axes[2].set_ylabel("(kMC - exact) / SE")
    axes[2].set_xlabel("temperature (K)" if iso else "frequency (Hz)")
    if not iso:
        axes[2].set_xscale("log")
    if len(groups) <= 4:
        for ax in axes:
            ax.legend(fontsize=6, ncol=3)
    else:   # many curves: line styles in a short legend, the groups on a colour bar
        from matplotlib.lines import Line2D
        from matplotlib.colors import Normalize
        handles = [Line2D([], [], color="0.3", marker="o", ls="none", ms=3, label="kMC +/- SE"),
                   Line2D([], [], color="0.3", ls="-", label="exact form"),
                   Line2D([], [], color="0.3", ls="--", label="paper form")]
        axes[0].legend(handles=handles, fontsize=7)
        axes[2].legend(handles=[Line2D([], [], color="0.3", marker="s", ls="none", ms=3, label="E'"),
                                Line2D([], [], color="0.3", marker="o", mfc="none", ls="none", ms=3,
                                       label="E''")], fontsize=7)
        sm = plt.cm.ScalarMappable(cmap=plt.cm.viridis,
                                   norm=Normalize(groups.min() - 0.125 * np.ptp(groups) / 0.75,
                                                  groups.max() + 0.15 * np.ptp(groups) / 0.75))
        fig.colorbar(sm, ax=axes, label="frequency (Hz)" if iso else "temperature (K)", shrink=0.5)
    for ax in axes:
        ax.grid(alpha=0.3)
    _run_title(fig, cfg, setup, f"elimination factor {setup.sim.elimination_factor:g}")
    return _done(fig, path)
