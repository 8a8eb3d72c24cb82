"""Aging and rejuvenation in the kMC: [Duan2022] second run, [Hao2023] pre-anneal, [Zhang2023] training.

    python scripts/study_aging.py [stepped] [preanneal] [preanneal_baseline] [training]
                                  [training_creep] [alpha_tail] [yield_scan]
                                  [--replicas N] [--chi-radius R] [--out DIR]

* ``stepped``: configs/la60_kmc_stepped_aging.toml. delta = (sigma_0 - sigma_r)/sigma_0 per
  3 K step of the as-quenched run and of the second run after cooling at 0.1 K/min, with the
  defect fraction at the end of each step (replica means and standard errors).
* ``preanneal``: configs/la60_kmc_preanneal_315K.toml run with 0, 600, 1800 and 6000 s of
  annealing at 315 K before the first relaxation; sigma/sigma_0 of the first and second
  relaxation at 0.6 % strain.
* ``preanneal_baseline``: the same config with the defect dynamics off: the reversible part of
  the first-minus-second difference (anelastic memory), to subtract from the aging runs.
* ``training``: configs/la30_kmc_training.toml. Defect fraction and mean chi after training
  at 0.01-10 Hz against the untrained reference (same heating and cooling at zero stress).
* ``training_creep``: configs/la30_kmc_training_creep.toml. The same training, then [Zhang2023]'s
  creep test (403 K, 25 MPa after 10 min at zero stress): creep strain and late creep rate.
* ``yield_scan``: the rejuvenation yield that gives [Zhang2023]'s chi rise between training at
  0.01 and 10 Hz (0.405 to 0.438 at the 403 K creep test, docs/model.md E9).
* ``alpha_tail``: the mean annihilation rate <1/tau_max_j> at 315 K in 'local' mode against
  lattice size, for each site's own beta time and for the neighbourhood's (static glasses).

Writes CSV files to ``--out`` (default validation/kmc_aging) and figures to docs/figures.
One seed per config drives all runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from mgmeso.config import load_config
from mgmeso.io.table import Table, read_csv_columns
from mgmeso.kmc.aging import STEP_COLUMNS, stepped_delta
from mgmeso.kmc.ensemble import run_ensemble, with_overrides
from mgmeso.kmc.replica import TS_INDEX

ROOT = Path(__file__).resolve().parents[1]
FIG = ROOT / "docs" / "figures"


def _mean_se(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n = np.sum(np.isfinite(x), axis=axis)
    return np.nanmean(x, axis=axis), np.nanstd(x, axis=axis, ddof=1) / np.sqrt(n)


def _last_row(table: np.ndarray, segment: int) -> np.ndarray:
    """The last recorded sample of program segment ``segment`` in a replica's time series."""
    return table[table[:, TS_INDEX["segment"]] == segment][-1]


def stepped(replicas: int | None, out: Path) -> None:
    cfg = with_overrides(load_config(ROOT / "configs" / "la60_kmc_stepped_aging.toml"), replicas=replicas)
    t0 = time.time()
    res = run_ensemble(cfg, progress=False)
    prog = res.setup.programs[0]
    per = np.array([stepped_delta(r.table(), prog) for r in res.replicas[0]])  # (rep, step, col)
    mean, se = _mean_se(per)
    cols = {"run": mean[:, 0], "temperature_K": mean[:, 1]}
    for k in ("delta", "defect_fraction", "chi_mean", "sigma0_MPa"):
        i = STEP_COLUMNS.index(k)
        cols[k] = mean[:, i]
        cols[k + "_se"] = se[:, i]
    Table(cols).to_csv(out / "stepped_delta.csv")
    r1, r2 = mean[:, 0] == 1, mean[:, 0] == 2
    d = mean[:, STEP_COLUMNS.index("delta")]
    dse = se[:, STEP_COLUMNS.index("delta")]
    below = mean[:, 1] <= 440.0
    diff = d[r1 & below] - d[r2 & below]
    z = diff / np.hypot(dse[r1 & below], dse[r2 & below])
    print(f"stepped: {len(res.replicas[0])} replicas, L = {cfg.simulation.L}, {time.time() - t0:.0f} s wall")
    print(f"  steps <= 440 K: delta(run 1) - delta(run 2) mean {diff.mean():+.4f}, "
          f"{np.sum(z > 2)} of {z.size} steps above +2 SE, {np.sum(z < -2)} below -2 SE")
    f = mean[:, STEP_COLUMNS.index("defect_fraction")]
    print(f"  defect fraction at 300 K: run 1 {f[r1][0]:.4f}, run 2 {f[r2][0]:.4f}")
    _plot_stepped(mean, se, cfg)


