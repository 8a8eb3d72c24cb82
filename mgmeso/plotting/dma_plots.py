"""Figures of kMC DMA runs: lock-in E', E'' and tan delta as papers draw them.

One modulus convention: E'/E_u and E''/E_u (E_u the unrelaxed modulus of the run's
material), E'' and tan delta on log axes whose limits hold every point drawn (points
<= 0, which the lock-in of a noisy window can give, cannot be on a log axis: their number
is said in the panel). Each curve (a frequency of an isochronal scan, a temperature of an
isothermal sweep) has its colour from a colour bar when there are more than four, a legend
otherwise; the E'' peak of each curve (its largest E'' when that lies inside the range) is
marked, and labelled with where it lies when there are at most six curves.
"""

from __future__ import annotations

import numpy as np

from . import new_figure

__all__ = ["plot_dma_run", "plot_dma_comparison", "draw_dma_panels"]

_MAX_LEGEND = 4
_MAX_PEAK_LABELS = 6


def _colours(curves):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm, Normalize

    vals = np.array([c.value for c in curves])
    norm: Normalize
    if vals.size > 1 and curves[0].unit == "Hz" and vals.min() > 0 and vals.max() / vals.min() > 10:
        norm = LogNorm(vals.min(), vals.max())
    else:
        lo, hi = (vals.min(), vals.max()) if vals.size > 1 else (vals[0] - 1, vals[0] + 1)
        norm = Normalize(lo, hi)
    cmap = plt.cm.viridis
    return [cmap(0.05 + 0.85 * float(norm(v))) for v in vals], cmap, norm


def _log_limits(ax, values) -> int:
    """Set log y-limits around every positive finite value; return how many were not drawable."""
    v = np.concatenate([np.ravel(x) for x in values]) if values else np.zeros(0)
    v = v[np.isfinite(v)]
    pos = v[v > 0]
    if pos.size:
        lo, hi = pos.min(), pos.max()
        pad = (hi / lo) ** 0.06 if hi > lo else 2.0
        ax.set_ylim(lo / pad, hi * pad)
    return int(v.size - pos.size)


def _note(ax, text: str) -> None:
    ax.text(0.99, 0.02, text, transform=ax.transAxes, ha="right", va="bottom", fontsize=7,
            color="0.35")


def draw_dma_panels(axes, tab: dict, curves, E_u: float, *, theory: dict | None = None,
                    peaks: bool = True):
    """Draw E'/E_u, E''/E_u and tan delta of ``curves`` into three axes.

    ``tab`` is a lock-in table (:func:`mgmeso.kmc.lockin.dma_table`); ``theory`` optional
    columns ``E_storage_theory_MPa`` ... ``E_loss_paper_MPa`` of the same rows, drawn as
    lines (exact form solid, paper form dashed). Returns the colours, colour map and norm.
    """
    from ..kmc.analysis import curve_features

    colours, cmap, norm = _colours(curves)
    x_name = curves[0].x_name
    logs: dict[int, list[np.ndarray]] = {1: [], 2: []}
    for col, cv in zip(colours, curves):
        r = cv.rows
        x = tab[x_name][r]
        for k, (name, scale) in enumerate((("E_storage_MPa", E_u), ("E_loss_MPa", E_u),
                                           ("tan_delta", 1.0))):
            y = tab[name][r] / scale
            se = tab[f"{name}_se"][r] / scale
            # without the model's lines, thin lines join the points of a curve
            kw = dict(fmt="o-" if theory is None else "o", ms=2.5, lw=0.6, color=col,
                      elinewidth=0.7, capsize=0)
            axes[k].errorbar(x, y, yerr=np.where(np.isfinite(se), se, 0.0), label=cv.label(), **kw)
            if k:
                logs[k] += [y, y + np.nan_to_num(se)]
            if theory is not None:
                base, unit = (name.removesuffix("_MPa"), "_MPa" if name.endswith("_MPa") else "")
                exact = theory[f"{base}_theory{unit}"][r] / scale
                paper = theory[f"{base}_paper{unit}"][r] / scale
                axes[k].plot(x, exact, "-", color=col, lw=1.1)
                axes[k].plot(x, paper, "--", color=col, lw=0.8)
                if k:
                    logs[k] += [exact, paper]
        if peaks:
            # a peak is the largest E'' inside the range (a maximum at its edge is none)
            f = curve_features(tab, cv)
            if f["E_loss_peak_inside"]:
                yp = f["E_loss_max_MPa"] / E_u
                axes[1].plot([f["E_loss_max_at"]], [yp], "v", color=col, ms=7, mec="k", mew=0.6,
                             zorder=5)
                if len(curves) <= _MAX_PEAK_LABELS:
                    unit = "K" if x_name == "temperature_K" else "Hz"
                    axes[1].annotate(f"{f['E_loss_max_at']:.4g} {unit}", (f["E_loss_max_at"], yp),
                                     textcoords="offset points", xytext=(0, 8), ha="center",
                                     fontsize=7, color="k")
    for k in (1, 2):
        axes[k].set_yscale("log")
        hidden = _log_limits(axes[k], logs[k])
        if hidden:
            _note(axes[k], f"{hidden} value(s) <= 0 not drawn (log axis)")
    axes[0].set_ylabel(r"$E'/E_u$")
    axes[1].set_ylabel(r"$E''/E_u$")
    axes[2].set_ylabel(r"tan $\delta$")
    iso = x_name == "temperature_K"
    axes[-1].set_xlabel("temperature (K)" if iso else "frequency (Hz)")
    for ax in axes:
        if not iso:
            ax.set_xscale("log")
        ax.grid(alpha=0.3)
    return colours, cmap, norm


