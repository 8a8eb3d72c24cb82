"""Aging and rejuvenation in the kMC: seed 000 second run, seed 002 pre-annealing, seed 001 training.

    python scripts/study_aging.py [stepped] [preanneal] [training] [--replicas N] [--out DIR]

* ``stepped``: configs/la60_kmc_stepped_aging.toml. delta = (sigma_0 - sigma_r)/sigma_0 per
  3 K step of the as-quenched run and of the second run after cooling at 0.1 K/min, with the
  defect fraction at the end of each step (replica means and standard errors).
* ``preanneal``: configs/la60_kmc_preanneal_315K.toml run with 0, 600 and 1800 s of
  annealing at 315 K before the first relaxation; sigma/sigma_0 of the first and second
  relaxation at 0.6 % strain.
* ``training``: configs/la30_kmc_training.toml. Defect fraction and mean chi after training
  at 0.01-10 Hz against the untrained reference (same heating and cooling at zero stress).

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
from mgmeso.io.table import Table
from mgmeso.kmc.aging import STEP_COLUMNS, stepped_delta
from mgmeso.kmc.ensemble import run_ensemble, with_overrides
from mgmeso.kmc.replica import TS_INDEX

ROOT = Path(__file__).resolve().parents[1]
FIG = ROOT / "docs" / "figures"


def _mean_se(x: np.ndarray, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n = np.sum(np.isfinite(x), axis=axis)
    return np.nanmean(x, axis=axis), np.nanstd(x, axis=axis, ddof=1) / np.sqrt(n)


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


def preanneal(replicas: int | None, out: Path) -> None:
    base = with_overrides(load_config(ROOT / "configs" / "la60_kmc_preanneal_315K.toml"), replicas=replicas)
    segs = base.protocol.segments
    curves = {}
    t0 = time.time()
    for ta in (0.0, 600.0, 1800.0):
        s = segs[1:] if ta == 0 else (dataclasses.replace(segs[0], duration_s=ta),) + segs[1:]
        cfg = dataclasses.replace(base, protocol=dataclasses.replace(base.protocol, segments=s))
        res = run_ensemble(cfg, progress=False)
        first = 0 if ta == 0 else 1
        data = res.stacked()[0]                       # (rep, sample, var)
        for stage, k in ((1, first), (3, first + 3)):
            seg = data[0, :, TS_INDEX["segment"]]
            m = seg == k
            t = data[0, m, TS_INDEX["time_s"]]
            st = data[:, m, TS_INDEX["stress_MPa_expected"]]
            norm = st / st[:, :1]
            mean, se = _mean_se(norm)
            curves[(ta, stage)] = (t - t[0] + base.protocol.t_first_s, mean, se)
        fr = np.array([r.n_qpd / r.N for r in res.replicas[0]])
        print(f"preanneal {ta:6.0f} s: final defect fraction {fr.mean():.4f} +/- {fr.std(ddof=1) / np.sqrt(fr.size):.4f}; "
              f"stage-1 sigma/sigma_0 at 100/1000/3000 s: "
              + ", ".join(f"{np.interp(x, curves[(ta, 1)][0], curves[(ta, 1)][1]):.4f}" for x in (100, 1000, 3000))
              + "; stage 3: "
              + ", ".join(f"{np.interp(x, curves[(ta, 3)][0], curves[(ta, 3)][1]):.4f}" for x in (100, 1000, 3000))
              + f" (SE at 3000 s: {curves[(ta, 1)][2][-1]:.4f}, {curves[(ta, 3)][2][-1]:.4f})")
    cols = {}
    for (ta, stage), (t, m, s) in curves.items():
        cols[f"time_s_anneal{ta:g}_stage{stage}"] = t
        cols[f"stress_ratio_anneal{ta:g}_stage{stage}"] = m
        cols[f"stress_ratio_se_anneal{ta:g}_stage{stage}"] = s
    n = max(len(v) for v in cols.values())
    Table({k: np.pad(v, (0, n - len(v)), constant_values=np.nan) for k, v in cols.items()}).to_csv(
        out / "preanneal_315K.csv")
    print(f"  {time.time() - t0:.0f} s wall")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for ta, colour in ((0.0, "C3"), (600.0, "C1"), (1800.0, "C0")):
        for stage, ls in ((1, "-"), (3, ":")):
            t, m, s = curves[(ta, stage)]
            ax.plot(t, m, ls, color=colour, label=f"anneal {ta:g} s, {'first' if stage == 1 else 'second'} relaxation")
            ax.fill_between(t, m - s, m + s, color=colour, alpha=0.15)
    ax.set_xscale("log")
    ax.set_xlabel("time since loading (s)")
    ax.set_ylabel("sigma / sigma_0")
    ax.set_title(f"kMC at 315 K with aging (local chi_j, radius {base.simulation.chi_radius}; "
                 f"{base.simulation.replicas} replicas)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(FIG / "kmc_aging_preanneal.png", dpi=120)
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
        return d[d[:, TS_INDEX["segment"]] == 2][-1, TS_INDEX[name]]

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


#: temperature band of the beta peak of La30Ce30Ni10Al20Co10 at 1 Hz (seed 001 L161: 364-368 K)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("studies", nargs="*", default=["stepped", "preanneal", "training"],
                    choices=["stepped", "preanneal", "training"])
    ap.add_argument("--replicas", type=int, help="override the configs' replica counts")
    ap.add_argument("--out", type=Path, default=ROOT / "validation" / "kmc_aging")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    FIG.mkdir(parents=True, exist_ok=True)
    for s in args.studies:
        globals()[s](args.replicas, args.out)


if __name__ == "__main__":
    main()
