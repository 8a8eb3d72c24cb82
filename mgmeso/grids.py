"""Sample grids shared by the theory and the kMC: temperature ladders and log-spaced counts."""

from __future__ import annotations

import numpy as np

__all__ = ["temperature_grid", "log_sample_count"]


def temperature_grid(start_K: float, end_K: float, step_K: float) -> np.ndarray:
    """``start_K, start_K + step_K, ...`` up to ``end_K`` included (to half a step).

    Parameters
    ----------
    start_K, end_K : float
        First and last temperature of the ladder (K); ``end_K`` is included when it lies on
        the ladder to within half a step (rounding of the step does not drop it).
    step_K : float
        Spacing (K), positive.

    Returns
    -------
    numpy.ndarray
        float64 (n,): the temperatures (K).

    Examples
    --------
    >>> temperature_grid(300.0, 320.0, 10.0)
    array([300., 310., 320.])
    """
    return np.arange(start_K, end_K + 0.5 * step_K, step_K)


def log_sample_count(t_first_s: float, t_end_s: float, points_per_decade: int) -> int:
    """Count the log-spaced sample times from ``t_first_s`` to ``t_end_s``.

    Parameters
    ----------
    t_first_s, t_end_s : float
        First and last sample time (s), ``0 < t_first_s <= t_end_s``.
    points_per_decade : int
        Sample times per decade of time.

    Returns
    -------
    int
        Number of sample times, both ends included.

    Examples
    --------
    >>> log_sample_count(1.0, 1000.0, 10)
    31
    """
    return int(np.ceil(np.log10(t_end_s / t_first_s) * points_per_decade)) + 1
