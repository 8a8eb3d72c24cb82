"""``creep_compliance``: creep and recovery over temperature and stress, kMC against theory.

For a sweep over ``temperature_K`` and ``stress_MPa`` (and replicas) of a creep-and-recovery
config collected with its ``--theory`` counterpart: the compliance at the end of creep
(strain/stress) and the permanent strain per MPa at the end of recovery, replica means with
standard errors against the analytical model, as a figure and a CSV. For the mean-field
configuration the kMC ensemble mean is the model exactly, so the printed z-scores
(kMC - theory)/SE are standard normal if all is well (|z| < 3 at every point is the criterion,
Bonferroni-free: with 12 points the chance of a |z| > 3 by luck is 3 %).
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from ...io.table import Table
from . import register_analysis
from .common import Outputs, replica_mean


def _need(ds, names):
    missing = [n for n in names if n not in ds]
    if missing:
        raise UserError("creep_compliance needs " + ", ".join(missing) + " in the collected "
                        "sweep (run the kMC sweep and the same file with --theory into one store)")


@register_analysis("creep_compliance")
def _creep_compliance(sd, ds, out, options, overwrite) -> list[str]:
    """Compare the kMC's creep compliance and permanent strain with the theory (``creep_compliance``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    from ...plotting import plt, save_figure

    _need(ds, ["strain_end", "strain_plastic_end", "strain_end_theory",
               "strain_plastic_end_theory"])
    if not {"temperature_K", "stress_MPa"} <= set(ds.dims):
        raise UserError("creep_compliance needs axes temperature_K and stress_MPa")
    o = Outputs(out, overwrite)
    d = ds.isel(case=0)
    S = d.stress_MPa
    quantities = {
        "compliance_end_creep_per_MPa": (d.strain_end.sel(segment=1) / S,
                                         d.strain_end_theory.sel(segment=1) / S),
        "permanent_strain_per_MPa": (d.strain_plastic_end.sel(segment=2) / S,
                                     d.strain_plastic_end_theory.sel(segment=2) / S),
    }
    rows: dict[str, list] = {"temperature_K": [], "stress_MPa": []}
    lines, zs = [], []
    stats = {}
    for name, (kmc, th) in quantities.items():
        m, se = replica_mean(kmc)
        t = th.isel(replica=0) if "replica" in th.dims else th
        stats[name] = (m, se, t)
        z = (m - t) / se
        zs.append(np.abs(z.values))
        lines.append(f"{name}: max |kMC - theory| / SE = {np.nanmax(np.abs(z.values)):.2f} over "
                     f"{np.isfinite(z.values).sum()} points (criterion: < 3)")
    for T in d.temperature_K.values:
        for s in d.stress_MPa.values:
            rows["temperature_K"].append(float(T))
            rows["stress_MPa"].append(float(s))
            for name, (m, se, t) in stats.items():
                for suffix, arr in (("", m), ("_se", se), ("_theory", t)):
                    rows.setdefault(name + suffix, []).append(
                        float(arr.sel(temperature_K=T, stress_MPa=s)))
    Table({k: np.asarray(v) for k, v in rows.items()}).to_csv(o.path("creep_compliance.csv"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for ax, (m, se, t), ylabel in zip(axes, stats.values(), (
            "compliance at the end of creep, strain/stress (1/MPa)",
            "permanent strain per MPa after recovery (1/MPa)")):
        n_s = d.sizes["stress_MPa"]
        for k, s in enumerate(d.stress_MPa.values):
            c = f"C{k}"
            dx = (k - (n_s - 1) / 2) * 1.2          # side by side, so the error bars show
            ax.errorbar(d.temperature_K + dx, m.sel(stress_MPa=s), yerr=se.sel(stress_MPa=s),
                        fmt="o", color=c, capsize=3, ms=5, label=f"kMC, {s:g} MPa")
        # the model is linear in the stress: one line for all of them (drawn for each)
        for k, s in enumerate(d.stress_MPa.values):
            ax.plot(d.temperature_K, t.sel(stress_MPa=s), "k-", lw=1,
                    label="analytical model (linear: all stresses)" if k == 0 else None)
        ax.set_yscale("log")
        ax.set_xlabel("temperature (K)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3, which="both")
    axes[0].legend(fontsize=8)
    n_rep = ds.sizes.get("replica", 1)
    fig.suptitle(f"{ds.attrs.get('title', '')}\n(kMC: mean of {n_rep} replica runs +/- SE; "
                 "lines: analytical model)", fontsize=9)
    save_figure(fig, o.path("creep_compliance.png"))
    return lines + o.lines()
