"""Observables of aging protocols run in the kMC: the liquid-like fraction of stepped relaxations.

[Duan2022] defines, for each isothermal step of a stepped-temperature stress relaxation,
``delta = (sigma_0 - sigma_r)/sigma_0`` with sigma_0 the first recorded stress after the
strain step and sigma_r the stress at the end of the hold ([Duan2022] Fig. 2; docs/model.md section 1).
"""

from __future__ import annotations

import numpy as np

from ..program import LoadingProgram
from .observables import TS_INDEX

__all__ = ["STEP_COLUMNS", "stepped_delta"]

#: columns of :func:`stepped_delta`
STEP_COLUMNS = ("run", "temperature_K", "sigma0_MPa", "sigma_r_MPa", "delta", "defect_fraction",
                "chi_mean")


def stepped_delta(table: np.ndarray, program: LoadingProgram) -> np.ndarray:
    """delta per relaxation step of one replica's time series.

    Parameters
    ----------
    table : float[n_samples, len(TIME_SERIES)]
        Time series of one replica (:meth:`Replica.table`).
    program : LoadingProgram
        The program it ran (from :func:`mgmeso.program.compile_stepped`).

    Returns
    -------
    float[n_steps, len(STEP_COLUMNS)]
        Run number (1, then 2 after a cooling segment), step temperature, sigma_0, sigma_r,
        delta, and the defect fraction and mean chi at the end of the hold. The stress is
        the one with units in local equilibrium at their conditional mean (less noise,
        same expectation).
    """
    seg_col = table[:, TS_INDEX["segment"]].astype(int)
    stress = table[:, TS_INDEX["stress_MPa_expected"]]
    rows, run = [], 1
    for i, seg in enumerate(program.segments):
        if seg.type == "temperature" and seg.to_K < program.temperature_K + 1e-9 and i:
            run += 1     # cooled back to the start: a second run
        if seg.type != "strain_step":      # the relaxation steps
            continue
        idx = np.flatnonzero(seg_col == i)
        if idx.size < 2:
            continue
        s0, sr = stress[idx[0]], stress[idx[-1]]
        rows.append((run, table[idx[0], TS_INDEX["temperature_K"]], s0, sr, (s0 - sr) / s0,
                     table[idx[-1], TS_INDEX["defect_fraction"]], table[idx[-1], TS_INDEX["chi_mean"]]))
    return np.array(rows, dtype=float).reshape(-1, len(STEP_COLUMNS))
