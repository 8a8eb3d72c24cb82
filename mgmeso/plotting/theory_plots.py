"""Figures of analytical-model results (``mgmeso theory --plot``)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from . import COMPONENT_STYLE, new_figure, save_figure

__all__ = ["plot_theory"]


def plot_theory(result, cfg, path: Path | None = None, *, fig=None):
    """Draw the figure of a :class:`~mgmeso.theory.TheoryResult` (one row of panels per kind).

    Parameters
    ----------
    result : TheoryResult
    cfg : RunConfig
        The config evaluated (title, material, protocol).
    path : Path, optional
        Also write the figure there (over an existing file) and close it.
    fig : Figure, optional
        Empty figure to draw into (default: a new one, 15 x 4.6 inches; 11 x 4.6
        for stress relaxation).

    Returns
    -------
    Figure
    """
    draw, ncols = _KINDS[result.kind]
    fig = new_figure(fig, figsize=(11.0 if ncols == 2 else 15.0, 4.6), layout="constrained")
    draw(result, cfg, fig.subplots(1, ncols))
    fig.suptitle(cfg.title or f"{cfg.material.name}: {result.kind}", fontsize=11)
    if path is not None:
        save_figure(fig, path)


def _per_frequency(t, key="frequency_Hz"):
    vals = np.unique(t[key])
    return [(v, t[key] == v) for v in vals]


def _dma_isochronal(result, cfg, ax):
    t = result.tables["theory"]
    groups = _per_frequency(t)
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(groups)))
    for (f, sel), c in zip(groups, colors):
        T = t["temperature_K"][sel]
        ax[0].plot(T, t["E_storage_MPa"][sel] / 1e3, color=c, label=f"{f:g} Hz exact")
        ax[0].plot(T, t["E_storage_paper_MPa"][sel] / 1e3, color=c, ls="--", lw=1,
                   label=f"{f:g} Hz paper (Eq. 25b)")
        ax[1].semilogy(T, t["E_loss_MPa"][sel], color=c, label=f"{f:g} Hz exact")
        ax[1].semilogy(T, t["E_loss_paper_MPa"][sel], color=c, ls="--", lw=1, label=f"{f:g} Hz paper")
        ax[2].semilogy(T, t["tan_delta"][sel], color=c, label=f"{f:g} Hz exact")
        ax[2].semilogy(T, t["tan_delta_paper"][sel], color=c, ls="--", lw=1)
    if len(groups) == 1:
        sel = groups[0][1]
        T = t["temperature_K"][sel]
        for comp in ("beta", "anelastic", "plastic"):
            st = dict(COMPONENT_STYLE[comp])
            st["label"] = f"E'' {st['label']} part"
            ax[1].semilogy(T, t[f"E_loss_{comp}_MPa"][sel], lw=1, **st)
    for f in result.summary["features"]:
        ax[1].axvline(f["alpha_T_K"], color="0.7", lw=0.6)
        if f["beta_T_K"]:
            ax[1].axvline(f["beta_T_K"], color="0.7", lw=0.6)
    Emax = np.nanmax(t["E_loss_MPa"])
    ax[1].set_ylim(Emax * 1e-3, Emax * 3)
    ax[2].set_ylim(1e-3, None)
    ax[0].set_ylabel("storage modulus E' (GPa)")
    ax[1].set_ylabel("loss modulus E'' (MPa)")
    ax[2].set_ylabel(r"tan $\delta$")
    for a in ax:
        a.set_xlabel("temperature (K)")
        a.grid(alpha=0.3)
    ax[0].legend(fontsize=7)
    ax[1].legend(fontsize=7, loc="lower right")


def _dma_isothermal(result, cfg, ax):
    t = result.tables["theory"]
    m = result.tables["master_curve"]
    chi = result.tables["chi"]
    temps = np.unique(t["temperature_K"])
    colors = plt.cm.plasma(np.linspace(0, 0.9, temps.size))
    for T, c in zip(temps, colors):
        sel = t["temperature_K"] == T
        ax[0].loglog(t["frequency_Hz"][sel], t["E_loss_MPa"][sel], color=c, label=f"{T:g} K")
        ax[1].loglog(m["reduced_frequency_Hz"][sel], m["E_loss_MPa"][sel], ".", color=c, ms=3)
    ax[0].set_xlabel("frequency (Hz)")
    ax[0].set_ylabel("loss modulus E'' (MPa)")
    ax[0].legend(fontsize=6, ncol=2)
    ax[1].set_xlabel(f"reduced frequency f a_T (Hz), T_ref = {result.summary['reference_T_K']:g} K")
    ax[1].set_ylabel("E'' (MPa)")
    ax[1].set_title("master curve (empirical shifts)", fontsize=9)
    ax[2].errorbar(chi["temperature_K"], chi["chi_from_slope"], yerr=chi["chi_from_slope_se"],
                   fmt="o", ms=4, label=r"$-d\,\ln\tan\delta / d\,\ln\omega$ (Eq. 27)")
    ax[2].plot(chi["temperature_K"], chi["chi_model"], "k-", label=r"model $\chi(T)$ (Eq. 22)")
    ax[2].axvline(cfg.material.Tg_K, color="0.6", ls=":", label="Tg")
    ax[2].set_xlabel("temperature (K)")
    ax[2].set_ylabel(r"$\chi$")
    ax[2].legend(fontsize=7)
    for a in ax:
        a.grid(alpha=0.3, which="both")


def _strain_panel(ax, t, xscale="linear"):
    x = t["time_s"]
    ax.plot(x, t["strain"], "k-", lw=1.8, label="total")
    for comp in ("elastic", "beta", "anelastic", "plastic"):
        ax.plot(x, t[f"strain_{comp}"], lw=1.3, **COMPONENT_STYLE[comp])
    ax.set_xscale(xscale)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("strain")
    ax.grid(alpha=0.3)


def _time_components(result, cfg, ax):
    t = result.tables["theory"]
    _strain_panel(ax[0], t)
    ax[0].legend(fontsize=8)
    _strain_panel(ax[1], t, "log")
    ax[1].set_title("log time", fontsize=9)
    ax[2].plot(t["time_s"], t["stress_MPa"], "k-")
    ax[2].set_xlabel("time (s)")
    ax[2].set_ylabel("stress (MPa)")
    ax[2].grid(alpha=0.3)


def _program(result, cfg, ax):
    """Strain parts and stress against time, and every held-strain stage against its own clock."""
    t = result.tables["theory"]
    _strain_panel(ax[0], t)
    ax[0].legend(fontsize=8)
    ax[1].plot(t["time_s"], t["stress_MPa"], "k-")
    ax[1].set_xlabel("time (s)")
    ax[1].set_ylabel("stress (MPa)")
    ax[1].grid(alpha=0.3)
    segs = cfg.protocol.segments
    held = [i for i, s in enumerate(segs) if s.held_strain() is not None]
    colors = plt.cm.viridis(np.linspace(0, 0.85, max(len(held), 1)))
    for i, c in zip(held, colors):
        sel = t["segment"] == i
        if not np.any(sel):
            continue
        ts = t["time_s"][sel]
        t0 = t["time_s"][t["segment"] < i].max() if np.any(t["segment"] < i) else 0.0
        s = t["stress_MPa"][sel]
        ax[2].semilogx(ts - t0, s / s[0], color=c, label=f"stage {i + 1}")
    ax[2].set_xlabel("time since the strain was applied (s)")
    ax[2].set_ylabel(r"$\sigma/\sigma_0$ in each held-strain stage")
    ax[2].grid(alpha=0.3)
    if held:
        ax[2].legend(fontsize=8)


def _tension(result, cfg, ax):
    t = result.tables["theory"]
    ax[0].plot(t["strain"], t["stress_MPa"], "k-")
    ax[0].set_xlabel("total strain")
    ax[0].set_ylabel("stress (MPa)")
    ax[0].set_title(f"peak {result.summary['peak_stress_MPa']:.0f} MPa", fontsize=9)
    ax[0].grid(alpha=0.3)
    _strain_panel(ax[1], t)
    ax[1].legend(fontsize=8)
    ax[2].plot(t["time_s"], t["chi"], "k-")
    ax[2].set_xlabel("time (s)")
    ax[2].set_ylabel(r"$\chi$ (Eq. 22c)")
    ax[2].grid(alpha=0.3)


def _stress_relaxation(result, cfg, ax):
    t = result.tables["theory"]
    temps = np.unique(t["temperature_K"])
    colors = plt.cm.coolwarm(np.linspace(0, 1, temps.size))
    for T, c in zip(temps, colors):
        sel = t["temperature_K"] == T
        ax[0].semilogx(t["time_s"][sel], t["stress_normalized"][sel], color=c, label=f"{T:g} K")
        s = t["stress_normalized"][sel]
        rate = -np.gradient(s, np.log(t["time_s"][sel]))
        ax[1].semilogx(t["time_s"][sel], rate, color=c)
    ax[0].set_xlabel("time (s)")
    ax[0].set_ylabel(r"$\sigma/\sigma(t_{first})$")
    ax[0].legend(fontsize=7)
    ax[1].set_xlabel("time (s)")
    ax[1].set_ylabel(r"$-d(\sigma/\sigma_0)/d\ln t$  (peaks = decay steps)")
    for a in ax:
        a.grid(alpha=0.3)


def _stepped(result, cfg, ax):
    t = result.tables["theory"]
    T = t["temperature_K"]
    ax[0].plot(T, t["delta"], "o-", ms=3, label=r"$\delta = (\sigma_0-\sigma_r)/\sigma_0$")
    ax[0].axhline(0.25, color="tab:red", ls=":", label="0.25 (percolation, [Duan2022])")
    ax[0].set_ylabel(r"liquid-like fraction $\delta$")
    ax[0].legend(fontsize=8)
    d = t["ddelta_dT_per_K"]
    ax[1].plot(T, d / np.nanmax(d), "o-", ms=3, label=r"$d\delta/dT$ (normalised)")
    ax[1].plot(T, t["E_loss_at_f_eff_normalized"], "k-",
               label=f"E''/E''max at f_eff = {result.summary['f_eff_Hz']:.2g} Hz")
    ax[1].legend(fontsize=8)
    ax[2].plot(T, t["beta_KWW"], "o-", ms=3, color="tab:green", label=r"$\beta_{KWW}$")
    ax[2].set_ylabel(r"$\beta_{KWW}$")
    ax2 = ax[2].twinx()
    ax2.semilogy(T, t["tau_c_s"], "s-", ms=3, color="tab:purple", label=r"$\tau_c$")
    ax2.set_ylabel(r"$\tau_c$ (s)")
    ax[2].legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    for a in ax:
        a.set_xlabel("temperature (K)")
        a.grid(alpha=0.3)


def _training(result, cfg, ax):
    t = result.tables["theory"]
    groups = _per_frequency(t)
    colors = plt.cm.viridis(np.linspace(0, 0.85, len(groups)))
    Eu = cfg.material.E_unrelaxed_MPa
    for (f, sel), c in zip(groups, colors):
        T = t["temperature_K"][sel]
        ax[0].plot(T, t["E_loss_MPa"][sel] / Eu, color=c, label=f"{f:g} Hz")
        ax[1].semilogy(T, t["energy_per_cycle_MJ_per_m3"][sel] * f, color=c, label=f"{f:g} Hz")
        ax[2].semilogy(T, np.maximum(t["energy_total_MJ_per_m3"][sel], 1e-12), color=c,
                       label=f"{f:g} Hz")
    ax[0].set_ylabel(r"$E''/E_u$")
    ax[1].set_ylabel(r"input power $f\,\pi E''\varepsilon_0^2$ (MJ m$^{-3}$ s$^{-1}$)")
    ax[2].set_ylabel(r"total input energy $\Delta W$ (MJ m$^{-3}$)")
    for a in ax:
        a.set_xlabel("temperature (K)")
        a.grid(alpha=0.3)
        a.legend(fontsize=7)


# protocol kind -> (panel function, number of panels)
_KINDS = {
    "dma_isochronal": (_dma_isochronal, 3), "dma_isothermal": (_dma_isothermal, 3),
    "creep": (_time_components, 3), "program": (_program, 3), "tension": (_tension, 3),
    "stress_relaxation": (_stress_relaxation, 2), "stepped_relaxation": (_stepped, 3),
    "cyclic_training": (_training, 3),
}