def _plot_stepped(mean, se, cfg) -> None:
    import matplotlib.pyplot as plt
    from mgmeso.theory.protocols import evaluate
    fig, (a, b) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    idx_d, idx_f = STEP_COLUMNS.index("delta"), STEP_COLUMNS.index("defect_fraction")
    for run, colour, label in ((1, "C3", "run 1: as-quenched (T_f = 480 K)"),
                               (2, "C0", "run 2: after cooling at 0.1 K/min")):
        m = mean[:, 0] == run
        a.errorbar(mean[m, 1], mean[m, idx_d], yerr=se[m, idx_d], fmt="o-", ms=3, color=colour,
                   label=label)
        b.errorbar(mean[m, 1], mean[m, idx_f], yerr=se[m, idx_f], fmt="o-", ms=3, color=colour,
                   label=label)
    try:  # the analytical model (no aging, C_d frozen at Tg) beside it
        th = evaluate(dataclasses.replace(cfg, protocol=dataclasses.replace(
            cfg.protocol, second_run_cooling_K_per_min=0.0)))
        tab = next(t for t in th.tables.values() if "delta" in t.names)
        a.plot(tab["temperature_K"], tab["delta"], "k--", lw=1, label="analytical model (no aging)")
    except StopIteration:
        pass
    from mgmeso.theory.kinetics import defect_concentration, equilibrium_defect_concentration
    T = np.linspace(300, 475, 200)
    b.plot(T, equilibrium_defect_concentration(cfg.material, T), "k:", lw=1, label="C_d(T), Eq. 1")
    b.plot(T, defect_concentration(cfg.material, T), "k--", lw=1, label="analytical model (frozen at Tg)")
    a.set_ylabel("delta = (sigma_0 - sigma_r)/sigma_0")
    a.set_ylim(-0.05, 1.1)
    b.set_ylabel("defect fraction at the end of the step")
    b.set_xlabel("step temperature (K)")
    a.legend(fontsize=8)
    b.legend(fontsize=8)
    a.set_title(f"kMC stepped relaxation with aging, La60Ni15Al25 (sc L = {cfg.simulation.L}, "
                f"{cfg.simulation.replicas} replicas)", fontsize=9)
    fig.tight_layout()
    fig.savefig(FIG / "kmc_aging_stepped.png", dpi=120)
    plt.close(fig)


#: annealing times at 315 K before the first relaxation: [Hao2023]'s 0, 600 and 1800 s, and a
#: longer one (does annealing remove the extra decay up to times of the order of t_anneal?)
ANNEALS_S = (0.0, 600.0, 1800.0, 6000.0)


def _relaxations(data: np.ndarray, first: int, t_first_s: float):
    """Time since loading and sigma/sigma_0 per replica of the first relaxation (segment
    ``first``) and the second (``first + 3``: after unloading and recovery) of the pre-anneal
    program. ``data`` is (replica, sample, variable)."""
    seg = data[0, :, TS_INDEX["segment"]]
    per_rep = {}
    for stage, k in ((1, first), (3, first + 3)):
        m = seg == k
        t = data[0, m, TS_INDEX["time_s"]]
        st = data[:, m, TS_INDEX["stress_MPa_expected"]]
        per_rep[stage] = st / st[:, :1]
    return t - t[0] + t_first_s, per_rep


def _at(t: np.ndarray, mean: np.ndarray, se: np.ndarray, times=(100, 300, 1000, 3000)) -> str:
    return ", ".join(f"{np.interp(x, t, mean):+.4f} +/- {np.interp(x, t, se):.4f}" for x in times)


def _preanneal_config(replicas: int | None, chi_radius: int | None):
    """The [Hao2023] pre-anneal config, optionally with another chi_radius, and its output suffix."""
    base = with_overrides(load_config(ROOT / "configs" / "la60_kmc_preanneal_315K.toml"), replicas=replicas)
    if chi_radius is None or chi_radius == base.simulation.chi_radius:
        return base, ""
    return (dataclasses.replace(base, simulation=dataclasses.replace(base.simulation, chi_radius=chi_radius)),
            f"_radius{chi_radius}")


