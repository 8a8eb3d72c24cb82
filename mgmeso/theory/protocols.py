"""Every protocol of the foundation issue, evaluated with the analytical model.

:func:`evaluate` takes a validated :class:`~mgmeso.config.RunConfig` and returns
a :class:`TheoryResult`: named tables (the main one is ``theory``, written as
``theory.csv``) and a summary of derived numbers (peak temperatures, fits),
written as ``theory.json`` and printed by the CLI.

Choices where the papers are silent (written into docs/theory.md):

* DMA: the analytical model has no aging, so an isochronal scan is a sequence
  of steady states; the heating rate only sets time along the scan and the
  accumulated input energy.
* Creep and recovery: Boltzmann superposition of J(t) (exact).
* Stress relaxation: Volterra inversion of J(t) (:mod:`.volterra`), one
  independent test per temperature. A decay *step* is a maximum of
  ``-d(sigma/sigma0)/d ln t`` inside the window; a decay still accelerating
  when the window closes is flagged, not counted (``STEP_RULE``).
* Tension: hereditary integration (:mod:`.hereditary`) with tau_beta(sigma) and
  chi(eps_an) unless ``[theory] nonlinear = "off"``.
* Stepped relaxation ([Duan2022]): each step is an independent relaxation of a
  sample with no memory of earlier steps; sigma_0 is the stress at
  ``first_sample_s`` and sigma_r at the end of the hold.
"""

from __future__ import annotations

import numpy as np

from ..config import (
    Creep,
    CyclicTraining,
    DmaIsochronal,
    DmaIsothermal,
    Program,
    RunConfig,
    SteppedRelaxation,
    StressRelaxation,
    Tension,
)
from ..constants import SECONDS_PER_MINUTE
from ..grids import log_sample_count, temperature_grid
from ..io.table import Table
from . import analysis
from .compliance import creep_compliance, state_point
from .frequency_domain import _dma_isochronal, _dma_isothermal, _grid, dma_columns
from .hereditary import HereditaryOptions, run_program
from .result import TIME_COLUMNS, TheoryResult
from .volterra import relax_stress

__all__ = ["TheoryResult", "evaluate", "dma_columns", "TIME_COLUMNS"]


def evaluate(cfg: RunConfig) -> TheoryResult:
    """Evaluate the config's protocol with the analytical model.

    Parameters
    ----------
    cfg : RunConfig
        The validated config (its protocol, material and ``[theory]`` options).

    Returns
    -------
    TheoryResult
        The protocol's tables (``theory`` first) and its summary (``material``,
        ``protocol`` and the protocol's derived numbers).
    """
    p = cfg.protocol
    fn = {
        DmaIsochronal: _dma_isochronal, DmaIsothermal: _dma_isothermal, Creep: _creep,
        StressRelaxation: _stress_relaxation, Tension: _tension,
        SteppedRelaxation: _stepped_relaxation, CyclicTraining: _cyclic_training,
        Program: _program,
    }[type(p)]
    res = fn(cfg)
    res.summary.setdefault("material", cfg.material.name)
    res.summary.setdefault("protocol", p.kind)
    return res


# ---------------------------------------------------------------------------
# time domain (the frequency domain: mgmeso.theory.frequency_domain)

def _time_table(d: dict, T: float) -> Table:
    cols = {k: np.asarray(d[k]) for k in TIME_COLUMNS if k != "temperature_K"}
    cols["temperature_K"] = np.full(cols["time_s"].shape, T) if "temperature_K" not in d \
        else np.asarray(d["temperature_K"])
    return Table({k: cols[k] for k in TIME_COLUMNS})


