"""Group 2: the kMC ensemble in the mean-field configuration against the analytical model.

Every protocol of docs/model.md section 4 is run as a kMC ensemble in the configuration
whose ensemble mean *is* the analytical model (parallel plasticity, one-site footprints,
no coalescence, linear bias law): creep and recovery, stress relaxation, tension,
isochronal and isothermal DMA ('paper' heterogeneity, [Hao2022] Eq. 25a/25b), and creep
in 'local' heterogeneity against the disorder average of the same formulas. Each run is
compared point by point in standard errors (:mod:`mgmeso.compare`, the z-scores of
``mgmeso compare``) and judged by the multiple-comparison rule of :mod:`.kmc_common`; one
more check pools the z-scores of all runs (as normal scores) against N(0, 1).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from scipy import stats

from ..core import Case, register
from .kmc_common import NORMAL, case_alpha, load_case_config, run_store, time_domain, z_check

GROUP = "2 kMC vs analytical"
NAME = "kmc_vs_analytical"
SOURCE = ("analytical model of docs/model.md sections 1 and 4: [Hao2022] Eqs. 25a, 25b (exact "
          "KWW transform), Table 1; disorder average for 'local' mode (mgmeso.compare)")

#: name -> (title, config file, kind, judged quantities)
RUNS = {
    "creep_recovery": ("creep 25 MPa 330 s + 1000 s recovery, 430 K ('paper')",
                       "creep_recovery_430K.toml", "time",
                       ("strain_beta", "strain_anelastic", "strain_plastic")),
    "stress_relaxation": ("stress relaxation, 0.6 % strain, 420 K ('paper')",
                          "stress_relaxation_420K.toml", "time",
                          ("stress_MPa", "strain_beta", "strain_anelastic", "strain_plastic")),
    "tension": ("tension 3e-4 1/s to 1 %, 430 K ('paper')", "tension_430K.toml", "time",
                ("stress_MPa", "strain_beta", "strain_anelastic", "strain_plastic")),
    "dma_isochronal": ("isochronal DMA 1 Hz ('paper')", "dma_isochronal_1Hz.toml", "dma",
                       ("E_storage", "E_loss")),
    "dma_isothermal": ("isothermal DMA sweeps ('paper')", "dma_isothermal.toml", "dma",
                       ("E_storage", "E_loss")),
    "local_creep": ("creep 25 MPa 100 s, 410 K ('local' heterogeneity)", "local_creep_410K.toml",
                    "time", ("strain_beta", "strain_anelastic")),
}


def _dedupe(zs: list[np.ndarray]) -> list[np.ndarray]:
    """Drop z arrays equal to one kept before.

    A beta strain in local equilibrium is a fixed multiple of the stress: the same deviation
    must not be counted twice.
    """
    kept: list[np.ndarray] = []
    for z in zs:
        if any(k.shape == z.shape and np.allclose(k, z, rtol=1e-9, atol=1e-12) for k in kept):
            continue
        kept.append(z)
    return kept


def run_z(run: dict) -> np.ndarray:
    """Return the judged z-scores of one measured run (points with a zero SE are no comparison).

    Parameters
    ----------
    run : dict
        One measured run of the case (its ``kind``, ``quantities``, z-scores and SEs).

    Returns
    -------
    numpy.ndarray
        (n,) the finite z-scores, each quantity counted once.
    """
    if run["kind"] == "dma":
        zs = [np.asarray(run[f"{q}_z"], float) for q in run["quantities"]]
        return np.concatenate([z[np.isfinite(z)] for z in zs])
    zs = []
    for q in run["quantities"]:
        z = np.concatenate([np.where(se[q] > 0, z[q], np.nan)
                            for z, se in zip(run["z"], run["se"], strict=True)])
        z = z[np.isfinite(z)]
        if z.size:
            zs.append(z)
    zs = _dedupe(zs)
    return np.concatenate(zs) if zs else np.zeros(0)


def normal_scores(z: np.ndarray, replicas: int) -> np.ndarray:
    """Map t(R - 1)-distributed z-scores to N(0, 1) quantiles (to pool runs of different R).

    Parameters
    ----------
    z : numpy.ndarray
        z-scores of a run with ``replicas`` replicas.
    replicas : int
        Number of replicas R of that run.

    Returns
    -------
    numpy.ndarray
        The normal scores, shape of ``z``.
    """
    return stats.norm.ppf(stats.t.cdf(np.asarray(z, float), max(replicas - 1, 1)))


def _measure(ctx) -> dict:
    from ...compare import dma_comparison

    only = ctx.option("only") or list(RUNS)
    kmc_material = {**ctx.material_overrides, **(ctx.option("kmc_material") or {})}
    out: dict = {"runs": {}}
    for name in only:
        title, fname, kind, quantities = RUNS[name]
        st = ctx.settings["runs"][name]
        cfg = load_case_config(ctx.directory, fname, st, kmc_material)
        theory_cfg = load_case_config(ctx.directory, fname, st, ctx.material_overrides)
        if kind == "time":
            run = time_domain(cfg, theory_cfg)
        else:
            if ctx.option("kmc_material"):
                raise ValueError("kmc_material perturbs time-domain runs only")
            with tempfile.TemporaryDirectory() as d:
                data, wall = run_store(cfg, Path(d))
                cols = dma_comparison(data)
            run = {k: np.asarray(v) for k, v in cols.items()}
            run.update(replicas=int(cfg.simulation.replicas), wall_s=wall,
                       lattice=f"{cfg.simulation.lattice} L = {cfg.simulation.L}")
        run.update(kind=kind, title=title, quantities=quantities, config=fname)
        out["runs"][name] = run
    return out


def _judge(m, refs):
    runs = m["runs"]
    alpha = case_alpha(len(runs) + 1)
    checks = []
    pooled = []
    for name, run in runs.items():
        z = run_z(run)
        R = int(run["replicas"])
        pooled.append(normal_scores(z, R))
        what = "local-mode disorder average" if name == "local_creep" else "Eq. 25a/25b"
        checks.append(z_check(
            f"{run['title']}: {', '.join(run['quantities'])} in SE", z, R, alpha, SOURCE, what,
            f"{run['lattice']}, {run['config']}; kMC {run['wall_s']:.0f} s"))
    u = np.concatenate(pooled) if pooled else np.zeros(0)
    # normal scores: the pooled check is against N(0, 1) (t with a huge dof is N(0, 1))
    checks.append(z_check("all runs pooled: normal scores of the z-scores against N(0, 1)", u,
                          NORMAL, alpha, SOURCE, "N(0, 1)",
                          "each z mapped through its t(R - 1) CDF to an N(0, 1) quantile"))
    return checks


def _x(run):
    if run["kind"] == "dma":
        iso = np.unique(run["frequency_Hz"]).size == 1 and run["temperature_K"].size > 1 and \
            np.unique(run["temperature_K"]).size == run["temperature_K"].size
        return (run["temperature_K"], "temperature (K)", False) if iso else \
            (run["frequency_Hz"], "frequency (Hz)", True)
    return None


def _figure(m, refs):
    from ...plotting import plt

    runs = m["runs"]
    n = len(runs) + 1
    cols = 4
    rows = -(-n // cols)
    fig, axs = plt.subplots(rows, cols, figsize=(4 * cols, 3.2 * rows), layout="constrained",
                            squeeze=False)
    pooled = []
    for ax, run in zip(axs.flat, runs.values(), strict=False):
        R = int(run["replicas"])
        if run["kind"] == "dma":
            x, xl, logx = _x(run)
            for q, mk in zip(run["quantities"], "os", strict=False):
                ax.plot(x, run[f"{q}_z"], mk, ms=3, label=q.replace("E_", "E ").replace("storage", "'")
                        .replace("loss", "''"))
        else:
            # tension samples are linear in time, the others logarithmic
            xl, logx = "time (s)", not run["config"].startswith("tension")
            for q in run["quantities"]:
                for c in range(len(run["z"])):
                    z = np.where(run["se"][c][q] > 0, run["z"][c][q], np.nan)
                    ax.plot(run["times"][c], z, "o-", ms=3, lw=0.6,
                            label=q.replace("strain_", "") if c == 0 else None)
        pooled.append(normal_scores(run_z(run), R))
        for s in (-3, 3):
            ax.axhline(s, color="k", ls="--", lw=0.8)
        ax.axhline(0, color="0.6", lw=0.6)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("z = (kMC - theory) / SE")
        ax.set_title(f"{run['title']}\n{run['lattice']}, {R} replicas", fontsize=8)
        ax.legend(fontsize=7)
    ax = axs.flat[len(runs)]
    u = np.concatenate(pooled) if pooled else np.zeros(0)
    ax.hist(u, bins=25, density=True, histtype="step", label=f"pooled normal scores ({u.size})")
    g = np.linspace(-4, 4, 200)
    ax.plot(g, stats.norm.pdf(g), "k--", lw=1, label="N(0, 1)")
    ax.set_xlabel("normal score")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    for a in list(axs.flat)[n:]:
        a.set_visible(False)
    fig.suptitle("kMC (mean-field configuration) against the analytical model, in standard "
                 "errors of the replica mean; dashed: 3 SE")
    return fig


def _runs(L: int, R: int, dma_L: int, dma_R: int, iso: dict, sweep: dict) -> dict:
    base = {"simulation.L": L, "simulation.replicas": R}
    dma = {"simulation.L": dma_L, "simulation.replicas": dma_R}
    return {"creep_recovery": base, "stress_relaxation": base, "tension": base,
            "local_creep": base, "dma_isochronal": {**dma, **iso}, "dma_isothermal": {**dma, **sweep}}


register(Case(
    NAME, GROUP, "kMC ensemble (mean-field configuration) against the analytical model: creep, "
    "recovery, relaxation, tension, DMA, both heterogeneity modes", SOURCE,
    _measure, _judge, _figure,
    quick={"runs": _runs(6, 12, 8, 8, {"protocol.T_start_K": 350.0, "protocol.T_end_K": 378.0,
                                      "protocol.heating_rate_K_per_min": 10.0},
                         {"protocol.T_start_K": 352.0, "protocol.T_end_K": 372.0,
                          "protocol.f_min_Hz": 0.1}),
           "cost_s": 40},
    full={"runs": _runs(8, 32, 8, 12, {}, {}), "cost_s": 900}))
