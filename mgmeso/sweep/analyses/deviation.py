"""``kmc_deviation``: how far the kMC rules deviate from the mean-field model, against temperature.

configs/sweeps/kmc_deviation.toml: creep (25 MPa, 330 s) and recovery of La60Ni15Al25 at a
ladder of temperatures (``temperature_K``) for four kMC configurations (``rule``): the
mean-field control (must equal [Hao2022] Eq. 25a), the series rule without coalescence (the
mean-field approximation itself, whose exact mean the hereditary integrator gives) and the
mesoscale rule with footprint growth at every SMD event or at the alpha rate. Per point the
anelastic and plastic strain at the end of creep (replica mean and SE), both analytical
models at the same sample, and the coalescences per site; deviation.csv and deviation.png.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...errors import UserError
from ...io.table import Table
from . import register_analysis
from .common import Outputs

_COLS = ("temperature_K", "configuration", "anelastic_end_creep", "anelastic_se",
         "plastic_end_creep", "plastic_se", "anelastic_meanfield_theory",
         "plastic_meanfield_theory", "anelastic_series_theory", "plastic_series_theory",
         "coalescences_per_site")


def _theories(view, k: int) -> tuple[dict, dict]:
    """Mean-field (Eq. 25a) and exact series-rule means of the run's creep, at sample k."""
    from ...compare import theory_for_case
    from ...kmc.setup import make_setup

    t = view.series("time_s")[0, 0]
    out = []
    for rule in ("parallel", "series"):
        sim = dataclasses.replace(view.cfg.simulation, plasticity=rule, coalescence=False,
                                  footprint_max_sites=1)
        setup = make_setup(dataclasses.replace(view.cfg, simulation=sim))
        d = theory_for_case(setup, 0, t)[0]
        out.append({key: float(d[f"strain_{key}"][k]) for key in ("anelastic", "plastic")})
    return out[0], out[1]


@register_analysis("kmc_deviation")
def _kmc_deviation(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate how far each kMC rule deviates from the mean-field model (``kmc_deviation``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    if not {"temperature_K", "rule"} <= set(ds.dims):
        raise UserError("kmc_deviation needs axes named temperature_K and rule")
    o = Outputs(out, overwrite)
    creep_end = float(options.get("creep_end_s", 330.0))
    rows: dict[str, list] = {c: [] for c in _COLS}
    lines = []
    for T in ds.temperature_K.values:
        for rule in ds.rule.values:
            pt = ds.sel(temperature_K=T, rule=rule, case=0)
            if str(pt.status.item()) != "done":
                lines.append(f"{T:g} K, {rule}: run {pt.run_id.item()} is {pt.status.item()}; "
                             "skipped")
                continue
            view = sd.kmc(str(pt.run_id.item()))
            t = view.series("time_s")[0, 0]
            k = int(np.argmin(np.abs(t - creep_end)))
            mf, sr = _theories(view, k)
            seg = 1 + int(view.series("segment")[0, 0, k])
            coal = view.series("events_coalescence")[0]
            n_sites = view.setup.lattice.n_sites
            vals = {
                "temperature_K": float(T), "configuration": str(rule),
                "anelastic_end_creep": pt.strain_anelastic_end.sel(segment=seg).item(),
                "anelastic_se": pt.strain_anelastic_end_se.sel(segment=seg).item(),
                "plastic_end_creep": pt.strain_plastic_end.sel(segment=seg).item(),
                "plastic_se": pt.strain_plastic_end_se.sel(segment=seg).item(),
                "anelastic_meanfield_theory": mf["anelastic"], "plastic_meanfield_theory":
                mf["plastic"], "anelastic_series_theory": sr["anelastic"],
                "plastic_series_theory": sr["plastic"],
                "coalescences_per_site": float(np.nanmean(coal[:, -1])) / n_sites,
            }
            for c in _COLS:
                rows[c].append(vals[c])
            lines.append(f"{T:5.0f} K  {rule:<32s} anelastic {vals['anelastic_end_creep']:.3g} "
                         f"(mean field {mf['anelastic']:.3g})  plastic "
                         f"{vals['plastic_end_creep']:.3g} (mean field {mf['plastic']:.3g})")
    cols = {c: np.array(v) for c, v in rows.items()}
    Table(cols).to_csv(o.path("deviation.csv"))
    _plot(cols, o.path("deviation.png"), ds)
    return lines + o.lines()


def _plot(c, path, ds) -> None:
    from ...plotting import plt, save_figure

    fig, ax = plt.subplots(1, 2, figsize=(12, 4.6), layout="constrained")
    names = list(dict.fromkeys(c["configuration"]))
    for name, mk in zip(names, "osD^v<>"):
        sel = c["configuration"] == name
        for a, key in ((ax[0], "anelastic"), (ax[1], "plastic")):
            ratio = c[f"{key}_end_creep"][sel] / c[f"{key}_meanfield_theory"][sel]
            err = c[f"{key}_se"][sel] / c[f"{key}_meanfield_theory"][sel]
            a.errorbar(c["temperature_K"][sel], ratio, yerr=err, marker=mk, capsize=3, label=name)
    for a, key in ((ax[0], "anelastic"), (ax[1], "plastic")):
        sel = c["configuration"] == names[min(1, len(names) - 1)]
        a.plot(c["temperature_K"][sel],
               c[f"{key}_series_theory"][sel] / c[f"{key}_meanfield_theory"][sel],
               "k--", lw=1, label="series rule, exact mean")
        a.axhline(1.0, color="0.5", lw=0.8)
        a.set_xlabel("temperature (K)")
        a.set_ylabel(f"{key} strain at the end of creep / mean-field Eq. 25a")
        a.set_yscale("log")
        a.grid(alpha=0.3, which="both")
    ax[0].legend(fontsize=8)
    base = ds.attrs.get("title", "")
    fig.suptitle(f"{base} (+/- 1 SE)", fontsize=10)
    save_figure(fig, path)
