"""``elastic_deviation`` and ``elastic_dma``: how far the elastic interactions move the kMC.

configs/sweeps/elastic_deviation.toml (creep and recovery over temperature and stress) and
configs/sweeps/elastic_dma.toml (the 1 Hz scan), each with an ``interactions`` axis
(labels ``off``, ``on``), a replica axis and the analytical model (``--theory``) in the same
store (docs/kmc_elastic.md section 7).

Ratios, per point, over the replica runs (replica i shares its seed between on and off):

* ``on/theory`` and ``off/theory``: replica mean over the model, SE = SE of the mean over the
  model (the model has no noise);
* ``on/off``: ratio of the paired means ``R = mean(on)/mean(off)``, SE by the delta method on
  the paired differences, ``SE(R) = sd(on_i - R off_i) / (sqrt(n) |mean(off)|)``, so that the
  common random numbers shared by a pair cancel.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from ...io.table import Table
from . import register_analysis
from .common import Outputs

__all__ = ["paired_ratio", "deviation_table", "dma_curves", "plot_deviation", "plot_dma"]

QUANTITIES = ("anelastic", "plastic")
#: a model value below this fraction of its end-of-creep value has recovered: no ratio to it
RECOVERED = 0.01
#: segment 1 is the creep, segment 2 the recovery
STAGES = {1: "end of creep", 2: "end of recovery"}


def paired_ratio(on, off) -> tuple[float, float]:
    """Ratio of the means of paired samples and its delta-method standard error.

    Parameters
    ----------
    on, off : array_like, shape (n,)
        Paired samples (NaN pairs are dropped).

    Returns
    -------
    (float, float)
        ``mean(on)/mean(off)`` and its SE (NaN with fewer than two pairs).
    """
    on, off = np.asarray(on, float), np.asarray(off, float)
    ok = np.isfinite(on) & np.isfinite(off)
    on, off = on[ok], off[ok]
    n = on.size
    if n == 0 or np.mean(off) == 0:
        return float("nan"), float("nan")
    r = float(np.mean(on) / np.mean(off))
    if n < 2:
        return r, float("nan")
    return r, float(np.std(on - r * off, ddof=1) / (np.sqrt(n) * abs(np.mean(off))))


def _mean_ratio(x, ref: float) -> tuple[float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if x.size == 0 or not np.isfinite(ref) or ref == 0:
        return float("nan"), float("nan")
    se = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    return float(np.mean(x) / ref), se / abs(ref)


def _tanh_factor(sd, ds, T, s, q: str) -> float:
    """``tanh(x)/x``, x = stress / sigma_sat of the process, of the first finished off run."""
    if sd is None:
        return float("nan")
    ids = np.ravel(ds.run_id.sel(temperature_K=T, stress_MPa=s, interactions="off").values)
    sts = np.ravel(ds.status.sel(temperature_K=T, stress_MPa=s, interactions="off").values)
    for rid, st in zip(ids, sts, strict=True):
        if str(st) == "done":
            view = sd.kmc(str(rid))
            if view.cfg.simulation.bias_law != "physical":
                return 1.0
            sat = float(np.nanmean(view.data.calibration(f"sigma_sat_{q}_MPa")))
            x = float(s) / sat
            return float(np.tanh(x) / x)
    return float("nan")


def deviation_table(ds, sd=None) -> dict[str, np.ndarray]:
    """Tabulate the on/off/theory ratios of a collected ``elastic_deviation`` sweep.

    Parameters
    ----------
    ds : xarray.Dataset
        ``mgmeso.open_sweep`` of the store, with dimensions ``temperature_K``, ``stress_MPa``,
        ``interactions`` (``off``, ``on``), ``replica`` (optional), ``case``, ``segment`` and the
        ``segment_end`` variables (kMC and ``_theory``).
    sd : SweepData, optional
        The store; with it the column ``tanh_factor``: ``tanh(x)/x`` with ``x = stress /
        sigma_sat`` of the process (anelastic: the SMD units; plastic: the plastic units), the
        expected off/theory ratio of the physical bias law, whose mean response is the linear
        one times this factor (the resampling form: the bias enters linearly, through <s>).

    Returns
    -------
    dict of numpy.ndarray
        One row per (T, stress, quantity, stage): the means (on, off, theory), the three
        ratios with their SE (the ratios to the model NaN where it has recovered below
        :data:`RECOVERED` of its end-of-creep value), the paired difference on - off with its
        SE, and ``n`` the number of replica pairs.
    """
    need = {"temperature_K", "stress_MPa", "interactions", "segment"}
    if not need <= set(ds.dims):
        raise UserError(f"elastic_deviation needs the dimensions {sorted(need)}; the sweep has "
                        f"{sorted(ds.dims)}")
    if "replica" not in ds.dims:
        ds = ds.expand_dims("replica", axis=-1)
    rows: dict[str, list] = {k: [] for k in (
        "temperature_K", "stress_MPa", "quantity", "segment", "on", "on_se", "off", "off_se",
        "theory", "on_theory", "on_theory_se", "off_theory", "off_theory_se", "on_off",
        "on_off_se", "on_minus_off", "on_minus_off_se", "n", "tanh_factor")}
    for T in ds.temperature_K.values:
        for s in ds.stress_MPa.values:
            for q in QUANTITIES:
                fac = _tanh_factor(sd, ds, T, s, q)
                for seg in STAGES:
                    pt = ds.sel(temperature_K=T, stress_MPa=s, case=0, segment=seg)
                    v = pt[f"strain_{q}_end"]
                    on = v.sel(interactions="on").values
                    off = v.sel(interactions="off").values
                    th_name = f"strain_{q}_end_theory"
                    th = (float(np.nanmean(pt[th_name].values)) if th_name in ds
                          else float("nan"))
                    th_creep = float(np.nanmean(ds.sel(temperature_K=T, stress_MPa=s, case=0,
                                                       segment=1)[th_name].values)
                                     ) if th_name in ds else float("nan")
                    if abs(th) < RECOVERED * abs(th_creep):
                        th = float("nan")       # the model has recovered: no ratio to it
                    r_on, se_on = _mean_ratio(on, th)
                    r_off, se_off = _mean_ratio(off, th)
                    ok = np.isfinite(on) & np.isfinite(off)
                    dlt = on[ok] - off[ok]
                    dm = float(np.mean(dlt)) if dlt.size else np.nan
                    dse = (float(np.std(dlt, ddof=1) / np.sqrt(dlt.size)) if dlt.size > 1
                           else np.nan)
                    r, se = paired_ratio(on, off)

                    def ms(x):
                        x = x[np.isfinite(x)]
                        return (float(np.mean(x)) if x.size else np.nan,
                                float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1
                                else np.nan)
                    m_on, e_on = ms(on)
                    m_off, e_off = ms(off)
                    for k, val in (("temperature_K", float(T)), ("stress_MPa", float(s)),
                                   ("quantity", q), ("segment", seg), ("on", m_on),
                                   ("on_se", e_on), ("off", m_off), ("off_se", e_off),
                                   ("theory", th), ("on_theory", r_on),
                                   ("on_theory_se", se_on), ("off_theory", r_off),
                                   ("off_theory_se", se_off), ("on_off", r), ("on_off_se", se),
                                   ("on_minus_off", dm), ("on_minus_off_se", dse),
                                   ("n", int(np.sum(np.isfinite(on) & np.isfinite(off)))),
                                   ("tanh_factor", fac)):
                        rows[k].append(val)
    return {k: np.array(v) for k, v in rows.items()}


def plot_deviation(tab, axes=None):
    """Ratios against temperature (one line per stress) and against stress (one per T).

    Parameters
    ----------
    tab : dict
        :func:`deviation_table`.
    axes : array of matplotlib.axes.Axes, shape (4, 2), optional
        Rows: anelastic/plastic at the end of creep, then after recovery; columns: against T,
        against stress. Default: a new figure.

    Returns
    -------
    numpy.ndarray of Axes
        The axes drawn.
    """
    from ...plotting import plt

    if axes is None:
        _, axes = plt.subplots(4, 2, figsize=(11, 13), layout="constrained")
    Ts, Ss = np.unique(tab["temperature_K"]), np.unique(tab["stress_MPa"])
    styles = (("on_off", "o-", "on / off"), ("on_theory", "s--", "on / theory"),
              ("off_theory", "^:", "off / theory"))
    for row, (seg, q) in enumerate((s, q) for s in STAGES for q in QUANTITIES):
        for col, (xkey, groups, gkey, gunit) in enumerate(
                (("temperature_K", Ss, "stress_MPa", "MPa"),
                 ("stress_MPa", Ts, "temperature_K", "K"))):
            ax = axes[row, col]
            for g_i, g in enumerate(groups):
                m = (tab["quantity"] == q) & (tab["segment"] == seg) & (tab[gkey] == g)
                x = tab[xkey][m] * (1 + 0.002 * (g_i - 1))
                for key, st, lab in styles:
                    ax.errorbar(x, tab[key][m], yerr=tab[key + "_se"][m], fmt=st,
                                color=f"C{g_i}", ms=4, capsize=2, lw=1,
                                label=f"{lab}, {g:g} {gunit}")
                if np.isfinite(tab["tanh_factor"][m]).any():
                    ax.plot(x, tab["tanh_factor"][m], "_", color=f"C{g_i}", ms=14, mew=2,
                            label=f"tanh(x)/x, {g:g} {gunit}")
            ax.axhline(1.0, color="k", lw=0.6)
            # ratios of recovered strains (noise over noise) would set the scale otherwise
            ax.set_ylim(-0.1, 1.6)
            ax.set_xlabel("temperature (K)" if col == 0 else "stress (MPa)")
            if col == 1:
                ax.set_xscale("log")
            ax.set_ylabel(f"{q} strain ratio, {STAGES[seg]}")
            ax.grid(alpha=0.3)
            if row == 0:
                ax.legend(fontsize=6, ncol=1)
    return axes


def dma_curves(sd, ds) -> dict[str, dict[str, np.ndarray]]:
    """E', E'' and tan delta of every interactions label (mean and SE over the replica runs)
    and of the analytical model.

    Parameters
    ----------
    sd : SweepData
        The sweep store.
    ds : xarray.Dataset
        Its dataset (dimensions ``interactions``, ``replica``).

    Returns
    -------
    dict
        ``{"off": cols, "on": cols, "theory": cols}``; kMC cols: ``temperature_K``,
        ``E_storage_MPa``, ``E_loss_MPa``, ``tan_delta`` and their ``_se``, ``n``; theory:
        the same without SE (missing when the sweep has no ``--theory`` runs).
    """
    from ...kmc.lockin import dma_table

    out: dict[str, dict[str, np.ndarray]] = {}
    th = None
    for lab in ds.interactions.values:
        per = []
        T = None
        for rid, st in zip(np.ravel(ds.run_id.sel(interactions=lab).values),
                           np.ravel(ds.status.sel(interactions=lab).values), strict=True):
            if str(st) != "done":
                continue
            view = sd.kmc(str(rid))
            p = view.cfg.protocol
            tab = dma_table(view.series, view.setup, temperature_window_K=max(float(p.T_step_K),
                                                                               0.5))
            T = tab["temperature_K"]
            per.append(np.stack([tab["E_storage_MPa"], tab["E_loss_MPa"], tab["tan_delta"]]))
            if th is None and "theory_status" in ds and sd.store.is_done("theory", str(rid)):
                th = sd.theory(str(rid)).tables["theory"]
        if not per or T is None:
            continue
        n_min = min(a.shape[1] for a in per)
        a = np.stack([x[:, :n_min] for x in per])                # (replica, 3, window)
        m = a.mean(0)
        se = a.std(0, ddof=1) / np.sqrt(a.shape[0]) if a.shape[0] > 1 else np.full_like(m, np.nan)
        out[str(lab)] = {"temperature_K": T[:n_min], "n": np.full(n_min, a.shape[0])}
        for i, k in enumerate(("E_storage_MPa", "E_loss_MPa", "tan_delta")):
            out[str(lab)][k] = m[i]
            out[str(lab)][k + "_se"] = se[i]
    if th is not None:
        cols = {k: np.asarray(v) for k, v in th.items()}
        out["theory"] = {"temperature_K": cols["temperature_K"],
                         "E_storage_MPa": cols["E_storage_MPa"], "E_loss_MPa": cols["E_loss_MPa"],
                         "tan_delta": cols["tan_delta"]}
    return out


def plot_dma(curves, axes=None):
    """E', E'' (log axis) and tan delta (log axis) against T: off, on (+/- 1 SE), theory.

    Parameters
    ----------
    curves : dict
        :func:`dma_curves`.
    axes : sequence of 3 matplotlib.axes.Axes, optional
        Default: a new figure.

    Returns
    -------
    sequence of Axes
        The axes drawn.
    """
    from ...plotting import plt

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(13, 4.2), layout="constrained")
    style = {"off": ("C0", "o", "kMC, interactions off"), "on": ("C3", "s", "kMC, interactions on"),
             "theory": ("k", "", "mean-field model")}
    for key, c in curves.items():
        col, mk, lab = style.get(key, ("C2", "x", key))
        for ax, q in zip(axes, ("E_storage_MPa", "E_loss_MPa", "tan_delta"), strict=True):
            if key == "theory":
                ax.plot(c["temperature_K"], c[q], "k-", lw=1.2, label=lab)
            else:
                ax.errorbar(c["temperature_K"], c[q], yerr=c[q + "_se"], fmt=mk + "-", color=col,
                            ms=3, lw=0.8, capsize=2, label=f"{lab} (+/- 1 SE, {int(c['n'][0])} "
                            "replicas)")
    T = np.concatenate([c["temperature_K"] for k, c in curves.items() if k != "theory"])
    for ax, lab in zip(axes, ("E' (MPa)", "E'' (MPa)", "tan delta"), strict=True):
        ax.set_xlabel("temperature (K)")
        ax.set_ylabel(lab)
        ax.set_xlim(T.min() - 4, T.max() + 4)
        ax.grid(alpha=0.3, which="both")
    axes[1].set_yscale("log")
    axes[2].set_yscale("log")
    axes[0].legend(fontsize=7)
    return axes


@register_analysis("elastic_deviation")
def _elastic_deviation(sd, ds, out, options, overwrite) -> list[str]:
    """Write the on/off/theory ratio table and figure of a creep sweep (``elastic_deviation``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses` (no ``[collect.options]`` used).
    """
    from ...plotting import save_figure

    tab = deviation_table(ds, sd)
    o = Outputs(out, overwrite)
    Table({k: (v if v.dtype.kind in "US" else np.asarray(v, float)) for k, v in tab.items()}
          ).to_csv(o.path("elastic_deviation.csv"))
    axes = plot_deviation(tab)
    save_figure(axes[0, 0].figure, o.path("elastic_deviation.png"))
    lines = []
    for i in range(len(tab["on"])):
        lines.append(f"{tab['temperature_K'][i]:5.0f} K {tab['stress_MPa'][i]:5.0f} MPa "
                     f"{tab['quantity'][i]:<9s} {STAGES[int(tab['segment'][i])]:<15s} "
                     f"on/off {tab['on_off'][i]:.3f} +/- {tab['on_off_se'][i]:.3f}  "
                     f"on/theory {tab['on_theory'][i]:.3f} +/- {tab['on_theory_se'][i]:.3f}  "
                     f"off/theory {tab['off_theory'][i]:.3f} +/- {tab['off_theory_se'][i]:.3f} "
                     f"(tanh(x)/x {tab['tanh_factor'][i]:.3f})")
    return lines + o.lines()


@register_analysis("elastic_dma")
def _elastic_dma(sd, ds, out, options, overwrite) -> list[str]:
    """Write E', E'' and tan delta with interactions off, on and the model (``elastic_dma``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses` (no ``[collect.options]`` used).
    """
    from ...plotting import save_figure

    if "interactions" not in ds.dims:
        raise UserError("elastic_dma needs an axis named interactions (labels off, on)")
    curves = dma_curves(sd, ds)
    o = Outputs(out, overwrite)
    for key, c in curves.items():
        Table({k: np.asarray(v, float) for k, v in c.items()}).to_csv(
            o.path(f"elastic_dma_{key}.csv"))
    axes = plot_dma(curves)
    save_figure(axes[0].figure, o.path("elastic_dma.png"))
    return o.lines()