def _key(fig, axes, curves, cmap, norm, theory: bool) -> None:
    """Legend for a few curves, a colour bar for many; line styles in a short legend."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.lines import Line2D

    styles = [Line2D([], [], color="0.3", marker="o", ls="none", ms=3, label="kMC +/- SE")]
    if theory:
        styles += [Line2D([], [], color="0.3", ls="-", label="exact form"),
                   Line2D([], [], color="0.3", ls="--", label="paper form")]
    styles.append(Line2D([], [], color="0.3", marker="v", mec="k", ls="none", label="E'' peak"))
    if len(curves) <= _MAX_LEGEND:
        handles, _ = axes[0].get_legend_handles_labels()
        axes[0].legend(handles=handles + styles, fontsize=7, ncol=2)
    else:
        axes[0].legend(handles=styles, fontsize=7)
        sm = ScalarMappable(cmap=cmap, norm=norm)
        iso = curves[0].x_name == "temperature_K"
        fig.colorbar(sm, ax=list(axes), shrink=0.6, pad=0.02,
                     label="frequency (Hz)" if iso else "temperature (K)")


def _scan(data) -> str:
    """Describe what the run did, from its stored config (a title may predate --set overrides)."""
    p = data.config.protocol
    if data.protocol == "dma_isochronal":
        f = ", ".join(f"{x:g}" for x in p.frequency_Hz)
        return (f"{f} Hz, {p.T_start_K:g}-{p.T_end_K:g} K at {p.heating_rate_K_per_min:g} K/min")
    return (f"{p.f_min_Hz:g}-{p.f_max_Hz:g} Hz at {p.T_start_K:g}-{p.T_end_K:g} K "
            f"(every {p.T_step_K:g} K)")


def _title(fig, data, extra: str) -> None:
    a = data.attrs
    title = a.get("title") or data.config.title or "kMC DMA run"
    fig.suptitle(f"{title}\nkMC {a['lattice']} L = {a['L']}, {a['replicas']} replicas, seed "
                 f"{a['seed']}: {_scan(data)}\n{extra}", fontsize=9)


def plot_dma_run(data, *, window_K: float | None = None, fig=None):
    """E'/E_u, E''/E_u and tan delta of a stored DMA run, by lock-in (as ``mgmeso compare``).

    Parameters
    ----------
    data : mgmeso.kmc.reader.RunData
    window_K : float, optional
        Lock-in window of a scan (default: the protocol's T_step_K, at least 0.5 K).
    fig : Figure, optional
        Empty figure to draw into.

    Returns
    -------
    Figure
    """
    from ..kmc.analysis import dma_curves, dma_run_table, dma_window_K

    tab = dma_run_table(data, window_K)
    curves = dma_curves(tab, data.protocol)
    fig = new_figure(fig, figsize=(7.5, 9), layout="constrained")
    axes = fig.subplots(3, 1, sharex=True)
    E_u = data.config.material.E_unrelaxed_MPa
    _, cmap, norm = draw_dma_panels(axes, tab, curves, E_u)
    _key(fig, axes, curves, cmap, norm, theory=False)
    how = (f"lock-in per {dma_window_K(data, window_K):g} K window"
           if data.protocol == "dma_isochronal" else "lock-in per frequency")
    _title(fig, data, f"{how}; $E_u$ = {E_u / 1e3:.4g} GPa")
    return fig


def plot_dma_comparison(cols: dict, data, *, fig=None):
    """kMC lock-in E', E'' (+/- 1 SE) against the exact (line) and paper (dashed) forms, and the
    deviation in standard errors. ``cols`` from :func:`mgmeso.compare.dma_comparison`.
    """
    from ..kmc.analysis import dma_curves

    curves = dma_curves(cols, data.protocol)
    fig = new_figure(fig, figsize=(7.5, 11), layout="constrained")
    axes = fig.subplots(4, 1, sharex=True)
    E_u = data.config.material.E_unrelaxed_MPa
    colours, cmap, norm = draw_dma_panels(axes[:3], cols, curves, E_u, theory=cols)
    x_name = curves[0].x_name
    for col, cv in zip(colours, curves):
        x = cols[x_name][cv.rows]
        axes[3].plot(x, cols["E_storage_z"][cv.rows], "s", ms=2.5, color=col)
        axes[3].plot(x, cols["E_loss_z"][cv.rows], "o", ms=2.5, color=col, mfc="none")
    for v in (-3, 3):
        axes[3].axhline(v, color="tab:red", ls=":", lw=1)
    axes[3].axhline(0, color="0.5", lw=0.8)
    axes[3].set_ylabel("(kMC - exact) / SE\n(squares E', circles E'')")
    axes[2].set_xlabel("")
    axes[3].set_xlabel("temperature (K)" if x_name == "temperature_K" else "frequency (Hz)")
    _key(fig, axes, curves, cmap, norm, theory=True)
    _title(fig, data, f"{data.config.simulation.plasticity} plasticity, elimination factor "
                      f"{data.config.simulation.elimination_factor:g}")
    return fig