def preanneal(replicas: int | None, out: Path, chi_radius: int | None = None) -> None:
    base, suffix = _preanneal_config(replicas, chi_radius)
    segs = base.protocol.segments
    curves, extra = {}, {}
    t0 = time.time()
    for ta in ANNEALS_S:
        s = segs[1:] if ta == 0 else (dataclasses.replace(segs[0], duration_s=ta),) + segs[1:]
        cfg = dataclasses.replace(base, protocol=dataclasses.replace(base.protocol, segments=s))
        res = run_ensemble(cfg, progress=False)
        t, per_rep = _relaxations(res.stacked()[0], 0 if ta == 0 else 1, base.protocol.t_first_s)
        for stage in (1, 3):
            curves[(ta, stage)] = (t, *_mean_se(per_rep[stage]))
        # the extra decay of the first relaxation, paired replica by replica (same disorder)
        extra[ta] = (t, *_mean_se(per_rep[3] - per_rep[1]))
        fr = np.array([r.n_qpd / r.N for r in res.replicas[0]])
        print(f"preanneal {ta:6.0f} s: final defect fraction {fr.mean():.4f} +/- {fr.std(ddof=1) / np.sqrt(fr.size):.4f}; "
              f"stage-1 sigma/sigma_0 at 100/1000/3000 s: "
              + ", ".join(f"{np.interp(x, curves[(ta, 1)][0], curves[(ta, 1)][1]):.4f}" for x in (100, 1000, 3000))
              + "; stage 3: "
              + ", ".join(f"{np.interp(x, curves[(ta, 3)][0], curves[(ta, 3)][1]):.4f}" for x in (100, 1000, 3000))
              + f" (SE at 3000 s: {curves[(ta, 1)][2][-1]:.4f}, {curves[(ta, 3)][2][-1]:.4f})")
        print("    extra decay of the first relaxation (second - first, paired) at 100/300/1000/3000 s: "
              + _at(*extra[ta]))
    cols = {}
    for (ta, stage), (t, m, s) in curves.items():
        cols[f"time_s_anneal{ta:g}_stage{stage}"] = t
        cols[f"stress_ratio_anneal{ta:g}_stage{stage}"] = m
        cols[f"stress_ratio_se_anneal{ta:g}_stage{stage}"] = s
    for ta, (t, m, s) in extra.items():
        cols[f"extra_decay_anneal{ta:g}"] = m
        cols[f"extra_decay_se_anneal{ta:g}"] = s
    n = max(len(v) for v in cols.values())
    Table({k: np.pad(v, (0, n - len(v)), constant_values=np.nan) for k, v in cols.items()}).to_csv(
        out / f"preanneal_315K{suffix}.csv")
    print(f"  {time.time() - t0:.0f} s wall")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.5))
    for ta, colour in zip(ANNEALS_S, ("C3", "C1", "C0", "C2")):
        for stage, ls in ((1, "-"), (3, ":")):
            t, m, s = curves[(ta, stage)]
            ax.plot(t, m, ls, color=colour, label=f"anneal {ta:g} s, {'first' if stage == 1 else 'second'} relaxation")
            ax.fill_between(t, m - s, m + s, color=colour, alpha=0.15)
        t, m, s = extra[ta]
        bx.plot(t, m, color=colour, label=f"anneal {ta:g} s")
        bx.fill_between(t, m - s, m + s, color=colour, alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("time since loading (s)")
    ax.set_ylabel("sigma / sigma_0")
    ax.legend(fontsize=7)
    bx.axhline(0.0, color="k", lw=0.8)
    baseline = out / f"preanneal_315K_aging_off{suffix}.csv"
    if baseline.exists():            # written by preanneal_baseline (run it first)
        b = read_csv_columns(baseline)
        bm, bs = b["extra_decay_aging_off"], b["extra_decay_aging_off_se"]
        bx.plot(b["time_s"], bm, "k--", label="aging off (reversible memory), no anneal")
        bx.fill_between(b["time_s"], bm - bs, bm + bs, color="k", alpha=0.1)
    bx.axvspan(100, 1000, color="0.9", label="[Hao2023]: extra decay at 100-1000 s")
    bx.set_xscale("log")
    bx.set_xlabel("time since loading (s)")
    bx.set_ylabel("extra decay: second - first relaxation (paired, +/- SE)")
    bx.legend(fontsize=7)
    fig.suptitle(f"kMC at 315 K with aging (local chi_j, radius {base.simulation.chi_radius}, "
                 f"{base.simulation.hierarchy_beta_time} beta time; {base.simulation.replicas} replicas)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(FIG / f"kmc_aging_preanneal{suffix}.png", dpi=120)
    plt.close(fig)


def training(replicas: int | None, out: Path) -> None:
    cfg = with_overrides(load_config(ROOT / "configs" / "la30_kmc_training.toml"), replicas=replicas)
    t0 = time.time()
    res = run_ensemble(cfg, progress=False)
    labels = res.setup.case_labels
    rows = {"case": [], "frequency_Hz": [], "defect_fraction": [], "defect_fraction_se": [],
            "excess": [], "excess_se": [], "chi_mean": [], "chi_mean_se": [], "work_MPa": [],
            "work_MPa_se": []}
    def after_cooling(r, name):     # value at the end of the cooling segment (index 2)
        d = r.table()
        return _last_row(d, 2)[TS_INDEX[name]]

    ref = np.array([after_cooling(r, "defect_fraction") for r in res.replicas[0]])
    for c, lab in enumerate(labels):
        reps = res.replicas[c]
        fr = np.array([after_cooling(r, "defect_fraction") for r in reps])
        chi = np.array([after_cooling(r, "chi_mean") for r in reps])
        work = np.array([float(r.K.work[0]) for r in reps])   # includes the scan's (small) work
        ex = fr - ref      # same seeds: the untrained twin of each replica is its reference
        for k, v in (("defect_fraction", fr), ("excess", ex), ("chi_mean", chi), ("work_MPa", work)):
            m, s = _mean_se(v)
            rows[k].append(float(m))
            rows[k + "_se"].append(float(s))
        loss = _post_scan_loss(reps, res.setup.programs[c], cfg.protocol)
        for k, v in zip(("beta_band_E_loss_MPa", "beta_band_E_loss_MPa_se"), loss):
            rows.setdefault(k, []).append(v)
        rows["case"].append(lab)
        rows["frequency_Hz"].append(0.0 if lab == "untrained" else float(lab.split()[0]))
        print(f"training {lab:>9}: defect fraction {rows['defect_fraction'][-1]:.4f}, excess "
              f"{rows['excess'][-1]:+.4f} +/- {rows['excess_se'][-1]:.4f}, chi {rows['chi_mean'][-1]:.4f}, "
              f"anelastic work {rows['work_MPa'][-1]:.4g} MPa; E'' of the 1 Hz scan after, "
              f"{BETA_BAND_K[0]:g}-{BETA_BAND_K[1]:g} K: {loss[0]:.1f} +/- {loss[1]:.1f} MPa")
    print(f"  {time.time() - t0:.0f} s wall")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "training.csv")
    import matplotlib.pyplot as plt
    f = np.array(rows["frequency_Hz"][1:])
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(13, 3.8))
    a.errorbar(f, rows["excess"][1:], yerr=rows["excess_se"][1:], fmt="o-")
    a.axhline(0, color="k", lw=0.8)
    a.set_xscale("log")
    a.set_xlabel("training frequency (Hz)")
    a.set_ylabel("defect excess over the untrained sample")
    b.errorbar(f, rows["work_MPa"][1:], yerr=rows["work_MPa_se"][1:], fmt="o-", color="C1")
    b.set_xscale("log")
    b.set_yscale("log")
    b.set_xlabel("training frequency (Hz)")
    b.set_ylabel("net anelastic work (MPa)")
    if np.isfinite(rows["beta_band_E_loss_MPa"][0]):
        y, ye = rows["beta_band_E_loss_MPa"], rows["beta_band_E_loss_MPa_se"]
        c.errorbar(f, y[1:], yerr=ye[1:], fmt="o-", color="C2", label="trained")
        c.axhspan(y[0] - ye[0], y[0] + ye[0], color="0.8", label="untrained (+/- SE)")
        c.set_xscale("log")
        c.set_xlabel("training frequency (Hz)")
        c.set_ylabel(f"E'' at {BETA_BAND_K[0]:g}-{BETA_BAND_K[1]:g} K, 1 Hz scan after (MPa)")
        c.legend(fontsize=8)
    fig.suptitle("kMC beta training of La30Ce30Ni10Al20Co10, 0.2 % strain while heating to 383 K",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(FIG / "kmc_aging_training.png", dpi=120)
    plt.close(fig)


#: temperature band of the beta peak of La30Ce30Ni10Al20Co10 at 1 Hz ([Zhang2023] Fig. 4b: 364-368 K)
BETA_BAND_K = (355.0, 375.0)


def _post_scan_loss(reps, prog, protocol) -> tuple[float, float]:
    """E'' of the 1 Hz scan after training, averaged over the beta-peak band (2 K lock-in
    windows), mean and SE over replicas. The peak is too broad (B = 0.36) for its position
    to be located to better than tens of K at this replica count."""
    from mgmeso.kmc.lockin import lockin_windows
    from mgmeso.program import Oscillate
    i_scan = len(prog.segments) - 1
    scan = prog.segments[i_scan]
    if not isinstance(scan, Oscillate):
        return (np.nan,) * 2
    rate = scan.ramp_K_per_min / 60.0
    cyc = max(int(round(2.0 / rate * scan.frequency_Hz)), 1)      # 2 K windows
    curves = []
    for r in reps:
        d = r.table()
        m = d[:, TS_INDEX["segment"]] == i_scan
        t = d[m, TS_INDEX["time_s"]]
        t0 = t[0] - 1.0 / (scan.frequency_Hz * scan.samples_per_cycle)
        tm, E = lockin_windows(t, d[m, TS_INDEX["stress_MPa_expected"]], d[m, TS_INDEX["strain"]],
                               2 * np.pi * scan.frequency_Hz, t0, cyc)
        curves.append(E.imag)
        T = protocol.T_start_K + rate * (tm - t0)
    band = (T >= BETA_BAND_K[0]) & (T <= BETA_BAND_K[1])
    loss = np.array([c[band].mean() for c in curves])
    m, se = _mean_se(loss)
    return float(m), float(se)


def preanneal_baseline(replicas: int | None, out: Path, chi_radius: int | None = None) -> None:
    """The pre-anneal config without annealing and with the defect dynamics off: the part of the
    first-minus-second difference that is reversible memory (anelastic strain not recovered in
    the 1000 s between the relaxations), not aging."""
    base, suffix = _preanneal_config(replicas, chi_radius)
    cfg = dataclasses.replace(base, defects=dataclasses.replace(base.defects, enabled=False),
                              protocol=dataclasses.replace(base.protocol, segments=base.protocol.segments[1:]))
    t, norm = _relaxations(run_ensemble(cfg, progress=False).stacked()[0], 0, base.protocol.t_first_s)
    m, se = _mean_se(norm[3] - norm[1])
    print("preanneal baseline (aging off): second - first (paired) at 100/300/1000/3000 s: "
          + _at(t, m, se))
    Table({"time_s": t, "extra_decay_aging_off": m, "extra_decay_aging_off_se": se}).to_csv(
        out / f"preanneal_315K_aging_off{suffix}.csv")


def alpha_tail(replicas: int | None, out: Path) -> None:
    """Mean annihilation (plastic) rate <1/tau_max_j> of the QPD sites at 315 K in 'local' mode,
    against lattice size, for the site rule and the neighbourhood rule (chi_radius 3).

    With the site rule ln tau_max_j = ln t0 + (ln tau_beta_j - ln t0)/chi_j and the Gumbel law
    tau_beta_j = <tau_beta> E^(1/B), E ~ Exp(1): <1/tau_max> ~ <E^(-1/(B chi))>, which diverges
    for B chi < 1, so the lattice mean is set by its fastest few beta sites.
    """
    from mgmeso.config import load_material
    from mgmeso.kmc.lattice import make_lattice
    from mgmeso.percolation.liquid import static_glass
    mat = load_material("la60ni15al25")[0]
    draws = replicas or 8
    rows = {"rule": [], "L": [], "median_rate_per_s": [], "min_rate_per_s": [], "max_rate_per_s": []}
    for rule in ("site", "neighbourhood"):
        for L in (8, 16, 32):
            lat = make_lattice("sc", L)
            rates = []
            for seed in range(draws):
                g = static_glass(mat, lat, seed, heterogeneity="local", chi_radius=3,
                                 hierarchy_beta_time=rule)
                lt = g.log_tau_max(315.0)
                rates.append(np.mean(np.exp(-lt[np.isfinite(lt)])))
            r = np.array(rates)
            for k, v in (("rule", rule), ("L", L), ("median_rate_per_s", np.median(r)),
                         ("min_rate_per_s", r.min()), ("max_rate_per_s", r.max())):
                rows[k].append(v)
            print(f"alpha tail, {rule:>13} rule, sc L = {L:2d}: <1/tau_max_j> at 315 K median "
                  f"{np.median(r):.2e} 1/s, range {r.min():.1e}-{r.max():.1e} over {draws} glasses")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "alpha_tail_315K.csv")


