"""Figures of a fit: data against model with residuals, and the time-temperature master curve.

Conventions (those of DMA papers): frequency and time on log axes; for isothermal sweeps E' and
E'' on log axes too (they span decades across a glass transition); for isochronal scans E' on a
linear axis and E'' on a log axis. Many curves are told apart by a colour bar of temperature
(or frequency), not by a legend that grows with the number of curves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .core import FitResult

__all__ = ["plot_fit", "plot_tts"]

_LABEL = {
    "E_storage_MPa": "storage modulus E' (MPa)", "E_loss_MPa": "loss modulus E'' (MPa)",
    "tan_delta": r"loss factor tan $\delta$", "strain": "strain", "stress_MPa": "stress (MPa)",
    "temperature_K": "temperature T (K)", "frequency_Hz": "frequency f (Hz)", "time_s": "time t (s)",
}
_LEGEND_MAX = 6


def _colour_key(ds):
    if ds.kind == "dma-isochronal":
        return "frequency (Hz)", True
    if ds.kind in ("dma-isothermal", "relaxation"):
        return "temperature (K)", False
    return None, False


def plot_fit(res: FitResult, index: int, name: str, path: Path | None = None, fig=None):
    """Plot data (points) against model (lines) on top, scaled residuals below, for data set ``index``.

    Draws into ``fig`` (an empty figure) or a new one; writes ``path`` if given (over an existing
    file: the caller has checked). Returns the Figure.

    Parameters
    ----------
    res : FitResult
        The fit.
    index : int
        Index of the data set in ``res``.
    name : str
        Title.
    path : pathlib.Path, optional
        PNG file to write.
    fig : matplotlib.figure.Figure, optional
        Empty figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from matplotlib.colors import LogNorm, Normalize

    from ..plotting import new_figure, plt, save_figure

    blocks = res.blocks[index]
    ds = res.datasets[index]
    nb = len(blocks)
    fig = new_figure(fig, figsize=(5.2 * nb + 1.0, 5.8), layout="constrained")
    axes = fig.subplots(2, nb, squeeze=False, gridspec_kw={"height_ratios": [3, 1]}, sharex="col")
    label, logc = _colour_key(ds)
    curves = list(ds.curves())
    vals = np.array([v for v, _ in curves])
    many = label is not None and len(curves) > _LEGEND_MAX and np.all(np.isfinite(vals))
    if label is not None and np.all(np.isfinite(vals)) and vals.size:
        lo, hi = float(vals.min()), float(vals.max())
        if hi <= lo:
            hi = lo * 1.001 + 1e-9
        norm = LogNorm(lo, hi) if logc and lo > 0 else Normalize(lo, hi)
        cmap = plt.cm.viridis
        colours = [cmap(norm(v)) for v in vals]
    else:
        norm, cmap, colours = None, None, ["tab:blue"] * len(curves)
    for j, b in enumerate(blocks):
        x = ds.columns[b.x_name]
        ax, rx = axes[0, j], axes[1, j]
        for (v, idx), col in zip(curves, colours):
            lab = None
            if not many and label is not None and np.isfinite(v):
                lab = f"{v:.4g} {label.split('(')[1].rstrip(')')}"
            ax.plot(x[idx], b.data[idx], "o", ms=3, color=col, alpha=0.7, mec="none")
            ax.plot(x[idx], b.model[idx], "-", lw=1.2, color=col, label=lab)
            rx.plot(x[idx], (b.model[idx] - b.data[idx]) / b.scale, ".", ms=3, color=col)
        rx.axhline(0, color="k", lw=0.6)
        if b.x_name in ("time_s", "frequency_Hz") and np.all(x > 0):
            ax.set_xscale("log")
        logy = (ds.kind == "dma-isothermal" or b.name == "E_loss_MPa") and np.all(b.data > 0) \
            and np.all(b.model > 0)
        if logy:
            ax.set_yscale("log")
        ax.set_ylabel(_LABEL.get(b.name, b.name))
        if j == 0:
            rx.set_ylabel("(model - data)\n/ max |data|")
        rx.set_xlabel(_LABEL.get(b.x_name, b.x_name))
        ax.grid(alpha=0.25, which="both" if logy else "major")
        rms = np.sqrt(np.mean(((b.model - b.data) / b.scale) ** 2))
        ax.set_title(f"{_LABEL.get(b.name, b.name).split(' (')[0]}: rms misfit {100 * rms:.2g} % "
                     f"of max", fontsize=9)
        if not many and label is not None:
            ax.legend(fontsize=7, title="lines: fit; points: data", title_fontsize=7)
    if many and norm is not None:
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
        fig.colorbar(sm, ax=axes[:, -1].tolist(), label=label, fraction=0.05, pad=0.01)
        axes[0, 0].text(0.02, 0.02, "points: data, lines: fit", transform=axes[0, 0].transAxes,
                        fontsize=7, color="0.3")
    fig.suptitle(f"{res.material.name}: fit to {name} ({ds.kind}, {len(ds)} points)", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig


def plot_tts(ds, tts: dict, name: str, path: Path | None = None, fig=None):
    """Master curve (E', E'' or tan delta against reduced frequency f a_T) and the shift factors
    against temperature with their Arrhenius and WLF fits.

    Draws into ``fig`` or a new figure, writes ``path`` if given; returns the Figure.

    Parameters
    ----------
    ds : Dataset
        The isothermal sweeps.
    tts : dict
        The superposition of :func:`~mgmeso.fit.tts.tts_joint`.
    name : str
        Title.
    path : pathlib.Path, optional
        PNG file to write.
    fig : matplotlib.figure.Figure, optional
        Empty figure to draw into.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    from matplotlib.colors import Normalize

    from ..constants import R_J_PER_MOL_K
    from ..plotting import new_figure, plt, save_figure

    c = ds.columns
    shifts = {round(s["temperature_K"], 9): s["log10_a_T"] for s in tts["shifts"]}
    names = ["E_storage_MPa", "E_loss_MPa"] if "E_storage_MPa" in tts["curve"] else \
        [tts["curve"].split()[0]]
    fig = new_figure(fig, figsize=(12.0, 4.8), layout="constrained")
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1]})
    T = np.array([s["temperature_K"] for s in tts["shifts"]])
    a = np.array([s["log10_a_T"] for s in tts["shifts"]])
    norm = Normalize(T.min(), T.max() if T.max() > T.min() else T.min() + 1)
    cmap = plt.cm.viridis
    marks = {"E_storage_MPa": "o", "E_loss_MPa": "s", "tan_delta": "^"}
    for Tv, idx in ds.curves():
        key = round(float(Tv), 9)
        if key not in shifts:
            continue
        fr = c["frequency_Hz"][idx] * 10.0 ** shifts[key]
        for nm in names:
            ax.plot(fr, c[nm][idx], marks.get(nm, "o"), ms=3.2, color=cmap(norm(Tv)),
                    mfc="none" if nm == "E_loss_MPa" else None, lw=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"reduced frequency $f\,a_T$ (Hz)")
    ax.set_ylabel(" and ".join(_LABEL[n].split(" (")[0] for n in names)
                  + (" (MPa)" if names[0] != "tan_delta" else ""))
    ax.grid(alpha=0.25, which="both")
    if len(names) == 2:
        ax.plot([], [], "o", color="0.3", ms=4, label="E' (filled)")
        ax.plot([], [], "s", color="0.3", mfc="none", ms=4, label="E'' (open)")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_title(f"master curve, reference {tts['reference_T_K']:.1f} K", fontsize=9)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    fig.colorbar(sm, ax=ax, label="temperature (K)", fraction=0.05, pad=0.02)
    bx.plot(T, a, "ko", ms=4, label="shifts")
    Tg = np.linspace(T.min(), T.max(), 200)
    if "arrhenius" in tts:
        ar = tts["arrhenius"]
        slope = ar["E_a_kJ_per_mol"] * 1e3 / (R_J_PER_MOL_K * np.log(10.0))
        bx.plot(Tg, ar["intercept_decades"] + slope / Tg, "--", color="tab:orange",
                label=f"Arrhenius: $E_a$ = {ar['E_a_kJ_per_mol']:.0f} kJ/mol\n"
                      f"rms {ar['rms_decades']:.2f} decades")
    if "wlf" in tts:
        w = tts["wlf"]
        dT = Tg - w["T_ref_K"]
        deg = "\n(at a bound: WLF degenerates to a line)" if w.get("at_bound") else ""
        bx.plot(Tg, -w["C1"] * dT / (w["C2_K"] + dT), "-", color="tab:blue",
                label=f"WLF: $C_1$ = {w['C1']:.3g}, $C_2$ = {w['C2_K']:.3g} K\n"
                      f"rms {w['rms_decades']:.2f} decades{deg}")
    bx.axhline(0, color="0.6", lw=0.6)
    bx.set_xlabel("temperature T (K)")
    bx.set_ylabel(r"shift factor $\log_{10} a_T$ (decades)")
    bx.grid(alpha=0.25)
    bx.legend(fontsize=7.5, loc="lower left")
    bx.set_title("horizontal shifts" + ("" if tts["monotonic"] else " (NOT monotonic in T)"),
                 fontsize=9)
    fig.suptitle(f"time-temperature superposition of {name} ({tts['curve']})", fontsize=10)
    if path is not None:
        save_figure(fig, path)
    return fig
