"""Group 4 (continued): the analytical model with [Hao2022] Table 1 against [Hao2022]'s creep,
tension and chi: the time-domain cases (tolerance rule: :mod:`.hao2022`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import brentq

from ..core import (
    DISAGREES,
    NOT_REPRODUCIBLE,
    PASS,
    Case,
    closed,
    paper,
    register,
    reproducible_with,
    within,
)
from .hao2022 import GROUP, _grid

# ---------------------------------------------------------------------------
# creep and recovery at 430 K


def _creep_measure(ctx) -> dict:
    from ...theory import evaluate

    cfg = ctx.config("creep_recovery_430K.toml")
    res = evaluate(cfg)
    t = res.tables["theory"]
    tc = cfg.protocol.creep_time_s
    tt = t["time_s"]
    c = tt <= tc
    rate = np.gradient(t["strain"][c], tt[c])
    an = t["strain_anelastic"]
    an_end = float(np.interp(tc, tt, an))
    rec = tt > tc
    t_half_creep = float(np.interp(0.5 * an_end, an[c], tt[c]))
    t_half_rec = float(np.interp(-0.5 * an_end, -an[rec], tt[rec]) - tc)
    return {"t": tt, "strain": t["strain"], "parts": {k: t[f"strain_{k}"] for k in
                                                      ("elastic", "beta", "anelastic", "plastic")},
            "creep_time": tc, "rate_1s": float(np.interp(1.0, tt[c], rate)), "rate_end": float(rate[-1]),
            "rate_steady": res.summary["steady_creep_rate_per_s"], "an_end": an_end,
            "an_left": float(an[-1]), "el_left": float(t["strain_elastic"][-1] + t["strain_beta"][-1]),
            "plastic_end": float(t["strain_plastic"][-1]), "strain_end": float(t["strain"][-1]),
            "t_half_creep": t_half_creep, "t_half_recovery": t_half_rec,
            "stress": cfg.protocol.stress_MPa}


def _creep_judge(m, refs):
    src = refs.source("two_stage")
    trans = m["rate_1s"] / m["rate_end"]
    steady = m["rate_end"] / m["rate_steady"]
    return [
        closed("transient stage: creep rate falls from 1 s to the end of creep", trans > 10,
               round(trans, 1), "> 10", "x", "factor > 10", src,
               f"{m['rate_1s']:.3g} -> {m['rate_end']:.3g} 1/s"),
        paper("steady stage reached at the end of the 330 s creep: rate / steady-flow rate",
              within(steady, 1.0, 0.25), round(steady, 3), 1.0, "", "+/- 25 %", PASS, src,
              f"steady-flow rate sigma A_vp / tau_max = {m['rate_steady']:.3g} 1/s; two stages, "
              "no tertiary creep (the paper's observation at 25 and 50 MPa)"),
        closed("recovery: elastic and beta strain recovered", abs(m["el_left"]) < 1e-12,
               float(f"{m['el_left']:.2g}"), 0.0, "", "< 1e-12", refs.source("recovery")),
        paper("recovery: anelastic strain left after the recovery time / at unloading",
              m["an_left"] / m["an_end"] < 0.05, round(m["an_left"] / m["an_end"], 4), "< 0.05", "",
              "< 5 %", PASS, refs.source("recovery"),
              f"permanent (plastic) strain {m['plastic_end']:.3g} of {m['strain_end']:.3g} left"),
        paper("anelastic recovery is slower than anelastic creep: t1/2 recovery / t1/2 creep",
              m["t_half_recovery"] / m["t_half_creep"] > 1.0,
              round(m["t_half_recovery"] / m["t_half_creep"], 3), "> 1", "", "> 1", PASS,
              refs.source("recovery_slower"),
              f"half times {m['t_half_creep']:.1f} s (creep) and {m['t_half_recovery']:.1f} s "
              "(recovery): only 3-4 % longer, from linear superposition alone; the paper asks for "
              "structural evolution, which the analytical model does not have"),
    ]


def _creep_figure(m, refs):
    from ...plotting import COMPONENT_STYLE, plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    ax.plot(m["t"], m["strain"] * 100, "k-", label="total")
    for k, v in m["parts"].items():
        ax.plot(m["t"], v * 100, lw=1, **{**COMPONENT_STYLE[k], "label": COMPONENT_STYLE[k]["label"]})
    ax.axvline(m["creep_time"], color="0.7", lw=0.8)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("strain (%)")
    ax.legend(fontsize=8)
    ax.set_title(f"creep {m['stress']:g} MPa at 430 K for 330 s, then recovery (Table 1)", fontsize=10)
    return fig


register(Case(
    "hao2022_creep_recovery_430K", GROUP, "Creep at 430 K and 25 MPa for 330 s, then recovery",
    "[Hao2022] Fig. 11", _creep_measure, _creep_judge, _creep_figure, quick={"cost_s": 1}))


# ---------------------------------------------------------------------------
# tension at 430 K


def _tension_run(cfg, peak_only: bool = False, **mat_changes) -> dict:
    from ...theory import evaluate

    if peak_only:       # loading only, coarser output: the peak is all that is read
        cfg = dataclasses.replace(cfg, protocol=dataclasses.replace(cfg.protocol, unload=False,
                                                                    samples=150))
    if mat_changes:
        cfg = dataclasses.replace(cfg, material=dataclasses.replace(cfg.material, **mat_changes))
    res = evaluate(cfg)
    t = res.tables["theory"]
    return {"t": t["time_s"], "strain": t["strain"], "stress": t["stress_MPa"],
            "parts": {k: t[f"strain_{k}"] for k in ("elastic", "beta", "anelastic", "plastic")},
            "peak": float(res.summary["peak_stress_MPa"]), "chi_max": float(res.summary["chi_max"])}


def _tension_measure(ctx) -> dict:
    cfg = ctx.config("tension_430K.toml")
    mat = cfg.material
    base = _tension_run(cfg)
    target = 370.0
    out = {"table1": base, "a2": mat.a2, "sigma1": mat.sigma1_MPa}
    if ctx.settings.get("solve", False):
        # the a2 and the sigma1 (each alone) that bring the peak to the paper's value
        def f_a2(la2):
            return _tension_run(cfg, True, a2=float(np.exp(la2)))["peak"] - target

        def f_s1(ls1):
            return _tension_run(cfg, True, sigma1_MPa=float(np.exp(ls1)))["peak"] - target

        out["a2_needed"] = float(np.exp(brentq(f_a2, np.log(mat.a2), np.log(50 * mat.a2), xtol=2e-3)))
        out["sigma1_needed"] = float(np.exp(brentq(f_s1, np.log(mat.sigma1_MPa / 20),
                                                   np.log(mat.sigma1_MPa), xtol=2e-3)))
        # another reading of Eq. 22c: the strain is the whole inelastic strain (anelastic +
        # plastic), emulated by a negative reordering coefficient b_vp = -a2
        o = dataclasses.replace(cfg.theory, reordering_term=True)
        out["reading_total_inelastic"] = _tension_run(dataclasses.replace(cfg, theory=o), True,
                                                      b_vp=-mat.a2)["peak"]
        out["linear"] = _tension_run(dataclasses.replace(
            cfg, theory=dataclasses.replace(cfg.theory, nonlinear="off")), True)["peak"]
    else:
        out["a2_needed"] = float(ctx.settings["a2_audit"])
        out["sigma1_needed"] = float(ctx.settings["sigma1_audit_MPa"])
    out["alt_a2"] = _tension_run(cfg, True, a2=out["a2_needed"])
    out["alt_sigma1"] = _tension_run(cfg, True, sigma1_MPa=out["sigma1_needed"])
    # initial slope: least squares through the origin over strains up to 0.05 %
    s, e = base["stress"], base["strain"]
    sel = (e > 0) & (e <= 5e-4) & (base["t"] < 10)
    out["initial_modulus"] = float(np.sum(s[sel] * e[sel]) / np.sum(e[sel] ** 2))
    # strain split while loading
    load = np.arange(int(np.argmax(e)) + 1)
    el = base["parts"]["elastic"] + base["parts"]["beta"]
    an, pl = base["parts"]["anelastic"], base["parts"]["plastic"]
    i1 = int(np.searchsorted(e[load], 0.005))
    i2 = int(np.searchsorted(e[load], 0.01))
    k = load[-1]
    j = int(np.searchsorted(e[load], 0.9 * e[k]))
    de = e[k] - e[j]
    out["split"] = {"early_el_an": float((el[i1] + an[i1]) / e[i1]), "plastic_at_1pct": float(pl[i2] / e[i2]),
                    "end_plastic_rate": float((pl[k] - pl[j]) / de),
                    "end_el_an_rate": float((el[k] + an[k] - el[j] - an[j]) / de),
                    "max_strain": float(e[k])}
    return out


def _tension_judge(m, refs):
    ref = refs["peak_stress_MPa"]
    base, a2a, s1a = m["table1"], m["alt_a2"], m["alt_sigma1"]
    tol = 0.1
    ok = within(base["peak"], ref, tol_rel=tol)
    ok_alt = within(a2a["peak"], ref, tol_rel=tol) and within(s1a["peak"], ref, tol_rel=tol)
    extra = ""
    if "reading_total_inelastic" in m:
        extra = (f" Other readings with Table 1: the strain of Eq. 22c as anelastic + plastic "
                 f"strain gives {m['reading_total_inelastic']:.0f} MPa; without the non-linear terms "
                 f"{m['linear']:.0f} MPa.")
    sp = m["split"]
    return [
        reproducible_with(
            "peak stress, tension at 430 K and 3e-4 1/s", ok, ok_alt, round(base["peak"], 1), ref,
            "MPa", "+/- 10 % ('about 370 MPa')", NOT_REPRODUCIBLE, refs.source("peak_stress_MPa"),
            f"Table 1 (a2 = {m['a2']:g}, sigma1 = {m['sigma1']:g} MPa): {base['peak']:.0f} MPa at "
            f"chi up to {base['chi_max']:.3f}. The paper's value needs a2 = {m['a2_needed']:.2f} "
            f"({m['a2_needed'] / m['a2']:.1f} x Table 1; peak {a2a['peak']:.0f} MPa, chi up to "
            f"{a2a['chi_max']:.3f}) or sigma1 = {m['sigma1_needed']:.0f} MPa "
            f"({m['sigma1_needed'] / m['sigma1']:.2f} x; peak {s1a['peak']:.0f} MPa)." + extra),
        paper("initial slope of the stress-strain curve (to 0.05 % strain)",
              within(m["initial_modulus"], refs["initial_modulus_MPa"], tol_rel=0.01),
              round(m["initial_modulus"]), refs["initial_modulus_MPa"], "MPa", "+/- 1 %", DISAGREES,
              refs.source("initial_modulus_MPa"),
              "at 430 K the beta units relax in ms (tau_beta = 2.3 ms) and the anelastic strain "
              "starts at once, so the first 0.5 s of loading already sees E_r,beta minus anelastic "
              "compliance"),
        paper("elastic + anelastic parts carry the strain from the start (share at 0.5 % strain)",
              sp["early_el_an"] > 0.9, round(sp["early_el_an"], 3), "> 0.9", "", "> 90 %", PASS,
              refs.source("strain_split")),
        paper("plastic part appears later (share of the strain at 1 %)", sp["plastic_at_1pct"] < 0.05,
              round(sp["plastic_at_1pct"], 4), "< 0.05", "", "< 5 %", PASS, refs.source("strain_split")),
        paper("steady flow: the plastic part carries the strain rate over the last 10 % of loading",
              sp["end_plastic_rate"] > 0.8, round(sp["end_plastic_rate"], 3), "> 0.8", "", "> 80 %",
              PASS, refs.source("strain_split"),
              f"elastic + anelastic share of the rate {sp['end_el_an_rate']:.3f} (stabilised)"),
    ]


def _tension_figure(m, refs):
    from ...plotting import COMPONENT_STYLE, plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    for key, lab, st in (("table1", "Table 1", "k-"), ("alt_a2", f"a2 = {m['a2_needed']:.2f}", "b--"),
                         ("alt_sigma1", f"sigma1 = {m['sigma1_needed']:.0f} MPa", "g-.")):
        r = m[key]
        load = np.arange(int(np.argmax(r["strain"])) + 1)
        ax[0].plot(r["strain"][load] * 100, r["stress"][load], st, label=f"{lab}: {r['peak']:.0f} MPa")
    ax[0].axhspan(0.9 * refs["peak_stress_MPa"], 1.1 * refs["peak_stress_MPa"], color="tab:orange",
                  alpha=0.2, label="paper: about 370 MPa (+/- 10 %)")
    ax[0].set_xlabel("strain (%)")
    ax[0].set_ylabel("stress (MPa)")
    ax[0].legend(fontsize=8)
    r = m["table1"]
    for k, v in r["parts"].items():
        ax[1].plot(r["t"], v * 100, lw=1.2, **COMPONENT_STYLE[k])
    ax[1].plot(r["t"], r["strain"] * 100, "k-", lw=1, label="total")
    ax[1].set_xlabel("time (s)")
    ax[1].set_ylabel("strain (%)")
    ax[1].legend(fontsize=8)
    ax[1].set_title("Table 1: strain split (loading, unloading, recovery)", fontsize=9)
    fig.suptitle("La60Ni15Al25, tension at 430 K and 3e-4 1/s, non-linear (Eqs. 9, 22c)")
    return fig


register(Case(
    "hao2022_tension_430K", GROUP, "Tension at 430 K: peak stress and the split of the strain",
    "[Hao2022] Fig. 10, Eqs. 9, 22c and Table 1", _tension_measure, _tension_judge, _tension_figure,
    quick={"solve": False, "a2_audit": 10.0, "sigma1_audit_MPa": 10500.0, "cost_s": 8},
    full={"solve": True, "cost_s": 90}))


# ---------------------------------------------------------------------------
# chi(T) from the slope of ln tan(delta)


def _chi_measure(ctx) -> dict:
    from ...theory import analysis, dma_columns

    cfg = ctx.config("dma_isothermal.toml")
    p = cfg.protocol
    mat = cfg.material
    temps = np.arange(p.T_start_K, p.T_end_K + 0.5 * p.T_step_K, p.T_step_K)
    n_f = int(round(np.log10(p.f_max_Hz / p.f_min_Hz) * p.points_per_decade)) + 1
    f = np.geomspace(p.f_min_Hz, p.f_max_Hz, n_f)
    rows: dict[str, list] = {k: [] for k in ("T", "chi", "exact", "paper", "beta_share")}
    for T in temps:
        c = dma_columns(mat, T, f, _grid(mat, cfg.theory.gumbel_points), cfg.theory.chi_law)
        rows["T"].append(T)
        rows["chi"].append(float(c["chi"][0]))
        rows["exact"].append(analysis.chi_from_tan_delta(2 * np.pi * f, c["tan_delta"])["chi"])
        rows["paper"].append(analysis.chi_from_tan_delta(2 * np.pi * f, c["tan_delta_paper"])["chi"])
        rows["beta_share"].append(float(np.max(c["E_loss_beta_MPa"] / c["E_loss_MPa"])))
    return {k: np.array(v) for k, v in rows.items()} | {"Tg": mat.Tg_K, "f_window": (p.f_min_Hz, p.f_max_Hz)}


def _chi_judge(m, refs):
    alpha = m["beta_share"] < 0.1
    tol = refs["chi_g_precision"] / refs["chi_g"]
    dev_p = np.abs(m["paper"][alpha] / m["chi"][alpha] - 1)
    dev_x = np.abs(m["exact"][alpha] / m["chi"][alpha] - 1)
    Ts = m["T"][alpha]
    rng = f"{Ts.min():g}-{Ts.max():g} K"
    note = (f"isotherms where the beta loss is below 10 % of E'' in the window: {rng}; the slope is "
            f"negative where beta dominates ({m['T'][m['paper'] < 0].min():g}-"
            f"{m['T'][m['paper'] < 0].max():g} K)")
    ig = int(np.argmin(np.abs(m["T"] - m["Tg"])))
    return [
        closed("Eq. 27 slope on the paper form (Eq. 25b) returns the model's chi", dev_p.max() <= tol,
               round(float(dev_p.max()), 3), "chi(T) of the model", "max relative deviation",
               f"<= {100 * tol:.1f} % (chi(Tg) = 0.4 is quoted to +/- 0.05)", refs.source("chi_g"),
               note + f"; worst at {Ts[np.argmax(dev_p)]:g} K"),
        paper("Eq. 27 slope on the exact transform returns the model's chi", dev_x.max() <= tol,
              round(float(dev_x.max()), 3), "chi(T) of the model", "max relative deviation",
              f"<= {100 * tol:.1f} %", DISAGREES, refs.source("chi_g"),
              f"slopes {', '.join(f'{v:.2f}' for v in m['exact'][alpha])} against chi "
              f"{', '.join(f'{v:.2f}' for v in m['chi'][alpha])}: below Tg the exact spectra give "
              "0.28-0.30 (Eq. 27 holds only for w tau_an >> 1, which the window does not reach), "
              "above Tg the flow term drives the slope to 1"),
        paper("chi(Tg) from the slope at the isotherm nearest Tg, exact transform",
              within(m["exact"][ig], refs["chi_g"], refs["chi_g_precision"]), round(float(m["exact"][ig]), 3),
              refs["chi_g"], "", "+/- 0.05", DISAGREES, refs.source("chi_g"),
              f"at {m['T'][ig]:g} K; the paper form gives {m['paper'][ig]:.3f}"),
    ]


def _chi_figure(m, refs):
    from ...plotting import plt

    fig, ax = plt.subplots(figsize=(6.5, 4.2), layout="constrained")
    ax.plot(m["T"], m["chi"], "k-", label="model chi(T) (Eq. 22a,b)")
    ax.plot(m["T"], m["paper"], "o", mfc="none", label="Eq. 27 slope, paper form")
    ax.plot(m["T"], m["exact"], "s", mfc="none", label="Eq. 27 slope, exact transform")
    alpha = m["beta_share"] < 0.1
    ax.axvspan(m["T"][alpha].min() - 5, m["T"][alpha].max() + 5, color="0.9", label="alpha-dominated window")
    ax.axhline(0, color="0.6", lw=0.6)
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("chi")
    ax.set_ylim(-0.6, 1.05)
    ax.legend(fontsize=8)
    ax.set_title("chi from ln tan(delta) vs ln(omega), 0.01-2 Hz", fontsize=10)
    return fig


register(Case(
    "hao2022_chi_tan_delta", GROUP, "chi(T) from the slope of ln tan(delta): paper form and exact form",
    "[Hao2022] Eq. 27, Fig. 4", _chi_measure, _chi_judge, _chi_figure, quick={"cost_s": 1}))
