"""Figures of kMC run stores: ensemble means with standard-error bands."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import COMPONENT_STYLE, plt, save_figure

__all__ = ["plot_run", "band"]


def band(ax, x, mean, se, **style):
    """Line with a +/- 1 SE band (SE NaN: line only)."""
    line, = ax.plot(x, mean, **style)
    if se is not None and np.any(np.isfinite(se)):
        ax.fill_between(x, mean - se, mean + se, color=line.get_color(), alpha=0.25, lw=0)
    return line


def plot_run(data, path: Path) -> None:
    """Strain components (left, log time), stress (right) for every case of a run store."""
    cases = data.cases
    n = len(cases)
    fig, axes = plt.subplots(n, 2, figsize=(12, 3.8 * n), squeeze=False, layout="constrained")
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
    save_figure(fig, path)
