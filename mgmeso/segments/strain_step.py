"""Add a strain step to the total strain and hold it (stepped relaxation)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .base import STRAIN, Hold, Law, Start


@dataclass(frozen=True)
class StrainStep(Hold):
    """Add ``strain`` to the total strain at the segment start and hold it (one relaxation of a
    stepped-relaxation run, whose strain is released and re-applied at every step).
    """

    type: ClassVar[str] = "strain_step"
    strain: float
    duration_s: float
    samples: int
    spacing: str = "log"

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        return Law(STRAIN, eps0=start.strain + self.strain, t0=start.t_s)

    def end_strain(self, strain):
        """See `Segment.end_strain`."""
        return strain + self.strain

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        """See `Segment.peak_stress_MPa`."""
        return E_unrelaxed_MPa * abs(self.strain)
