"""The analytical model of the frequency-domain protocols: DMA columns on a temperature and
frequency grid, isochronal and isothermal scans (called by
:func:`mgmeso.theory.protocols.evaluate`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import (
    RunConfig,
)
from ..config.material import Material
from ..constants import SECONDS_PER_MINUTE
from ..grids import temperature_grid
from ..io.table import Table
from . import analysis
from .compliance import complex_compliance, state_point
from .gumbel import gumbel_grid
from .result import TheoryResult


def dma_columns(mat: Material, T_K, f_Hz, grid, chi_law: str = "linear") -> dict[str, np.ndarray]:
    """E', E'', tan(delta) in the exact and paper forms and per-component loss.

    ``T_K`` and ``f_Hz`` broadcast. The component losses ``E''_k = J''_k/|J*|^2``
    add up to E'' exactly (E'' = J''/|J*|^2 and J'' is a sum over components).

    Parameters
    ----------
    mat : Material
        The glass.
    T_K : array_like
        Temperatures (K).
    f_Hz : array_like
        Frequencies (Hz), broadcast against ``T_K``.
    grid : GumbelGrid
        Quadrature grid of the hierarchical time distribution.
    chi_law : {'linear', 'defects'}, optional
        Law of chi(T) (:func:`~mgmeso.theory.kinetics.chi`).

    Returns
    -------
    dict of str to ndarray
        ``temperature_K``, ``frequency_Hz``, the moduli (MPa) and tan delta in both forms,
        the per-component losses (MPa) and ``tau_beta_s``, ``tau_max_s``, ``chi``, all of the
        broadcast shape.
    """
    T, f = np.broadcast_arrays(np.asarray(T_K, dtype=float), np.asarray(f_Hz, dtype=float))
    sp = state_point(mat, T, chi_law=chi_law)
    w = 2.0 * np.pi * f
    Jx = complex_compliance(mat, w, sp, grid, "exact")
    Jp = complex_compliance(mat, w, sp, grid, "paper")
    Ex = 1.0 / Jx["total"]
    Ep = 1.0 / Jp["total"]
    mod2 = np.abs(Jx["total"]) ** 2
    return {
        "temperature_K": T, "frequency_Hz": f,
        "E_storage_MPa": Ex.real, "E_loss_MPa": Ex.imag, "tan_delta": Ex.imag / Ex.real,
        "E_storage_paper_MPa": Ep.real, "E_loss_paper_MPa": Ep.imag,
        "tan_delta_paper": Ep.imag / Ep.real,
        "E_loss_beta_MPa": -Jx["beta"].imag / mod2,
        "E_loss_anelastic_MPa": -Jx["anelastic"].imag / mod2,
        "E_loss_plastic_MPa": -Jx["plastic"].imag / mod2,
        "tau_beta_s": sp.tau_beta_s, "tau_max_s": sp.tau_max_s, "chi": sp.chi,
    }


def _grid(cfg: RunConfig):
    return gumbel_grid(cfg.material.B_beta, cfg.theory.gumbel_points)


def _dma_isochronal(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    T = temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K)
    rate = p.heating_rate_K_per_min / SECONDS_PER_MINUTE
    tables, peaks = [], []
    for f in p.frequency_Hz:
        cols = dma_columns(cfg.material, T, f, _grid(cfg), cfg.theory.chi_law)
        cols = {"time_s": (T - p.T_start_K) / rate, **cols}
        tables.append(Table(cols))
        feat = analysis.loss_features(T, cols["E_loss_MPa"])
        feat_p = analysis.loss_features(T, cols["E_loss_paper_MPa"])
        peaks.append({"frequency_Hz": f, **feat,
                      "alpha_T_K_paper": feat_p["alpha_T_K"], "beta_T_K_paper": feat_p["beta_T_K"],
                      "E_storage_start_MPa": float(cols["E_storage_MPa"][0])})
    summary: dict[str, Any] = {"features": peaks}
    beta = [(pk["frequency_Hz"], pk["beta_T_K"]) for pk in peaks if pk["beta_kind"] == "peak"]
    if len(beta) >= 2:
        f_arr = np.array([b[0] for b in beta])
        fit = analysis.arrhenius_fit([b[1] for b in beta], 1.0 / (2 * np.pi * f_arr))
        summary["beta_peak_arrhenius"] = {"U_kJ_per_mol": fit["U_kJ_per_mol"],
                                          "U_se_kJ_per_mol": fit.stderr["U_kJ_per_mol"],
                                          "tau0_s": fit["tau0_s"]}
    summary["fragility"] = analysis.fragility(cfg.material, cfg.theory.chi_law)
    return TheoryResult(p.kind, {"theory": Table.concat(tables)}, summary)


def _dma_isothermal(cfg: RunConfig) -> TheoryResult:
    p = cfg.protocol
    mat = cfg.material
    temps = temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K)
    n_f = int(round(np.log10(p.f_max_Hz / p.f_min_Hz) * p.points_per_decade)) + 1
    freqs = np.geomspace(p.f_min_Hz, p.f_max_Hz, n_f)
    TT, FF = np.meshgrid(temps, freqs, indexing="ij")
    cols = dma_columns(mat, TT.ravel(), FF.ravel(), _grid(cfg), cfg.theory.chi_law)
    main = Table(cols)
    # chi(T) from the slope of ln tan(delta) vs ln(omega) ([Hao2022] Eq. 27, Fig. 4)
    chi_rows: dict[str, list[float]] = {"temperature_K": [], "chi_from_slope": [],
                                        "chi_from_slope_se": [], "chi_model": []}
    Tref = p.reference_T_K if p.reference_T_K is not None else mat.Tg_K
    log_f, log_y = [], []
    for i, T in enumerate(temps):
        sl = slice(i * n_f, (i + 1) * n_f)
        fit = analysis.chi_from_tan_delta(2 * np.pi * freqs, cols["tan_delta"][sl])
        chi_rows["temperature_K"].append(T)
        chi_rows["chi_from_slope"].append(fit["chi"])
        chi_rows["chi_from_slope_se"].append(fit.stderr["chi"])
        chi_rows["chi_model"].append(float(cols["chi"][sl][0]))
        log_f.append(np.log10(freqs))
        log_y.append(np.log10(cols["E_loss_MPa"][sl]))
    # master curve: empirical horizontal shifts of log E'' ([Hao2022] Fig. 7)
    ref = int(np.argmin(np.abs(temps - Tref)))
    shifts = analysis.tts_shifts(log_f, log_y, ref)
    tm = state_point(mat, temps, chi_law=cfg.theory.chi_law).tau_max_s
    model_shift = np.log10(tm / tm[ref])
    shift_col = np.repeat(shifts, n_f)
    master = Table({
        "temperature_K": cols["temperature_K"], "frequency_Hz": cols["frequency_Hz"],
        "reduced_frequency_Hz": cols["frequency_Hz"] * 10.0 ** shift_col,
        "E_storage_MPa": cols["E_storage_MPa"], "E_loss_MPa": cols["E_loss_MPa"],
        "tan_delta": cols["tan_delta"],
    })
    shift_table = Table({"temperature_K": temps, "log10_shift_empirical": shifts,
                         "log10_shift_tau_max": model_shift})
    summary = {"reference_T_K": float(temps[ref]),
               "chi_extraction": "slope of ln tan(delta) vs ln(omega) over the whole sweep; "
                                 "holds only on the alpha wing (docs/model.md E11)"}
    return TheoryResult(p.kind, {"theory": main, "chi": Table({k: np.array(v) for k, v in
                                                                 chi_rows.items()}),
                                 "master_curve": master, "shift_factors": shift_table}, summary)
