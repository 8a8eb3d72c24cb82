"""Ramp the strain back at a rate until the stress reaches zero."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from .base import UNLOAD, Law, Segment, Start
from .ranges import param, samples


@dataclass(frozen=True, kw_only=True)
class Unload(Segment):
    """Ramp the strain down at a rate until the stress reaches zero."""

    type: ClassVar[str] = "unload"
    rate_per_s: float = param(unit="1/s", doc="unloading strain rate", lo=0.0, lo_open=True, hi=10.0,
                              why="a positive strain rate")
    samples: int = samples(50)
    ends_on_event = True

    def duration(self, strain, T_K):
        """See `Segment.duration`."""
        return None          # ends when the stress reaches zero

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        # towards zero stress from either side
        return Law(UNLOAD, eps0=start.strain, t0=start.t_s,
                   eps_rate=-math.copysign(self.rate_per_s, start.stress_MPa))

    def estimated_duration(self, stress_MPa, J_inst_per_MPa):
        """Elastic estimate |sigma| J_inst / rate (the inelastic strain moves too).

        See :meth:`Segment.estimated_duration`.

        Parameters
        ----------
        stress_MPa : float
            Stress at the segment start (MPa).
        J_inst_per_MPa : float
            Instantaneous compliance (1/MPa).

        Returns
        -------
        float
            The estimated duration (s); 0 at zero stress.
        """
        return abs(stress_MPa) * J_inst_per_MPa / self.rate_per_s if stress_MPa != 0 else 0.0

    def search_horizon_s(self, strain):
        """See `Segment.search_horizon_s`."""
        return 2.0 * max(abs(strain), 1e-12) / self.rate_per_s
