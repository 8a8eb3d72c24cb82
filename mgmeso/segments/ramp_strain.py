"""Ramp the total strain at a constant rate to a target (tension)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from .base import STRAIN, Law, Segment, Start
from .ranges import param, samples


@dataclass(frozen=True, kw_only=True)
class RampStrain(Segment):
    """Ramp the total strain at a constant rate to a target (tension)."""

    type: ClassVar[str] = "ramp_strain"
    rate_per_s: float = param(unit="1/s", doc="strain rate magnitude", lo=0.0, lo_open=True, hi=10.0,
                              why="a positive, quasi-static strain rate")
    to_strain: float = param(doc="target total strain", lo=-0.5, hi=0.5, why="a strain below 50 %")
    samples: int = samples(100)

    def duration(self, strain, T_K):
        """See `Segment.duration`."""
        return abs(self.to_strain - strain) / self.rate_per_s

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        return Law(STRAIN, eps0=start.strain, t0=start.t_s,
                   eps_rate=math.copysign(self.rate_per_s, self.to_strain - start.strain))

    def end_strain(self, strain):
        """See `Segment.end_strain`."""
        return self.to_strain

    def resolution_time(self, strain, t_first_s):
        """See `Segment.resolution_time`."""
        return self.duration(strain, 0.0) / self.samples

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        """See `Segment.peak_stress_MPa`."""
        return E_unrelaxed_MPa * abs(self.to_strain)
