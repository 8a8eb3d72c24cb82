"""The loading law both engines run (stress or strain control, held, ramped or oscillating, or
unloading to zero stress), a temperature ramp, the state at a segment start, and the sample
times of a segment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

#: what a law controls: the stress, the strain, or the strain while unloading to zero stress
STRESS, STRAIN, UNLOAD = 0, 1, 2


class Law(NamedTuple):
    """Loading law of a segment, fixed at its start (a numba-compatible named tuple).

    Under ``STRESS`` control the stress is ``sigma_hold + amp sin(omega (t - t0))``; under
    ``STRAIN`` and ``UNLOAD`` control the total strain is
    ``eps0 + eps_rate (t - t0) + amp sin(omega (t - t0))``. ``UNLOAD`` ends when the stress
    reaches zero.
    """

    control: int = STRESS
    sigma_hold: float = 0.0     # MPa
    eps0: float = 0.0
    eps_rate: float = 0.0       # 1/s
    t0: float = 0.0             # s, start of the segment
    amp: float = 0.0            # strain, or MPa under stress control
    omega: float = 0.0          # rad/s

    def target(self, t: float) -> float:
        """Return the controlled quantity at time t: stress (MPa) or total strain.

        Parameters
        ----------
        t : float
            Time (s).

        Returns
        -------
        float
            ``sigma_hold + amp sin(omega (t - t0))`` under stress control, else
            ``eps0 + eps_rate (t - t0) + amp sin(omega (t - t0))``.
        """
        osc = self.amp * math.sin(self.omega * (t - self.t0)) if self.amp != 0.0 else 0.0
        if self.control == STRESS:
            return self.sigma_hold + osc
        return self.eps0 + self.eps_rate * (t - self.t0) + osc

    def to_dict(self) -> dict:
        """Return the law's fields as a dict (for checkpoints).

        Returns
        -------
        dict
            Field name -> value.
        """
        return self._asdict()

    @classmethod
    def from_dict(cls, d: dict) -> Law:
        """Rebuild a law from :meth:`to_dict` (the inverse, also from stored arrays).

        Parameters
        ----------
        d : dict
            Field name -> value (numbers, possibly numpy scalars).

        Returns
        -------
        Law
            The law.
        """
        return cls(control=int(d["control"]), **{k: float(d[k]) for k in cls._fields[1:]})


@dataclass(frozen=True)
class Ramp:
    """A temperature ramp from ``T0_K`` at ``t0_s`` at ``rate_K_per_s`` (signed) for
    ``duration_s``, towards ``T1_K``.
    """

    T0_K: float
    rate_K_per_s: float
    t0_s: float
    duration_s: float
    T1_K: float

    @property
    def t_end_s(self) -> float:
        """End time of the ramp (s)."""
        return self.t0_s + self.duration_s


@dataclass(frozen=True)
class Start:
    """State of the sample at the start of a segment."""

    t_s: float
    stress_MPa: float
    strain: float
    T_K: float
    control: int = STRESS       # control of the previous segment's law (STRESS at the start)


def sample_offsets(n: int, spacing: str, duration_s: float, t_first_s: float) -> np.ndarray:
    """Return ``n`` sample times from a segment start (s), ending at ``duration_s``.

    Log-spaced from ``t_first_s`` (``spacing = "log"``, when the segment outlasts it and
    ``n > 1``), else evenly spaced.

    Parameters
    ----------
    n : int
        Number of samples.
    spacing : {"log", "linear"}
        Spacing of the samples.
    duration_s : float
        Segment duration (s).
    t_first_s : float
        First log-spaced sample time (s).

    Returns
    -------
    numpy.ndarray
        float64 (n,): the offsets (s), increasing, the last equal to ``duration_s``.

    Examples
    --------
    >>> sample_offsets(3, "log", 100.0, 1.0)
    array([  1.,  10., 100.])
    >>> sample_offsets(4, "linear", 2.0, 1.0)
    array([0.5, 1. , 1.5, 2. ])
    """
    if spacing == "log" and duration_s > t_first_s and n > 1:
        return np.geomspace(t_first_s, duration_s, n)
    return np.linspace(duration_s / n, duration_s, n)
