"""Sample grids shared by the theory and the kMC: temperature ladders and log-spaced counts."""

from __future__ import annotations

import numpy as np

__all__ = ["temperature_grid", "log_sample_count"]


def temperature_grid(start_K: float, end_K: float, step_K: float) -> np.ndarray:
    """``start_K, start_K + step_K, ...`` up to ``end_K`` included (to half a step)."""
    return np.arange(start_K, end_K + 0.5 * step_K, step_K)


def log_sample_count(t_first_s: float, t_end_s: float, points_per_decade: int) -> int:
    """Number of log-spaced sample times from ``t_first_s`` to ``t_end_s`` at
    ``points_per_decade`` (both ends included).
    """
    return int(np.ceil(np.log10(t_end_s / t_first_s) * points_per_decade)) + 1
