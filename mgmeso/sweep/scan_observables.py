"""Sweep observables of scans and of whole runs: ``dma_peaks``, ``stepped_delta``, ``events``
and ``localisation`` (registered by :mod:`mgmeso.sweep.observables`, after its own entries).
"""

from __future__ import annotations

import numpy as np

from ..config import RunConfig
from .observables import Observable, Quantity, mean_se, register

# --------------------------------------------------------------------------------------------
# dma_peaks

def _peaks(T: np.ndarray, E: np.ndarray) -> tuple[float, float]:
    from ..theory.analysis import loss_features

    ok = np.isfinite(E)
    if ok.sum() < 3:
        return float("nan"), float("nan")
    f = loss_features(T[ok], E[ok])
    beta = f["beta_T_K"] if f["beta_T_K"] is not None else float("nan")
    return float(f["alpha_T_K"]), float(beta)


def _dma_kmc(run) -> dict[str, Quantity]:
    from ..kmc.lockin import dma_table

    p = run.cfg.protocol
    tab = dma_table(run.series, run.setup, temperature_window_K=max(float(p.T_step_K), 0.5))
    freqs = list(p.frequency_Hz)
    res = np.full((len(freqs), 2), np.nan)
    for c, f in enumerate(freqs):
        m = np.isclose(tab["frequency_Hz"], f)
        res[c] = _peaks(tab["temperature_K"][m], tab["E_loss_MPa"][m])
    return _dma_quantities(res, "lock-in E'' of the kMC replica mean")


def _dma_theory(view) -> dict[str, Quantity]:
    feats = view.summary.get("features", [])
    res = np.array([[f.get("alpha_T_K") if f.get("alpha_T_K") is not None else np.nan,
                     f.get("beta_T_K") if f.get("beta_T_K") is not None else np.nan]
                    for f in feats], dtype=float).reshape(-1, 2)
    return _dma_quantities(res, "analytical model")


def _dma_quantities(res: np.ndarray, how: str) -> dict[str, Quantity]:
    return {"alpha_peak_T_K": Quantity(res[:, 0], ("case",), "K",
                                       f"temperature of the alpha loss peak ({how})"),
            "beta_feature_T_K": Quantity(res[:, 1], ("case",), "K", "temperature of the beta "
                                         f"feature (peak, shoulder or wing) of E'' ({how})")}


register(Observable("dma_peaks", "alpha and beta loss-peak temperatures of an isochronal scan",
                    lambda cfg: cfg.protocol.isochronal_scan, _dma_kmc, _dma_theory))


# --------------------------------------------------------------------------------------------
# stepped_delta

_STEP_Q = {"step_temperature_K": ("temperature_K", "K", "temperature of the relaxation step"),
           "delta": ("delta", "1", "liquid-like fraction (sigma_0 - sigma_r)/sigma_0 of the step"),
           "defect_fraction_end": ("defect_fraction", "1",
                                   "defect fraction at the end of the step"),
           "chi_mean_end": ("chi_mean", "1", "mean chi of the QPD sites at the end of the step"),
           "sigma0_MPa": ("sigma0_MPa", "MPa", "first recorded stress of the step"),
           "run_number": ("run", "1", "1: first run, 2: second run after cooling")}


def _stepped_kmc(run) -> dict[str, Quantity]:
    from ..kmc.aging import STEP_COLUMNS, stepped_delta
    from ..kmc.replica import TIME_SERIES

    names = [n for n, _, _ in TIME_SERIES]
    data = np.stack([run.series(n) for n in names], axis=-1)        # (case, rep, sample, var)
    per = []
    for r in range(data.shape[1]):
        table = data[0, r][np.isfinite(data[0, r, :, 0])]
        per.append(stepped_delta(table, run.setup.programs[0]))
    n = max(p.shape[0] for p in per)
    arr = np.full((len(per), n, len(STEP_COLUMNS)), np.nan)
    for r, p in enumerate(per):
        arr[r, : p.shape[0]] = p
    m, se = mean_se(arr, axis=0)
    return {q: Quantity(m[None, :, STEP_COLUMNS.index(col)], ("case", "step"), unit,
                        desc + " (kMC replica mean)", se[None, :, STEP_COLUMNS.index(col)])
            for q, (col, unit, desc) in _STEP_Q.items()}


def _stepped_theory(view) -> dict[str, Quantity]:
    tab = view.tables["theory"]
    n = tab["temperature_K"].size
    cols = {"temperature_K": tab["temperature_K"], "delta": tab["delta"],
            "defect_fraction": np.full(n, np.nan), "chi_mean": np.full(n, np.nan),
            "sigma0_MPa": tab["sigma0_MPa"], "run": np.ones(n)}
    return {q: Quantity(np.asarray(cols[col], float)[None, :], ("case", "step"), unit,
                        desc + " (analytical model, no aging)")
            for q, (col, unit, desc) in _STEP_Q.items()}


register(Observable("stepped_delta", "liquid-like fraction per step of a stepped relaxation",
                    lambda cfg: cfg.protocol.stepped_relaxation() is not None, _stepped_kmc,
                    _stepped_theory))


# --------------------------------------------------------------------------------------------
# events

def _events_kmc(run) -> dict[str, Quantity]:
    ev = run.series("events_total")
    total = float(np.nansum(np.nanmax(ev, axis=-1)))
    return {"events_total": Quantity(np.asarray(total), (), "1",
                                     "kMC events of all kinds, all replicas and cases of the run")}


register(Observable("events", "kMC events per run", lambda cfg: True, _events_kmc, None))



# --------------------------------------------------------------------------------------------
# localisation

def _has_snapshots(cfg: RunConfig) -> bool:
    return bool(cfg.output.snapshot_times_s)


def _localisation_kmc(run) -> dict[str, Quantity]:
    from ..analysis.deformation_map import run_localisation

    if run.data is None or not run.data.has_snapshots():
        return {}
    n_case = len(run.case_labels)
    recs = [run_localisation(run.data, case=c) for c in range(n_case)]

    def arr(k):
        return np.array([getattr(r, k) for r in recs])

    return {
        "localisation_index": Quantity(
            arr("index"), ("case",), "1", "share of the plastic strain in the most-sheared 10 % "
            "of the planes normal to x or y at the last snapshot (0.1 homogeneous, 1 one plane; "
            "kMC replica mean)", arr("index_se")),
        "localisation_null": Quantity(
            arr("null"), ("case",), "1", "the same index with the site values placed at random "
            "(the no-localisation baseline)"),
        "plastic_ipr_N": Quantity(arr("ipr_N"), ("case",), "1",
                                  "N times the inverse participation ratio of the plastic strain "
                                  "(1 uniform, N one site)"),
        "plastic_q4": Quantity(arr("q4"), ("case",), "1", "projection of the plastic-strain "
                               "autocorrelation on cos(4 theta) in the shear plane")}


register(Observable("localisation", "localisation of the plastic strain (needs snapshots)",
                    _has_snapshots, _localisation_kmc, None))