def _creep(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    mat = cfg.material
    prog = p.loading_program()
    times, stress = [], []
    t0 = 0.0
    for seg in prog.segments:
        offs = seg.sample_offsets(seg.duration_s, prog.t_first_s)
        times.append(t0 + offs)
        stress.append(np.full(offs.shape, seg.stress_MPa))
        t0 += seg.duration_s
    t = np.concatenate(times)
    sp = state_point(mat, p.temperature_K)
    g = _grid(cfg)
    on = creep_compliance(mat, t, sp, g)
    off = creep_compliance(mat, np.clip(t - p.creep_time_s, 0, None), sp, g)
    after = t > p.creep_time_s
    d = {"time_s": t, "stress_MPa": np.concatenate(stress)}
    for key, name in (("elastic", "strain_elastic"), ("beta", "strain_beta"),
                      ("anelastic", "strain_anelastic"), ("plastic", "strain_plastic")):
        # Boltzmann superposition: +sigma at 0, -sigma at the end of creep
        d[name] = p.stress_MPa * (on[key] - np.where(after, off[key], 0.0))
    d["strain"] = d["strain_elastic"] + d["strain_beta"] + d["strain_anelastic"] + d["strain_plastic"]
    end = np.searchsorted(t, p.creep_time_s)
    summary = {
        "tau_beta_s": float(sp.tau_beta_s), "chi": float(sp.chi), "tau_an_s": float(sp.tau_an_s),
        "tau_max_s": float(sp.tau_max_s),
        "strain_end_of_creep": float(d["strain"][end]),
        "steady_creep_rate_per_s": p.stress_MPa * mat.A_vp / float(sp.tau_max_s),
    }
    if p.recovery_time_s > 0:
        summary["strain_end_of_recovery"] = float(d["strain"][-1])
        summary["permanent_strain"] = float(d["strain_plastic"][-1])
    return TheoryResult(p.kind, {"theory": _time_table(d, p.temperature_K)}, summary)


def _relaxation_at(cfg: RunConfig, T: float, strain: float, t_out: np.ndarray) -> dict:
    sp = state_point(cfg.material, T, chi_law=cfg.theory.chi_law)
    return relax_stress(cfg.material, sp, _grid(cfg), lambda t: np.full_like(t, strain), t_out,
                        points_per_decade=cfg.theory.relaxation_points_per_decade)


def _stress_relaxation(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    t = np.geomspace(p.t_first_s, p.duration_s,
                     log_sample_count(p.t_first_s, p.duration_s, p.points_per_decade))
    tables, per_T = [], []
    for T in p.temperatures_K:
        d = _relaxation_at(cfg, T, p.strain, t)
        tab = _time_table(d, T)
        tab.columns["stress_normalized"] = d["stress_MPa"] / d["stress_MPa"][0]
        tables.append(tab)
        steps = analysis.relaxation_steps(t, d["stress_MPa"], count_edge=False)
        with_edge = analysis.relaxation_steps(t, d["stress_MPa"], count_edge=True)
        tau_c, beta, why = _kww_or_reason(t, d["stress_MPa"])
        per_T.append({"temperature_K": T, "stress_first_MPa": float(d["stress_MPa"][0]),
                      "stress_end_MPa": float(d["stress_MPa"][-1]),
                      "decay_steps_at_s": steps, "n_steps": len(steps),
                      "still_accelerating_at_end": len(with_edge) > len(steps),
                      "kww_tau_c_s": tau_c, "kww_beta": beta, "kww_no_fit_reason": why})
    return TheoryResult(p.kind, {"theory": Table.concat(tables)},
                        {"step_rule": STEP_RULE, "temperatures": per_T})


#: how ``n_steps`` of a stress relaxation counts (the validation suite's rule, hao2023_two_step)
STEP_RULE = ("a step is a maximum of -d(sigma/sigma0)/d ln t inside the window (prominence >= 2 % "
             "of the largest rate); a decay still accelerating at the window end is not a step "
             "(still_accelerating_at_end)")

#: KWW fits are reported only if the curve relaxed by at least this fraction in its window
#: and tau_c is within a factor KWW_MAX_EXTRAPOLATION of the window end; otherwise the
#: stretched exponential is not determined by the data: NaN is written, with the reason.
KWW_MIN_DECAY = 0.02
KWW_MAX_EXTRAPOLATION = 100.0


def _kww_or_reason(t: np.ndarray, s: np.ndarray) -> tuple[float, float, str]:
    """tau_c, beta_KWW and "" of an accepted KWW fit; else NaN, NaN and why there is none."""
    fit, why = analysis.kww_fit_or_reason(t, s, KWW_MIN_DECAY, KWW_MAX_EXTRAPOLATION)
    if fit is None:
        # one CSV cell: no field separator inside it
        return float("nan"), float("nan"), why.replace(",", ";")
    return fit["tau_c_s"], fit["beta_KWW"], ""


def _nonlinear(cfg: RunConfig, default: bool) -> bool:
    return {"auto": default, "on": True, "off": False}[cfg.theory.nonlinear]


def _hereditary(cfg: RunConfig, nonlinear_default: bool) -> dict:
    o = cfg.theory
    opts = HereditaryOptions(nonlinear=_nonlinear(cfg, nonlinear_default),
                             strain_term=o.strain_term, reordering_term=o.reordering_term,
                             chi_law=o.chi_law, modes_per_decade=o.kww_modes_per_decade)
    return run_program(cfg.material, cfg.protocol.loading_program(), opts)


def _tension(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    d = _hereditary(cfg, nonlinear_default=True)
    tab = _time_table(d, p.temperature_K)
    tab.columns["chi"] = d["chi"]
    i = int(np.argmax(d["stress_MPa"]))
    summary = {"nonlinear": _nonlinear(cfg, True), "peak_stress_MPa": float(d["stress_MPa"][i]),
               "strain_at_peak": float(d["strain"][i]),
               "chi_max": float(np.max(d["chi"])),
               "permanent_strain": float(d["strain_plastic"][-1]),
               "strain_end": float(d["strain"][-1])}
    return TheoryResult(p.kind, {"theory": tab}, summary)


def _program(cfg: RunConfig) -> TheoryResult:
    d = _hereditary(cfg, nonlinear_default=False)
    tab = _time_table(d, cfg.protocol.temperature_K)
    tab.columns["chi"] = d["chi"]
    tab.columns["segment"] = d["segment"].astype(int)
    return TheoryResult(cfg.protocol.kind, {"theory": tab},
                        {"nonlinear": _nonlinear(cfg, False), "segments": len(cfg.protocol.segments)})


_RELAXED = 1e-8     # sigma_0 / (E_u strain) below which a step counts as fully relaxed


def _stepped_relaxation(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    mat = cfg.material
    temps = temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K)
    t = np.geomspace(p.first_sample_s, p.hold_s,
                     log_sample_count(p.first_sample_s, p.hold_s, p.points_per_decade))
    rows: dict[str, list[float]]
    curves, rows = [], {k: [] for k in ("temperature_K", "sigma0_MPa", "sigma_r_MPa", "delta",
                                        "tau_c_s", "beta_KWW")}
    reasons: list[str] = []
    for T in temps:
        d = _relaxation_at(cfg, T, p.strain, t)
        s = d["stress_MPa"]
        curves.append(_time_table(d, T))
        rows["temperature_K"].append(T)
        rows["sigma0_MPa"].append(s[0])
        rows["sigma_r_MPa"].append(s[-1])
        if s[0] > _RELAXED * mat.E_unrelaxed_MPa * p.strain:
            rows["delta"].append((s[0] - s[-1]) / s[0])
            tau_c, beta, why = _kww_or_reason(t, s)
        else:
            # relaxed before the first sample: delta is 1 and the remaining digits are noise
            rows["delta"].append(1.0)
            tau_c, beta = np.nan, np.nan
            why = f"relaxed before the first sample at {p.first_sample_s:g} s: nothing to fit"
        rows["tau_c_s"].append(tau_c)
        rows["beta_KWW"].append(beta)
        reasons.append(why)
    cols = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    cols["ddelta_dT_per_K"] = np.gradient(cols["delta"], temps) if temps.size > 1 else np.zeros(1)
    # [Duan2022] Fig. 2: d delta/dT compares with E''(T) at f_eff = 1/(hold time)
    f_eff = 1.0 / p.hold_s
    dma = dma_columns(mat, temps, f_eff, _grid(cfg), cfg.theory.chi_law)
    cols["E_loss_at_f_eff_MPa"] = dma["E_loss_MPa"]
    cols["E_loss_at_f_eff_normalized"] = dma["E_loss_MPa"] / np.max(dma["E_loss_MPa"])
    # "" where tau_c_s and beta_KWW are a fit; else why they are NaN (a bound, the window, ...)
    cols["kww_no_fit_reason"] = np.asarray(reasons, dtype=str)
    delta = cols["delta"]
    summary = {"f_eff_Hz": f_eff, "n_steps": int(temps.size)}
    for level in (0.15, 0.25, 0.5):
        above = np.nonzero(delta >= level)[0]
        summary[f"T_delta_{level:g}_K"] = float(temps[above[0]]) if above.size else None
    summary["T_max_ddelta_dT_K"] = float(temps[int(np.argmax(cols["ddelta_dT_per_K"]))])
    return TheoryResult(p.kind, {"theory": Table(cols), "relaxation_curves": Table.concat(curves)},
                        summary)


def _cyclic_training(cfg: RunConfig) -> TheoryResult:
    """Input energy of cyclic loading during heating ([Zhang2023] Fig. 1; docs/model.md E7).

    Per cycle ``dW0 = pi E'' eps0^2`` (MJ/m^3 with E'' in MPa); over the
    heating ramp at rate q, ``dW = Int (f/q) pi eps0^2 E''(T, f) dT``.
    """
    p = cfg.protocol
    mat = cfg.material
    T = temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K)
    q = p.heating_rate_K_per_min / SECONDS_PER_MINUTE
    tables = []
    terminal: dict[str, list[float]] = {"temperature_K": [], "frequency_Hz": [], "energy_total_MJ_per_m3": []}
    for f in p.frequency_Hz:
        cols = dma_columns(mat, T, f, _grid(cfg), cfg.theory.chi_law)
        per_cycle = np.pi * cols["E_loss_MPa"] * p.strain_amplitude ** 2
        per_K = per_cycle * f / q
        cum = np.concatenate([[0.0], np.cumsum(0.5 * (per_K[1:] + per_K[:-1]) * np.diff(T))])
        tables.append(Table({
            "time_s": (T - p.T_start_K) / q, "temperature_K": T, "frequency_Hz": cols["frequency_Hz"],
            "E_storage_MPa": cols["E_storage_MPa"], "E_loss_MPa": cols["E_loss_MPa"],
            "tan_delta": cols["tan_delta"], "cycles": f * (T - p.T_start_K) / q,
            "energy_per_cycle_MJ_per_m3": per_cycle, "energy_total_MJ_per_m3": cum,
        }))
        for Tt in p.terminal_temperatures_K:
            terminal["temperature_K"].append(Tt)
            terminal["frequency_Hz"].append(f)
            terminal["energy_total_MJ_per_m3"].append(float(np.interp(Tt, T, cum)))
    term = Table({k: np.asarray(v, dtype=float) for k, v in terminal.items()})
    summary: dict = {"heating_rate_K_per_min": p.heating_rate_K_per_min,
                     "strain_amplitude": p.strain_amplitude}
    if len(p.frequency_Hz) >= 2:
        # power-law exponent n of dW ~ f^n at each terminal temperature (docs/model.md E7)
        expo = {}
        for Tt in p.terminal_temperatures_K:
            sel = term["temperature_K"] == Tt
            x = np.log(term["frequency_Hz"][sel])
            y = np.log(term["energy_total_MJ_per_m3"][sel])
            expo[f"{Tt:g}"] = float(np.polyfit(x, y, 1)[0])
        summary["energy_frequency_exponent"] = expo
    return TheoryResult(p.kind, {"theory": Table.concat(tables), "energy_terminal": term}, summary)
