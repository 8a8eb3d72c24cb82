"""Step or ramp the temperature; the mechanical state is held as before."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..constants import SECONDS_PER_MINUTE
from .base import STRAIN, STRESS, UNLOAD, Law, Ramp, Segment, Start
from .ranges import TEMPERATURE, param, samples


@dataclass(frozen=True, kw_only=True)
class Temperature(Segment):
    """Step (rate 0) or ramp the temperature; the mechanical state is held as before."""

    type: ClassVar[str] = "temperature"
    to_K: float = param(doc="target temperature", **TEMPERATURE)
    rate_K_per_min: float = param(0.0, unit="K/min", doc="ramp rate (0: instantaneous step)",
                                  lo=0.0, hi=1e4, why="a rate cannot be negative")
    hold_s: float = param(0.0, unit="s", doc="hold after reaching to_K", lo=0.0, hi=1e12,
                          why="a duration between 0 and 1e12 s")
    samples: int = samples(20)

    def duration(self, strain, T_K):
        """See `Segment.duration`."""
        ramp = (0.0 if self.rate_K_per_min == 0
                else abs(self.to_K - T_K) / self.rate_K_per_min * SECONDS_PER_MINUTE)
        return ramp + self.hold_s

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        # a stress-controlled state stays so; after unloading it is held at (about) zero stress
        if start.control in (STRESS, UNLOAD):
            return Law(STRESS, sigma_hold=start.stress_MPa, eps0=start.strain, t0=start.t_s)
        return Law(STRAIN, eps0=start.strain, t0=start.t_s)

    def ramp(self, start: Start) -> Ramp | None:
        """See `Segment.ramp`."""
        if self.rate_K_per_min > 0 and self.to_K != start.T_K:
            rate = math.copysign(self.rate_K_per_min / SECONDS_PER_MINUTE, self.to_K - start.T_K)
            return Ramp(start.T_K, rate, start.t_s, abs(self.to_K - start.T_K) / abs(rate), self.to_K)
        return None

    def held_temperature_K(self, T_K):
        """See `Segment.held_temperature_K`."""
        return self.to_K

    def end_temperature_K(self, T_K):
        """See `Segment.end_temperature_K`."""
        return self.to_K
