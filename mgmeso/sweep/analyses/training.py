"""Beta training of La30Ce30Ni10Al20Co10 ([Zhang2023]) in the kMC: three study analyses.

* ``training`` (configs/sweeps/aging_training.toml): defect fraction, its excess over the
  untrained sample, mean chi and net anelastic work after training at 0.01-10 Hz, and E''
  of the 1 Hz scan after it averaged over the beta band; training.csv, training.png.
* ``training_creep`` (aging_training_creep.toml): [Zhang2023]'s creep test after training:
  creep strain at the end, late creep rate, defect fraction and chi at loading;
  training_creep.csv, training_creep.png.
* ``yield_scan`` (aging_yield_scan.toml): the chi rise at the creep load between training at
  0.01 and 10 Hz against the rejuvenation yield; the yield that gives [Zhang2023]'s rise;
  yield_scan.csv.

The sweeps' replica axis holds the independent samples (one engine replica per run); the
untrained reference and each frequency are the engine's cases of one run, so differences
between cases are paired replica by replica. With ``[collect.options] reference = "CSV"``
(relative to the sweep file) the table is compared with an earlier one in standard errors.
"""

from __future__ import annotations

import numpy as np

from ...io.table import Table
from ..observables import mean_se
from . import register_analysis
from .common import Outputs, compare_reference, per_replica

#: temperature band of the beta peak of La30Ce30Ni10Al20Co10 at 1 Hz ([Zhang2023] Fig. 4b)
BETA_BAND_K = (355.0, 375.0)
#: [Zhang2023] Table 1 via docs/model.md E9: chi after training at 0.01 Hz (S1) and 10 Hz (S4)
CHI_S1, CHI_S4 = 0.405, 0.438


def _freq(label: str) -> float:
    return 0.0 if label == "untrained" else float(label.split()[0])


def _case_table(labels, per: dict[str, np.ndarray], keys) -> dict[str, np.ndarray]:
    """One row per case: its label, training frequency, and mean and SE over replicas of each key."""
    rows: dict[str, list] = {"case": list(labels), "frequency_Hz": [_freq(x) for x in labels]}
    for k in keys:
        m, se = mean_se(per[k], axis=0)
        rows[k], rows[k + "_se"] = list(m), list(se)
    return {k: np.array(v) for k, v in rows.items()}


def _last_row(seg_col: np.ndarray, segment: int) -> int:
    return int(np.flatnonzero(seg_col == segment)[-1])


