"""Group 4: the analytical model with [Hao2022] Table 1 against [Hao2022] (Int. J. Plast.).

Tolerance rule for the paper's numbers (stated before comparing, the same in every
paper case): a number the paper gives as a reading ("around 360 K", "about 370 MPa")
is held to half a unit of its last quoted digit (+/- 5 K, +/- 5 MPa); moduli read
from a scan to +/- 1 %; fitted numbers to the stated uncertainty of their fit or,
where none is stated, as documented per check.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..core import (
    DISAGREES,
    NOT_REPRODUCIBLE,
    PASS,
    Case,
    paper,
    register,
    reproducible_with,
    within,
)

GROUP = "4 Hao2022"


def _grid(mat, n=241):
    from ...theory import gumbel_grid

    return gumbel_grid(mat.B_beta, n)


# ---------------------------------------------------------------------------
# 1 Hz isochronal scan: peaks and E' levels

def _dma_measure(ctx) -> dict:
    from ...theory import analysis, evaluate

    cfg = ctx.config("dma_1Hz.toml")
    res = evaluate(cfg)
    t = res.tables["theory"]
    f = res.summary["features"][0]
    T, Ep = t["temperature_K"], t["E_storage_MPa"]
    # the level after beta: where E'(T) is flattest between the beta and alpha peaks
    s = np.gradient(Ep, T)
    sel = (T > f["beta_T_K"]) & (T < f["alpha_T_K_paper"])
    i_flat = int(np.argmax(s[sel]))
    feat_paper = analysis.loss_features(T, t["E_loss_paper_MPa"])
    return {"T": T, "E_storage": Ep, "E_storage_paper": t["E_storage_paper_MPa"],
            "E_loss": t["E_loss_MPa"], "E_loss_paper": t["E_loss_paper_MPa"],
            "beta_T": f["beta_T_K"], "beta_kind": f["beta_kind"], "alpha_T": f["alpha_T_K"],
            "alpha_T_paper": feat_paper["alpha_T_K"],
            "E_300": float(np.interp(300.0, T, Ep)), "E_after_beta": float(Ep[sel][i_flat]),
            "T_after_beta": float(T[sel][i_flat]), "E_430": float(np.interp(430.0, T, Ep)),
            "E_500": float(np.interp(500.0, T, Ep)),
            "E_rises_above_500": bool(np.any(np.diff(Ep[T > 500]) > 0))}


def _dma_judge(m, refs):
    src = refs.source
    c = [
        paper("beta E'' peak at 1 Hz", within(m["beta_T"], refs["beta_peak_T"], 5.0),
              m["beta_T"], refs["beta_peak_T"], "K", "+/- 5 K (reading 'around 360 K')", PASS,
              src("beta_peak_T"), f"beta feature: {m['beta_kind']}"),
        paper("beta feature is a distinct peak", m["beta_kind"] == refs["beta_kind"], m["beta_kind"],
              refs["beta_kind"], "", "same kind", PASS, src("beta_kind")),
        paper("alpha E'' maximum at 1 Hz, paper form (Eq. 25b, what the paper fitted)",
              within(m["alpha_T_paper"], refs["alpha_peak_T"], 5.0), m["alpha_T_paper"],
              refs["alpha_peak_T"], "K", "+/- 5 K (reading 'around 480 K')", PASS,
              src("alpha_peak_T")),
        paper("alpha E'' maximum at 1 Hz, exact form", within(m["alpha_T"], refs["alpha_peak_T"], 5.0),
              m["alpha_T"], refs["alpha_peak_T"], "K", "+/- 5 K", DISAGREES, src("alpha_peak_T"),
              "the exact transform is bounded at low frequency where Eq. 25b is not: its alpha "
              "loss is lower on the low-T side, and the maximum moves up"),
        paper("E' at 300 K", within(m["E_300"], refs["E_ambient_MPa"], tol_rel=0.01), m["E_300"],
              refs["E_ambient_MPa"], "MPa", "+/- 1 %", PASS, src("E_ambient_MPa"),
              "nearly by construction (E_u is read from this curve): checks that no relaxation "
              "lowers E' at 300 K by more than 1 %"),
        paper("E' level after beta (flattest point between the peaks)",
              within(m["E_after_beta"], refs["E_relaxed_beta_MPa"], tol_rel=0.01), m["E_after_beta"],
              refs["E_relaxed_beta_MPa"], "MPa", "+/- 1 %", PASS, src("E_relaxed_beta_MPa"),
              f"at {m['T_after_beta']:.1f} K; E_r,beta is read from this level in the paper"),
        paper("sharp E' drop through alpha: E'(500 K) / E'(430 K)",
              m["E_500"] / m["E_430"] < refs["alpha_drop_ratio_max"], m["E_500"] / m["E_430"],
              f"< {refs['alpha_drop_ratio_max']:g}", "", "below the bound", PASS,
              src("alpha_drop_ratio_max")),
        paper("E' rises again above 500 K (crystallization)", m["E_rises_above_500"], "no rise",
              "rise", "", "present", DISAGREES, src("crystallization"),
              "the model has no crystallization; the paper's own fit also fails above 520 K"),
    ]
    return c


def _dma_figure(m, refs):
    from ...plotting import plt

    fig, ax = plt.subplots(1, 2, figsize=(11, 4.2), layout="constrained")
    T = m["T"]
    ax[0].plot(T, m["E_storage"] / 1e3, "k-", label="exact form")
    ax[0].plot(T, m["E_storage_paper"] / 1e3, "k--", lw=1, label="paper form (Eq. 25b)")
    ax[0].axhline(refs["E_ambient_MPa"] / 1e3, color="tab:green", lw=0.8, ls=":",
                  label="E_u = 33 GPa")
    ax[0].axhline(refs["E_relaxed_beta_MPa"] / 1e3, color="tab:blue", lw=0.8, ls=":",
                  label="E_r,beta = 30.6 GPa")
    ax[0].set_ylabel("E' (GPa)")
    ax[1].semilogy(T, m["E_loss"], "k-", label="exact form")
    ax[1].semilogy(T, m["E_loss_paper"], "k--", lw=1, label="paper form")
    for key, c in (("beta_peak_T", "tab:blue"), ("alpha_peak_T", "tab:red")):
        ax[1].axvspan(refs[key] - 5, refs[key] + 5, color=c, alpha=0.15)
    ax[1].set_ylim(10, None)
    ax[1].set_ylabel("E'' (MPa)")
    for a in ax:
        a.set_xlabel("temperature (K)")
        a.legend(fontsize=8)
    ax[1].set_title("bands: the paper's peaks +/- 5 K", fontsize=9)
    fig.suptitle("La60Ni15Al25, 1 Hz, 3 K/min, Table 1 (B_beta = 1)")
    return fig


register(Case(
    "hao2022_dma_1Hz", GROUP, "1 Hz isochronal DMA: E'' peaks and E' levels",
    "[Hao2022] Fig. 5 and Table 1", _dma_measure, _dma_judge, _dma_figure,
    quick={"cost_s": 1}))


# ---------------------------------------------------------------------------
# Arrhenius energy of the beta peaks and its dependence on B_beta

def _beta_features(mat, freqs, T, n_grid=241):
    from ...theory import analysis, dma_columns

    out = []
    for f in freqs:
        c = dma_columns(mat, T, f, _grid(mat, n_grid))
        ft = analysis.loss_features(T, c["E_loss_MPa"])
        out.append((float(f), ft["beta_kind"], ft["beta_T_K"]))
    return out


def _arrhenius(features, peaks_only=True):
    from ...theory import analysis

    sel = [x for x in features if x[2] is not None and (x[1] == "peak" or not peaks_only)]
    if len(sel) < 2:
        return float("nan"), float("nan")
    f = np.array([x[0] for x in sel])
    fit = analysis.arrhenius_fit([x[2] for x in sel], 1.0 / (2 * np.pi * f))
    return float(fit["U_kJ_per_mol"]), float(fit.stderr["U_kJ_per_mol"])


def _arr_measure(ctx) -> dict:
    cfg = ctx.config("dma_multifrequency.toml")
    p = cfg.protocol
    T = np.arange(p.T_start_K, p.T_end_K + 1e-9, ctx.settings["T_step_K"])
    freqs = list(p.frequency_Hz)
    out = {"freqs": freqs, "B": cfg.material.B_beta, "U_input": cfg.material.U_beta_kJ_per_mol}
    for label, mat, n in (("B_default", cfg.material, 241),
                          ("B_035", dataclasses.replace(cfg.material, B_beta=0.35), 241),
                          ("debye", cfg.material, 1)):
        feats = _beta_features(mat, freqs, T, n)
        U, se = _arrhenius(feats)
        out[label] = {"features": feats, "U": U, "U_se": se, "U_all": _arrhenius(feats, False)[0]}
    # the uncertainty the paper's own fit would have with each peak read to +/- 1 K
    Tp = np.array([x[2] for x in out["B_default"]["features"]])
    x = 1.0 / (8.314462618 * Tp)
    rel = (1.0 / (8.314462618 * Tp**2)).mean() / (x.std() * np.sqrt(x.size))
    out["paper_fit_rel_se"] = float(rel)
    return out


def _arr_judge(m, refs):
    U_ref = refs["U_beta_fit"]
    d, b035 = m["B_default"], m["B_035"]
    n_peaks = sum(k == "peak" for _, k, _ in d["features"])
    ok1 = within(d["U"], U_ref, tol_rel=0.05)
    ok035 = within(b035["U"], U_ref, tol_rel=0.05)
    return [
        paper(f"beta peaks at 1-16 Hz, B_beta = {m['B']:g}: all distinct peaks",
              n_peaks == refs["n_beta_peaks"], n_peaks, refs["n_beta_peaks"], "peaks", "all five",
              PASS, refs.source("n_beta_peaks")),
        paper(f"Arrhenius energy of the model's beta peaks, B_beta = {m['B']:g}", ok1,
              round(d["U"], 2), U_ref, "kJ/mol", "+/- 5 %", PASS, refs.source("U_beta_fit"),
              f"input U_beta = {m['U_input']:g}; SE of the fit {d['U_se']:.2f}; one SE of the "
              f"paper's five-peak fit with +/- 1 K readings would be about "
              f"{100 * m['paper_fit_rel_se']:.1f} %; a single Debye time gives "
              f"{m['debye']['U']:.1f} (the alpha flank pulls the high-frequency peaks)"),
        reproducible_with(
            "the same with B_beta = 0.35 (the La-based value of [Zhang2023])", ok035, ok1,
            round(b035["U"], 1), U_ref, "kJ/mol", "+/- 5 %", NOT_REPRODUCIBLE,
            refs.source("U_beta_fit"),
            f"peaks: {', '.join(f'{f:g} Hz {k}' for f, k, _ in b035['features'])}; Arrhenius of "
            f"the peaks only {b035['U']:.1f}, of peaks and shoulders {b035['U_all']:.1f} kJ/mol. "
            f"Reproduced with B_beta = {m['B']:g} (used, the material default): {d['U']:.1f}"),
    ]


def _arr_figure(m, refs):
    from ...plotting import plt

    fig, ax = plt.subplots(figsize=(6, 4.2), layout="constrained")
    for label, key, mk in ((f"B = {m['B']:g}", "B_default", "o"), ("B = 0.35", "B_035", "s"),
                           ("single Debye time", "debye", "^")):
        feats = m[key]["features"]
        T = np.array([x[2] for x in feats], dtype=float)
        f = np.array([x[0] for x in feats])
        ax.semilogy(1000 / T, 1 / (2 * np.pi * f), mk, mfc="none",
                    label=f"{label}: U = {m[key]['U']:.1f} kJ/mol")
    invT = np.linspace(2.45, 2.8, 20) / 1000
    U = refs["U_beta_fit"] * 1e3
    tau0 = refs["tau_beta0_fit"]
    ax.semilogy(invT * 1000, tau0 * np.exp(U * invT / 8.314462618), "k-", lw=1,
                label=f"paper: {refs['U_beta_fit']:g} kJ/mol")
    ax.set_xlabel("1000 / T_peak (1/K)")
    ax.set_ylabel("1 / (2 pi f) (s)")
    ax.legend(fontsize=8)
    ax.set_title("beta-peak Arrhenius, 1-16 Hz")
    return fig


register(Case(
    "hao2022_arrhenius", GROUP, "Arrhenius energy of the beta peaks (1-16 Hz) and its dependence on B_beta",
    "[Hao2022] Fig. 3b,c and Table 1", _arr_measure, _arr_judge, _arr_figure,
    quick={"T_step_K": 0.25, "cost_s": 3}, full={"T_step_K": 0.1}))
