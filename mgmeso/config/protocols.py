"""What is done to the sample: the ``[protocol]`` table.

``kind`` selects one frozen dataclass. Every protocol can be evaluated by the
analytical model (``mgmeso theory``); the time-domain ones also compile to a
list of loading segments (:mod:`mgmeso.program`) that the kMC engine and the
hereditary integrator of the theory both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ..segments.registry import (
    SEGMENTS,
    HoldStrain,
    HoldStress,
    OscillateSegment,
    RampStrain,
    Temperature,
    Unload,
)
from .fields import param
from .protocol_base import _FREQ, _POS, _PPD, _T, _TFIRST, _TIME, _grid, _ordered, _Protocol
from .protocols_ladder import CyclicTraining, SteppedRelaxation

__all__ = [
    "DmaIsochronal", "DmaIsothermal", "Creep", "StressRelaxation", "Tension",
    "SteppedRelaxation", "CyclicTraining", "Program", "PROTOCOLS",
    "HoldStress", "HoldStrain", "RampStrain", "Unload", "Temperature", "OscillateSegment", "SEGMENTS",
]


@dataclass(frozen=True, kw_only=True)
class DmaIsochronal(_Protocol):
    """Isochronal DMA: sinusoidal loading at fixed frequencies while heating ([Hao2022] Fig. 5)."""

    kind: ClassVar[str] = "dma_isochronal"
    isochronal_scan = True
    frequency_Hz: tuple[float, ...] = param((1.0,), doc="driving frequency or list of frequencies",
                                            **_FREQ)
    T_start_K: float = param(300.0, doc="first temperature of the scan", **_T)
    T_end_K: float = param(550.0, doc="last temperature of the scan", **_T)
    T_step_K: float = param(0.25, unit="K", doc="temperature spacing of the output",
                            why="a spacing must be positive", **_POS)
    heating_rate_K_per_min: float = param(
        3.0, unit="K/min", doc="heating rate (sets cycles per kelvin; the analytical model has "
        "no aging, so its scan does not depend on it)", why="a rate must be positive",
        source="[Hao2022] Sec. 2.2", **_POS)
    strain_amplitude: float = param(1e-4, doc="strain amplitude of the oscillation",
                                    lo=0.0, hi=0.05, lo_open=True,
                                    why="DMA is a small-amplitude (linear-response) test")

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        return _grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K)

    def kmc_cases(self, samples_per_cycle: int = 16):
        """One case per frequency (a strain oscillation while heating).

        Parameters
        ----------
        samples_per_cycle : int
            Samples per oscillation cycle.

        Returns
        -------
        list of (str, LoadingProgram)
            Label and program of each case.
        """
        from ..program import dma_isochronal_cases
        return dma_isochronal_cases(self, samples_per_cycle)


@dataclass(frozen=True, kw_only=True)
class DmaIsothermal(_Protocol):
    """Isothermal frequency sweeps at a ladder of temperatures ([Hao2022] Sec. 2.2, Figs. 4, 7)."""

    kind: ClassVar[str] = "dma_isothermal"
    T_start_K: float = param(322.0, doc="first isotherm", **_T)
    T_end_K: float = param(492.0, doc="last isotherm", **_T)
    T_step_K: float = param(10.0, unit="K", doc="spacing of the isotherms",
                            why="a spacing must be positive", **_POS)
    f_min_Hz: float = param(0.01, doc="lowest frequency of each sweep", **_FREQ)
    f_max_Hz: float = param(2.0, doc="highest frequency of each sweep", **_FREQ)
    points_per_decade: int = param(10, doc="frequencies per decade", **_PPD)
    reference_T_K: float | None = param(None, doc="reference temperature of the master curve "
                                        "(default: Tg of the material)", **_T)
    strain_amplitude: float = param(1e-4, doc="strain amplitude", lo=0.0, hi=0.05, lo_open=True,
                                    why="DMA is a small-amplitude (linear-response) test")

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        return (_grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K,
                      max_points=10_000)
                + _ordered("f_min_Hz", self.f_min_Hz, "f_max_Hz", self.f_max_Hz))

    def kmc_cases(self, cycles_per_frequency: float = 6.0, samples_per_cycle: int = 16):
        """One case per temperature (``cycles_per_frequency`` cycles at each frequency).

        Parameters
        ----------
        cycles_per_frequency : float
            Oscillation cycles at each frequency.
        samples_per_cycle : int
            Samples per oscillation cycle.

        Returns
        -------
        list of (str, LoadingProgram)
            Label and program of each case.
        """
        from ..program import dma_isothermal_cases
        return dma_isothermal_cases(self, cycles_per_frequency, samples_per_cycle)


@dataclass(frozen=True, kw_only=True)
class Creep(_Protocol):
    """Creep at constant stress, optionally followed by recovery at zero stress ([Hao2022] Fig. 11)."""

    kind: ClassVar[str] = "creep"
    time_series = True
    temperature_K: float = param(doc="test temperature", **_T)
    stress_MPa: float = param(doc="applied (tensile) stress", unit="MPa", lo=0.0, lo_open=True,
                              why="creep needs a positive applied stress below sigma1")
    creep_time_s: float = param(330.0, doc="time under load", source="[Hao2022] Sec. 5.2.2, Fig. 11", **_TIME)
    recovery_time_s: float = param(0.0, unit="s", doc="time at zero stress after unloading "
                                   "(0: creep only)", lo=0.0, hi=1e12,
                                   why="a duration between 0 and 1e12 s")
    t_first_s: float = param(1e-3, doc="first sample time after each load change", **_TFIRST)
    points_per_decade: int = param(25, doc="log-spaced samples per decade", **_PPD)

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        if self.t_first_s >= self.creep_time_s:
            return [f"t_first_s = {self.t_first_s:g} must be below creep_time_s = {self.creep_time_s:g}"]
        return []

    def held_stresses(self):
        """See `_Protocol.held_stresses`."""
        return [("[protocol] stress_MPa", self.stress_MPa)]

    def loading_program(self, temperature_K=None):
        """See `_Protocol.loading_program`."""
        from ..program import creep_program
        return creep_program(self)


@dataclass(frozen=True, kw_only=True)
class StressRelaxation(_Protocol):
    """Stress relaxation after a strain step, at one or several temperatures.

    ([Hao2023] Fig. 1, [Hao2022] Fig. 9.)
    """

    kind: ClassVar[str] = "stress_relaxation"
    time_series = True
    relaxes_stress = True
    temperatures_K: tuple[float, ...] = param((315.0, 340.0, 360.0, 380.0, 410.0, 440.0),
                                              doc="test temperatures (one independent test each)",
                                              **_T)
    strain: float = param(0.006, doc="applied strain step", lo=0.0, hi=0.05, lo_open=True,
                          why="a tensile strain step below the ~2% elastic limit of metallic glasses",
                          source="[Hao2023] Sec. II, Fig. 1: 0.6 %")
    duration_s: float = param(1e4, doc="relaxation time", **_TIME)
    t_first_s: float = param(1e-3, doc="first sample time", **_TFIRST)
    points_per_decade: int = param(25, doc="log-spaced samples per decade", **_PPD)

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        if self.t_first_s >= self.duration_s:
            return [f"t_first_s = {self.t_first_s:g} must be below duration_s = {self.duration_s:g}"]
        return []

    def loading_program(self, temperature_K=None):
        """Return the relaxation at ``temperature_K`` (default: the first of ``temperatures_K``).

        Parameters
        ----------
        temperature_K : float, optional
            Temperature of the relaxation (K).

        Returns
        -------
        LoadingProgram
            A strain step held for ``duration_s``.
        """
        from ..program import relaxation_program
        return relaxation_program(self, self.temperatures_K[0] if temperature_K is None
                                  else temperature_K)

    def kmc_cases(self):
        """One independent relaxation per temperature.

        Returns
        -------
        list of (str, LoadingProgram)
            ``"<T> K"`` and the program of each temperature.
        """
        return [(f"{T:g} K", self.loading_program(T)) for T in self.temperatures_K]


@dataclass(frozen=True, kw_only=True)
class Tension(_Protocol):
    """Constant-strain-rate tension, unloading and recovery ([Hao2022] Fig. 10)."""

    kind: ClassVar[str] = "tension"
    time_series = True
    nonlinear_theory = True
    temperature_K: float = param(430.0, doc="test temperature", source="[Hao2022] Sec. 2.3", **_T)
    strain_rate_per_s: float = param(3e-4, unit="1/s", doc="loading strain rate",
                                     lo=0.0, lo_open=True, hi=10.0,
                                     why="a positive, quasi-static strain rate",
                                     source="[Hao2022] Sec. 2.3")
    max_strain: float = param(0.03, doc="total strain at which unloading starts",
                              lo=0.0, hi=0.5, lo_open=True,
                              why="a positive strain (homogeneous flow only, [Hao2022] Sec. 6)")
    unload: bool = param(True, doc="unload to zero stress after max_strain")
    unload_rate_per_s: float | None = param(None, unit="1/s", doc="unloading strain rate "
                                            "(default: the loading rate)", lo=0.0, lo_open=True,
                                            hi=10.0, why="a positive strain rate")
    recovery_time_s: float = param(1000.0, unit="s", doc="time at zero stress after unloading",
                                   lo=0.0, hi=1e12, why="a duration between 0 and 1e12 s")
    samples: int = param(600, doc="number of output samples", lo=10, hi=100_000,
                         why="between 10 and 100 000 samples")

    def loading_program(self, temperature_K=None):
        """See `_Protocol.loading_program`."""
        from ..program import tension_program
        return tension_program(self)


# ---- a free program of segments (the segments: mgmeso.segments, one class per file) ---------

@dataclass(frozen=True, kw_only=True)
class Program(_Protocol):
    """A free sequence of loading segments, e.g. [Hao2023]'s loading/unloading at 315 K."""

    kind: ClassVar[str] = "program"
    time_series = True
    nonlinear_theory = True
    temperature_K: float = param(doc="initial temperature", **_T)
    t_first_s: float = param(1e-3, doc="first log-spaced sample after the start of a segment",
                             **_TFIRST)
    segments: tuple = ()  # parsed by the loader from [[protocol.segments]]

    def toml_segments(self):
        """See `_Protocol.toml_segments`."""
        return self.segments

    def held_stresses(self):
        """See `_Protocol.held_stresses`."""
        out = []
        for i, seg in enumerate(self.segments):
            held = seg.held_stress_MPa()
            if held is not None:
                out.append((f"[[protocol.segments]] #{i + 1} stress_MPa", held))
        return out

    def loading_program(self, temperature_K=None):
        """See `_Protocol.loading_program`."""
        from ..program import free_program
        return free_program(self)


PROTOCOLS = {c.kind: c for c in (DmaIsochronal, DmaIsothermal, Creep, StressRelaxation, Tension,
                                 SteppedRelaxation, CyclicTraining, Program)}