@register_analysis("training_creep")
def _training_creep(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate [Zhang2023]'s creep test after training at each frequency (``training_creep``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    o = Outputs(out, overwrite)
    samples = per_replica(sd, ds)           # list of (view, engine replica)
    v0 = samples[0][0]
    labels = v0.case_labels
    keys = ("creep_strain", "creep_rate_per_s", "defect_fraction_at_load", "chi_mean_at_load")
    per = {k: np.full((len(samples), len(labels)), np.nan) for k in keys}
    traces: dict[int, list] = {c: [] for c in range(len(labels))}
    t_creep = {}
    for i, (view, r) in enumerate(samples):
        t_all, seg_all = view.series("time_s"), view.series("segment")
        eps_all = view.series("strain_expected")
        for c in range(len(labels)):
            i_creep = len(view.setup.programs[c].segments) - 1
            seg, t = seg_all[c, r], t_all[c, r]
            b = _last_row(seg, i_creep - 1)
            m = seg == i_creep
            tt = t[m] - t[b]
            eps = eps_all[c, r][m] - eps_all[c, r][b]
            late = tt >= 0.5 * tt[-1]
            per["creep_strain"][i, c] = eps[-1]
            per["creep_rate_per_s"][i, c] = np.polyfit(tt[late], eps[late], 1)[0]
            per["defect_fraction_at_load"][i, c] = view.series("defect_fraction")[c, r][b]
            per["chi_mean_at_load"][i, c] = view.series("chi_mean")[c, r][b]
            traces[c].append(eps)
            t_creep[c] = tt
    cols = _case_table(labels, per, keys)
    Table(cols).to_csv(o.path("training_creep.csv"))
    lines = [f"creep after training {lab}: chi at loading {cols['chi_mean_at_load'][c]:.4f}, "
             f"creep strain at {t_creep[c][-1]:.0f} s {cols['creep_strain'][c]:.5f} +/- "
             f"{cols['creep_strain_se'][c]:.5f}, rate {cols['creep_rate_per_s'][c]:.3e} +/- "
             f"{cols['creep_rate_per_s_se'][c]:.1e} 1/s ({len(samples)} replicas)"
             for c, lab in enumerate(labels)]
    lines += compare_reference(sd, options, cols, "case", keys)
    _plot_creep(o.path("training_creep.png"), labels, t_creep, traces, cols, v0.cfg, len(samples))
    return lines + o.lines()


def _plot_creep(path, labels, t_creep, traces, rows, cfg, n) -> None:
    from ...plotting import plt, save_figure

    p = cfg.protocol
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    cmap = plt.get_cmap("viridis")
    for c, lab in enumerate(labels):
        colour = "k" if lab == "untrained" else cmap((c - 1) / max(len(labels) - 2, 1))
        m, s = mean_se(np.array(traces[c]), axis=0)
        a.plot(t_creep[c], 100 * m, color=colour, label=lab)
        a.fill_between(t_creep[c], 100 * (m - s), 100 * (m + s), color=colour, alpha=0.2)
    a.set_xlabel("time under load (s)")
    a.set_ylabel("creep strain (%)")
    a.legend(fontsize=8)
    f = rows["frequency_Hz"][1:]
    y, ye = rows["creep_rate_per_s"], rows["creep_rate_per_s_se"]
    b.errorbar(f, y[1:], yerr=ye[1:], fmt="o-", color="C3", label="trained")
    b.axhspan(y[0] - ye[0], y[0] + ye[0], color="0.8", label="untrained (+/- SE)")
    b.set_xscale("log")
    b.set_xlabel("training frequency (Hz)")
    b.set_ylabel("creep rate, second half (1/s)")
    b.legend(fontsize=8)
    fig.suptitle(f"kMC creep at {p.post_creep_temperature_K:g} K, {p.post_creep_stress_MPa:g} MPa "
                 f"after beta training (La30Ce30Ni10Al20Co10, {n} replicas)", fontsize=9)
    save_figure(fig, path)


def _post_scan_loss(view, r: int, c: int) -> float:
    """E'' of the 1 Hz scan after training averaged over the beta band (2 K lock-in windows)."""
    from ...kmc.lockin import lockin_windows

    prog = view.setup.programs[c]
    i_scan = len(prog.segments) - 1
    scan = prog.segments[i_scan]
    f_Hz = scan.oscillation_Hz()
    if f_Hz is None:
        return float("nan")
    rate = scan.ramp_K_per_min / 60.0
    cyc = max(round(2.0 / rate * f_Hz), 1)
    seg, t_all = view.series("segment")[c, r], view.series("time_s")[c, r]
    m = seg == i_scan
    t = t_all[m]
    t0 = t[0] - 1.0 / (f_Hz * scan.samples_per_cycle)
    tm, E = lockin_windows(t, view.series("stress_MPa_expected")[c, r][m],
                           view.series("strain_expected")[c, r][m],
                           2 * np.pi * f_Hz, t0, cyc)
    T = view.cfg.protocol.T_start_K + rate * (tm - t0)
    band = (T >= BETA_BAND_K[0]) & (T <= BETA_BAND_K[1])
    return float(E.imag[band].mean())


@register_analysis("training")
def _training(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate the defect fraction, chi and E'' after training at each frequency (``training``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    o = Outputs(out, overwrite)
    samples = per_replica(sd, ds)
    labels = samples[0][0].case_labels
    keys = ("defect_fraction", "excess", "chi_mean", "work_MPa", "beta_band_E_loss_MPa")
    per = {k: np.full((len(samples), len(labels)), np.nan) for k in keys}
    for i, (view, r) in enumerate(samples):
        seg = view.series("segment")
        for c in range(len(labels)):
            b = _last_row(seg[c, r], 2)          # end of the cooling segment
            per["defect_fraction"][i, c] = view.series("defect_fraction")[c, r][b]
            per["chi_mean"][i, c] = view.series("chi_mean")[c, r][b]
            per["work_MPa"][i, c] = _work(view, c, r)
            per["beta_band_E_loss_MPa"][i, c] = _post_scan_loss(view, r, c)
        per["excess"][i] = per["defect_fraction"][i] - per["defect_fraction"][i, 0]
    cols = _case_table(labels, per, keys)
    Table(cols).to_csv(o.path("training.csv"))
    lines = [f"training {lab:>9}: defect fraction {cols['defect_fraction'][c]:.4f}, excess "
             f"{cols['excess'][c]:+.4f} +/- {cols['excess_se'][c]:.4f}, chi "
             f"{cols['chi_mean'][c]:.4f}, anelastic work {cols['work_MPa'][c]:.4g} MPa; E'' "
             f"{BETA_BAND_K[0]:g}-{BETA_BAND_K[1]:g} K of the 1 Hz scan after: "
             f"{cols['beta_band_E_loss_MPa'][c]:.1f} +/- {cols['beta_band_E_loss_MPa_se'][c]:.1f} "
             "MPa" for c, lab in enumerate(labels)]
    lines += compare_reference(sd, options, cols, "case", keys)
    return lines + o.lines()


def _work(view, c: int, r: int) -> float:
    """Net anelastic work integral sigma d(eps_an) of the whole run (trapezoid on the samples)."""
    s = view.series("stress_MPa_expected")[c, r]
    e = view.series("strain_anelastic_expected")[c, r]
    ok = np.isfinite(s) & np.isfinite(e)
    s, e = s[ok], e[ok]
    return float(np.sum(0.5 * (s[1:] + s[:-1]) * np.diff(e)))


def _chi_at_load(view, r: int, label: str) -> float:
    """Mean chi of replica r of case ``label`` when the creep load is applied."""
    c = list(view.case_labels).index(label)
    i_creep = len(view.setup.programs[c].segments) - 1
    b = _last_row(view.series("segment")[c, r], i_creep - 1)
    return float(view.series("chi_mean")[c, r][b])


@register_analysis("yield_scan")
def _yield_scan(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate how the training effect grows with the SMD yield (``yield_scan``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    o = Outputs(out, overwrite)
    axis = "rejuvenation_yield_per_MPa"
    rows: dict[str, list] = {"yield_per_MPa": [], "chi_0.01Hz": [], "chi_10Hz": [],
                             "chi_rise": [], "chi_rise_se": []}
    lines = []
    for y in ds[axis].values:
        lo = np.array([_chi_at_load(v, r, "0.01 Hz") for v, r in per_replica(sd, ds.sel({axis: y}))])
        hi = np.array([_chi_at_load(v, r, "10 Hz") for v, r in per_replica(sd, ds.sel({axis: y}))])
        rise, se = mean_se(hi - lo)
        for k, v in zip(rows, (y, lo.mean(), hi.mean(), rise, se)):
            rows[k].append(float(v))
        lines.append(f"yield {y:.2f} per MPa: chi at loading {lo.mean():.4f} (0.01 Hz), "
                     f"{hi.mean():.4f} (10 Hz); rise {rise:.4f} +/- {se:.4f} ([Zhang2023]: "
                     f"{CHI_S4 - CHI_S1:.3f})")
    ys, rr = np.array(rows["yield_per_MPa"]), np.array(rows["chi_rise"])
    fit = np.interp(CHI_S4 - CHI_S1, rr, ys) if np.all(np.diff(rr) > 0) else float("nan")
    lines.append(f"yield giving a rise of {CHI_S4 - CHI_S1:.3f}: {fit:.3f} per MPa")
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(o.path("yield_scan.csv"))
    return lines + o.lines()