def training_creep(replicas: int | None, out: Path) -> None:
    """[Zhang2023]'s creep test (403 K, 25 MPa after a 10-min hold) on trained and untrained samples."""
    cfg = with_overrides(load_config(ROOT / "configs" / "la30_kmc_training_creep.toml"), replicas=replicas)
    t0 = time.time()
    res = run_ensemble(cfg, progress=False)
    labels = res.setup.case_labels
    rows = {"case": [], "frequency_Hz": []}
    curves = {}
    for c, lab in enumerate(labels):
        i_creep = len(res.setup.programs[c].segments) - 1
        per = {"creep_strain": [], "creep_rate_per_s": [], "defect_fraction_at_load": [],
               "chi_mean_at_load": []}
        traces = []
        for r in res.replicas[c]:
            d = r.table()
            before = _last_row(d, i_creep - 1)
            m = d[:, TS_INDEX["segment"]] == i_creep
            t = d[m, TS_INDEX["time_s"]] - before[TS_INDEX["time_s"]]
            eps = d[m, TS_INDEX["strain_expected"]] - before[TS_INDEX["strain_expected"]]
            traces.append(eps)
            late = t >= 0.5 * t[-1]          # steady-state rate: slope over the second half
            per["creep_strain"].append(eps[-1])
            per["creep_rate_per_s"].append(np.polyfit(t[late], eps[late], 1)[0])
            per["defect_fraction_at_load"].append(before[TS_INDEX["defect_fraction"]])
            per["chi_mean_at_load"].append(before[TS_INDEX["chi_mean"]])
        curves[lab] = (t, *_mean_se(np.array(traces)))
        for k, v in per.items():
            mean, se = _mean_se(np.array(v))
            rows.setdefault(k, []).append(float(mean))
            rows.setdefault(k + "_se", []).append(float(se))
        rows["case"].append(lab)
        rows["frequency_Hz"].append(0.0 if lab == "untrained" else float(lab.split()[0]))
        print(f"creep after training {lab:>9}: chi at loading {rows['chi_mean_at_load'][-1]:.4f}, "
              f"creep strain at {t[-1]:.0f} s {rows['creep_strain'][-1]:.5f} +/- "
              f"{rows['creep_strain_se'][-1]:.5f}, rate {rows['creep_rate_per_s'][-1]:.3e} +/- "
              f"{rows['creep_rate_per_s_se'][-1]:.1e} 1/s")
    print(f"  {time.time() - t0:.0f} s wall")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "training_creep.csv")
    import matplotlib.pyplot as plt
    p = cfg.protocol
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    cmap = plt.get_cmap("viridis")
    for k, (lab, (t, m, s)) in enumerate(curves.items()):
        colour = "k" if lab == "untrained" else cmap((k - 1) / max(len(curves) - 2, 1))
        a.plot(t, 100 * m, color=colour, label=lab)
        a.fill_between(t, 100 * (m - s), 100 * (m + s), color=colour, alpha=0.2)
    a.set_xlabel("time under load (s)")
    a.set_ylabel("creep strain (%)")
    a.legend(fontsize=8)
    f = np.array(rows["frequency_Hz"][1:])
    y, ye = np.array(rows["creep_rate_per_s"]), np.array(rows["creep_rate_per_s_se"])
    b.errorbar(f, y[1:], yerr=ye[1:], fmt="o-", color="C3", label="trained")
    b.axhspan(y[0] - ye[0], y[0] + ye[0], color="0.8", label="untrained (+/- SE)")
    b.set_xscale("log")
    b.set_xlabel("training frequency (Hz)")
    b.set_ylabel("creep rate, second half (1/s)")
    b.legend(fontsize=8)
    fig.suptitle(f"kMC creep at {p.post_creep_temperature_K:g} K, {p.post_creep_stress_MPa:g} MPa "
                 f"after beta training (La30Ce30Ni10Al20Co10, {cfg.simulation.replicas} replicas)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(FIG / "kmc_aging_training_creep.png", dpi=120)
    plt.close(fig)


#: [Zhang2023] Table 1: chi implied by the creep fits at 403 K (docs/model.md E9, DERIVED) after training at
#: 0.01 Hz (S1) and 10 Hz (S4)
CHI_S1, CHI_S4 = 0.405, 0.438
YIELDS_PER_MPA = (0.03, 0.1, 0.2)
#: lattice of the yield scan: on the config's sc L = 10 one replica's defect fraction scatters by
#: 0.015, as much as the effect sought
YIELD_SCAN_L = 16


def _chi_at_creep(res, case: int) -> np.ndarray:
    """Mean chi of each replica of ``case`` when the creep load is applied (end of the hold)."""
    i_creep = len(res.setup.programs[case].segments) - 1
    out = []
    for r in res.replicas[case]:
        d = r.table()
        out.append(_last_row(d, i_creep - 1)[TS_INDEX["chi_mean"]])
    return np.array(out)


def yield_scan(replicas: int | None, out: Path) -> None:
    """Calibrate ``rejuvenation_yield_per_MPa``: the chi rise between training at 0.01 and 10 Hz,
    measured when the 403 K creep load is applied (configs/la30_kmc_training_creep.toml on
    sc L = 16 with 60 s of creep, 16 replicas unless --replicas), against [Zhang2023]'s 0.033
    (docs/model.md E9). The rise is paired replica by
    replica; the yield is interpolated linearly between the scanned values."""
    base = with_overrides(load_config(ROOT / "configs" / "la30_kmc_training_creep.toml"), replicas=replicas or 16)
    base = dataclasses.replace(base, simulation=dataclasses.replace(base.simulation, L=YIELD_SCAN_L))
    proto = dataclasses.replace(base.protocol, frequency_Hz=(0.01, 10.0), post_creep_time_s=60.0)
    t0 = time.time()
    rows = {"yield_per_MPa": [], "chi_0.01Hz": [], "chi_10Hz": [], "chi_rise": [], "chi_rise_se": []}
    for y in YIELDS_PER_MPA:
        cfg = dataclasses.replace(base, protocol=proto,
                                  defects=dataclasses.replace(base.defects, rejuvenation_yield_per_MPa=y))
        res = run_ensemble(cfg, progress=False)
        labels = list(res.setup.case_labels)
        lo, hi = (_chi_at_creep(res, labels.index(k)) for k in ("0.01 Hz", "10 Hz"))
        rise, se = _mean_se(hi - lo)
        for k, v in zip(rows, (y, lo.mean(), hi.mean(), rise, se)):
            rows[k].append(float(v))
        print(f"yield {y:.2f} per MPa: chi at loading {lo.mean():.4f} (0.01 Hz), {hi.mean():.4f} (10 Hz); "
              f"rise {rise:.4f} +/- {se:.4f} ([Zhang2023]: {CHI_S4 - CHI_S1:.3f})", flush=True)
    ys, r = np.array(rows["yield_per_MPa"]), np.array(rows["chi_rise"])
    fit = np.interp(CHI_S4 - CHI_S1, r, ys) if np.all(np.diff(r) > 0) else float("nan")
    print(f"  yield giving a rise of {CHI_S4 - CHI_S1:.3f}: {fit:.3f} per MPa; {time.time() - t0:.0f} s wall")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "yield_scan.csv")


STUDIES = ["stepped", "preanneal", "preanneal_baseline", "training", "training_creep", "alpha_tail",
           "yield_scan"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("studies", nargs="*",
                    default=STUDIES, choices=STUDIES)
    ap.add_argument("--replicas", type=int, help="override the configs' replica counts")
    ap.add_argument("--chi-radius", type=int, help="preanneal studies: override chi_radius "
                    "(output files get the suffix _radiusR)")
    ap.add_argument("--out", type=Path, default=ROOT / "validation" / "kmc_aging")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    FIG.mkdir(parents=True, exist_ok=True)
    for s in args.studies:
        if s.startswith("preanneal"):
            globals()[s](args.replicas, args.out, chi_radius=args.chi_radius)
        else:
            globals()[s](args.replicas, args.out)


if __name__ == "__main__":
    main()
