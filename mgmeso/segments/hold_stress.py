"""Hold a constant macroscopic stress (creep; recovery at 0 MPa)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import STRESS, Hold, Law, Start
from .ranges import SPACING, TIME, param, samples


@dataclass(frozen=True, kw_only=True)
class HoldStress(Hold):
    """Hold a constant macroscopic stress (creep, recovery at 0 MPa)."""

    type: ClassVar[str] = "hold_stress"
    stress_MPa: float = param(unit="MPa", doc="held stress", lo=-1e5, hi=1e5,
                              why="a stress below sigma1 in magnitude")
    duration_s: float = param(doc="segment duration", **TIME)
    samples: int = samples(60)
    spacing: str = param("log", doc="sample spacing from the segment start", **SPACING)

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        return Law(STRESS, sigma_hold=self.stress_MPa, eps0=start.strain, t0=start.t_s)

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        """See `Segment.peak_stress_MPa`."""
        return abs(self.stress_MPa)

    def held_stress_MPa(self):
        """See `Segment.held_stress_MPa`."""
        return self.stress_MPa
