"""Figures of kMC run stores: ensemble means with standard-error bands.

:func:`plot_run` draws a time-domain store from the observable registry: the panels follow
from the observables the store holds (their names, units and descriptions), so a newly
registered observable gets a panel by itself. DMA stores are drawn by
:func:`mgmeso.plotting.dma_plots.plot_dma_run`. Each function returns the Figure it drew,
into ``fig`` (an empty figure) if given; ``path`` (optional) also writes it with
:func:`mgmeso.plotting.save` and closes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import COMPONENT_STYLE, new_figure, save_figure

__all__ = ["plot_run", "plot_comparison", "plot_dma_comparison", "band", "run_panels", "Panel"]

_MAX_LEGEND_CASES = 6
_COLUMNS = 3


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


@dataclass
class Panel:
    """One panel of :func:`plot_run`: the observables it draws and how."""

    title: str
    ylabel: str
    names: list[str] = field(default_factory=list)
    log_y: bool = False


def run_panels(data) -> list[Panel]:
    """The panels of a time-domain store, from its observables (registry metadata in the
    store): strain and its components; stresses (MPa); temperatures (K) if they change;
    cumulative event counts (log; kinds that never happened are left out); then one panel
    per other observable that changes in time (one fixed per replica is no curve). The
    ``*_expected`` twins (same mean) and the segment index (dotted lines) are not drawn."""
    g = data.group
    names = data.time_series
    twins = {g[n].attrs.get("estimator") for n in names if n != "time_s"} - {None}
    unit = {n: g[n].attrs.get("units", "") for n in names}
    desc = {n: g[n].attrs.get("description", n) for n in names}

    def varies(n):
        """Changes in time in some replica (a value fixed per replica is no curve)."""
        x = data.series(n)
        if not np.isfinite(x).any():
            return False
        with np.errstate(invalid="ignore"):
            span = np.nanmax(x, axis=-1) - np.nanmin(x, axis=-1)
        scale = max(float(np.nanmax(np.abs(x))), 1e-300)
        return bool(np.nanmax(span) > 1e-9 * scale)

    def positive(n):
        return bool(np.nanmax(data.series(n)) > 0)

    drawn = [n for n in names if n not in twins and n not in ("time_s", "segment")]
    strain = [n for n in drawn if (n == "strain" or n.startswith("strain_")) and unit[n] == "1"]
    stress = [n for n in drawn if unit[n] == "MPa"]
    temps = [n for n in drawn if unit[n] == "K" and varies(n)]
    events = [n for n in drawn if n.startswith("events_") and varies(n) and positive(n)]
    panels = [Panel("strain and its components", "strain", strain),
              Panel("stress", "stress (MPa)", stress)]
    if temps:
        panels.append(Panel("temperature", "temperature (K)", temps))
    if events:
        panels.append(Panel("cumulative events", "events per replica", events, log_y=True))
    used = set(strain + stress + temps + events)
    for n in drawn:
        if n not in used and unit[n] != "K" and not n.startswith("events_") and varies(n):
            panels.append(Panel(desc[n], f"{n}" + (f" ({unit[n]})" if unit[n] not in ("", "1")
                                                   else ""), [n]))
    return [p for p in panels if p.names]


def _case_colours(n: int):
    import matplotlib.pyplot as plt
    if n == 1:
        return ["k"]
    return [plt.cm.viridis(0.05 + 0.85 * k / (n - 1)) for k in range(n)]


def _style(name: str, n_names: int, k: int) -> dict:
    comp = name.removeprefix("strain_")
    if name == "strain":
        return dict(color="k", lw=1.8, label="total")
    if comp in COMPONENT_STYLE:
        return dict(COMPONENT_STYLE[comp])
    import matplotlib.pyplot as plt
    return dict(color=plt.cm.tab10(k % 10), label=name) if n_names > 1 else dict(color="k")


def plot_run(data, path: Path | None = None, *, fig=None):
    """Every observable of a time-domain run store against time (ensemble mean +/- 1 SE).

    One case: the strain components in one panel. Several cases: one colour per case (a
    legend up to six, a colour bar beyond), the total strain for the strain panel.

    Parameters
    ----------
    data : mgmeso.kmc.reader.RunData
    path : Path, optional
        Also write the figure there (over an existing file) and close it.
    fig : Figure, optional
        Empty figure to draw into (default: a new one, 4 x 3.2 inches per panel).

    Returns
    -------
    Figure
    """
    panels = run_panels(data)
    n_case = len(data.cases)
    rows = -(-len(panels) // _COLUMNS)
    fig = new_figure(fig, figsize=(4.2 * _COLUMNS, 3.3 * rows + 0.8), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, _COLUMNS, squeeze=False)).ravel()
    t = data.times()
    pos = t[np.isfinite(t) & (t > 0)]
    log_t = pos.size > 1 and pos.max() / pos.min() > 100
    colours = _case_colours(n_case)
    seg = data.mean("segment")
    for ax, p in zip(axes, panels):
        names = p.names if n_case == 1 else ([p.names[0]] if p.names[0] == "strain" else p.names)
        for c in range(n_case):
            ok = np.isfinite(t[c]) & ((t[c] > 0) if log_t else True)
            for k, name in enumerate(names):
                st = _style(name, len(names), k) if n_case == 1 else dict(
                    color=colours[c], ls=["-", "--", ":", "-."][k % 4],
                    label=data.cases[c] if k == 0 else None)
                y, se = data.mean(name)[c][ok], data.se(name)[c][ok]
                if p.log_y:
                    y = np.where(y > 0, y, np.nan)
                band(ax, t[c][ok], y, se if not p.log_y else None, **st)
            # segment boundaries (of the first case) as faint dotted lines
            if c == 0 and seg.size:
                s = seg[0][ok]
                for tb in t[0][ok][1:][np.diff(s) != 0]:
                    ax.axvline(tb, color="0.75", lw=0.6, ls=":", zorder=0)
        if log_t:
            ax.set_xscale("log")
        if p.log_y:
            ax.set_yscale("log")
        ax.set_xlabel("time (s)")
        ax.set_ylabel(p.ylabel)
        ax.set_title(p.title, fontsize=9)
        ax.grid(alpha=0.3)
        if n_case == 1 and len(names) > 1:
            ax.legend(fontsize=7)
        elif n_case > 1 and len(names) > 1:
            ax.text(0.02, 0.98, "  ".join(f"{['-', '--', ':', '-.'][k % 4]} {n}"
                                          for k, n in enumerate(names)),
                    transform=ax.transAxes, va="top", fontsize=6, color="0.3")
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    _case_key(fig, axes[0], data.cases, colours)
    a = data.attrs
    title = a.get("title") or "kMC run"
    fig.suptitle(f"{title}\nkMC {a['lattice']} L = {a['L']}, {a['replicas']} replicas, seed "
                 f"{a['seed']}: ensemble mean +/- 1 SE", fontsize=10)
    return _done(fig, path)


def _case_key(fig, ax, labels, colours) -> None:
    if len(labels) == 1:
        return
    if len(labels) <= _MAX_LEGEND_CASES:
        ax.legend(fontsize=7, title="case", title_fontsize=7)
        return
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import BoundaryNorm, ListedColormap

    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(labels) + 1) - 0.5, len(labels))
    cb = fig.colorbar(ScalarMappable(cmap=cmap, norm=norm), ax=fig.axes, shrink=0.6,
                      label="case", ticks=np.arange(len(labels)))
    cb.ax.set_yticklabels(labels, fontsize=7)


def plot_comparison(cmp, setup, cfg, path: Path | None = None, *, fig=None):
    """kMC ensemble mean +/- 1 SE (markers) against the analytical counterpart (lines), and the
    difference in standard errors; one row per case. Returns the Figure (see :func:`plot_run`)."""
    n = len(cmp.labels)
    fig = new_figure(fig, figsize=(12, 3.8 * n + 0.6), layout="constrained")
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
    fig.suptitle(f"{cfg.title or cfg.name}\nkMC {setup.lattice.name} L = {setup.lattice.L}, "
                 f"{s.replicas} replicas, {s.plasticity} plasticity, {s.heterogeneity} "
                 f"heterogeneity, coalescence {'on' if s.coalescence else 'off'}", fontsize=10)
    return _done(fig, path)


def plot_dma_comparison(cols: dict, data, path: Path | None = None, *, fig=None):
    """See :func:`mgmeso.plotting.dma_plots.plot_dma_comparison`."""
    from .dma_plots import plot_dma_comparison as draw

    return _done(draw(cols, data, fig=fig), path)
