"""Sinusoidal strain or stress about the state at the segment start (DMA, cyclic training)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from ..constants import SECONDS_PER_MINUTE
from .base import STRAIN, STRESS, Law, Ramp, Segment, Start
from .ranges import FREQUENCY, param


@dataclass(frozen=True)
class Oscillate(Segment):
    """Sinusoidal strain (or stress) about the state at the segment start, for ``cycles`` cycles,
    optionally while the temperature ramps at ``ramp_K_per_min`` (a DMA scan).

    Exactly one of ``strain_amplitude`` (strain control) and ``stress_amplitude_MPa``
    (stress control) is non-zero. Samples are evenly spaced, ``samples_per_cycle`` per cycle.
    """

    type: ClassVar[str] = "oscillate"
    frequency_Hz: float
    cycles: float
    strain_amplitude: float = 0.0
    stress_amplitude_MPa: float = 0.0
    ramp_K_per_min: float = 0.0
    samples_per_cycle: float = 16
    spacing: str = "linear"

    @property
    def duration_s(self) -> float:
        """Duration of the segment (s): ``cycles / frequency_Hz``."""
        return self.cycles / self.frequency_Hz

    @property
    def samples(self) -> int:
        """Number of samples: ``cycles x samples_per_cycle`` rounded, at least 1."""
        return max(int(round(self.cycles * self.samples_per_cycle)), 1)

    def duration(self, strain, T_K):
        """See `Segment.duration`."""
        return self.duration_s

    def law(self, start: Start) -> Law:
        """See `Segment.law`."""
        omega = 2.0 * math.pi * self.frequency_Hz
        if self.strain_amplitude != 0.0:
            return Law(STRAIN, eps0=start.strain, t0=start.t_s, amp=self.strain_amplitude,
                       omega=omega)
        return Law(STRESS, sigma_hold=start.stress_MPa, eps0=start.strain, t0=start.t_s,
                   amp=self.stress_amplitude_MPa, omega=omega)

    def ramp(self, start: Start) -> Ramp | None:
        """See `Segment.ramp`."""
        if self.ramp_K_per_min > 0:
            rate = self.ramp_K_per_min / SECONDS_PER_MINUTE
            return Ramp(start.T_K, rate, start.t_s, self.duration_s,
                        start.T_K + rate * self.duration_s)
        return None

    def resolution_time(self, strain, t_first_s):
        """See `Segment.resolution_time`."""
        # the loading varies on 1/omega: faster units follow it in equilibrium
        return 1.0 / (2.0 * math.pi * self.frequency_Hz)

    def peak_stress_MPa(self, E_unrelaxed_MPa):
        """See `Segment.peak_stress_MPa`."""
        return max(E_unrelaxed_MPa * abs(self.strain_amplitude), abs(self.stress_amplitude_MPa))

    def max_step_s(self):
        """See `Segment.max_step_s`."""
        # the oscillation is resolved explicitly: at most 1/32 of a period per step
        return 1.0 / (32.0 * self.frequency_Hz)

    def oscillation_Hz(self):
        """See `Segment.oscillation_Hz`."""
        return self.frequency_Hz


@dataclass(frozen=True, kw_only=True)
class OscillateSegment(Segment):
    """Sinusoidal strain or stress about the state at the segment start (a DMA-like load):
    the ``oscillate`` table of a program, run as an :class:`Oscillate`.
    """

    type: ClassVar[str] = "oscillate"
    frequency_Hz: float = param(doc="oscillation frequency", **FREQUENCY)
    cycles: float = param(doc="number of cycles", lo=0.0, lo_open=True, hi=1e8,
                          why="a positive number of cycles")
    strain_amplitude: float = param(0.0, doc="strain amplitude (strain control)", lo=0.0, hi=0.05,
                                    why="a small strain; 0 when stress_amplitude_MPa is set")
    stress_amplitude_MPa: float = param(0.0, unit="MPa", doc="stress amplitude (stress control)",
                                        lo=0.0, hi=1e4,
                                        why="below sigma1; 0 when strain_amplitude is set")
    samples_per_cycle: float = param(16.0, doc="evenly spaced samples per cycle (below 1: "
                                     "one sample every 1/x cycles)", lo=1e-6, hi=1000.0,
                                     why="at most 1000 samples per cycle")

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        if (self.strain_amplitude > 0) == (self.stress_amplitude_MPa > 0):
            return [f"strain_amplitude = {self.strain_amplitude:g}, stress_amplitude_MPa = "
                    f"{self.stress_amplitude_MPa:g}: set exactly one of them (strain or stress control)"]
        if self.cycles * self.samples_per_cycle > 1e7:
            return [f"cycles x samples_per_cycle = {self.cycles * self.samples_per_cycle:g}: at most "
                    f"1e7 samples per segment"]
        return []

    def oscillation_Hz(self):
        """See `Segment.oscillation_Hz`."""
        return self.frequency_Hz

    def runtime(self) -> Oscillate:
        """See `Segment.runtime`."""
        return Oscillate(frequency_Hz=self.frequency_Hz, cycles=self.cycles,
                         strain_amplitude=self.strain_amplitude,
                         stress_amplitude_MPa=self.stress_amplitude_MPa,
                         samples_per_cycle=self.samples_per_cycle)
