"""Jump to and hold a total strain (stress relaxation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import STRAIN, Hold, Law, Start
from .ranges import SPACING, TIME, param, samples


@dataclass(frozen=True, kw_only=True)
class HoldStrain(Hold):
    """Jump to and hold a total strain (stress relaxation)."""

    type: ClassVar[str] = "hold_strain"
    strain: float = param(doc="held total strain", lo=-0.5, hi=0.5, why="a strain below 50 %")
    duration_s: float = param(doc="segment duration", **TIME)
    samples: int = samples(60)
    spacing: str = param("log", doc="sample spacing from the segment start", **SPACING)

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        return Law(STRAIN, eps0=self.strain, t0=start.t_s)

    def end_strain(self, strain):
        """See `Segment.end_strain`."""
        return self.strain

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        """See `Segment.peak_stress_MPa`."""
        return E_unrelaxed_MPa * abs(self.strain)

    def held_strain(self):
        """See `Segment.held_strain`."""
        return self.strain
