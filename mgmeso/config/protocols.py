"""What is done to the sample: the ``[protocol]`` table.

``kind`` selects one frozen dataclass. Every protocol can be evaluated by the
analytical model (``mgmeso theory``); the time-domain ones also compile to a
list of loading segments (:mod:`mgmeso.program`) that the kMC engine and the
hereditary integrator of the theory both run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..segments.ranges import FREQUENCY, TEMPERATURE, TIME
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

__all__ = [
    "DmaIsochronal", "DmaIsothermal", "Creep", "StressRelaxation", "Tension",
    "SteppedRelaxation", "CyclicTraining", "Program", "PROTOCOLS",
    "HoldStress", "HoldStrain", "RampStrain", "Unload", "Temperature", "OscillateSegment", "SEGMENTS",
]

_POS: dict[str, Any] = dict(lo=0.0, lo_open=True)
_T, _TIME = TEMPERATURE, TIME
_TFIRST: dict[str, Any] = dict(unit="s", lo=1e-9, hi=1e12, why="a first sample time between 1 ns and 1e12 s")
_FREQ = FREQUENCY
_PPD: dict[str, Any] = dict(lo=1, hi=200, why="between 1 and 200 sample times per decade of time")


def _ordered(lo_name: str, lo: float, hi_name: str, hi: float) -> list[str]:
    if hi <= lo:
        return [f"{hi_name} = {hi:g} must exceed {lo_name} = {lo:g}"]
    return []


def _grid(start_name, start, end_name, end, step_name, step, max_points=100_000) -> list[str]:
    msgs = _ordered(start_name, start, end_name, end)
    if not msgs and (end - start) / step > max_points:
        msgs.append(f"{step_name} = {step:g} gives more than {max_points} temperatures between "
                    f"{start_name} and {end_name}; use a larger step")
    return msgs


class _Protocol:
    """What every protocol does besides holding its keys: the loading programs it compiles to
    (:mod:`mgmeso.program`), one per kMC case.
    """

    #: the protocol's ``kind`` key (set by each protocol class)
    kind: ClassVar[str]
    #: the kMC engine runs this protocol (a theory-only protocol sets False)
    runs_in_kmc = True
    #: each case is one loading program whose theory table and kMC series are time series
    #: labelled by segment (what the sweep summarises per segment end)
    time_series = False
    #: a strain hold from the first segment whose stress relaxes (a KWW fit applies)
    relaxes_stress = False
    #: a temperature scan at fixed frequencies (loss-peak temperatures apply)
    isochronal_scan = False

    def stepped_relaxation(self) -> SteppedRelaxation | None:
        """Return the stepped relaxation this protocol runs, if any.

        Its temperature ladder, hold and sampling set the defaults of the maps of
        :mod:`mgmeso.percolation` and the per-step summaries of a sweep.

        Returns
        -------
        SteppedRelaxation or None
            None by default (the protocol runs no relaxation steps).
        """
        return None

    def loading_program(self, temperature_K: float | None = None):
        """Return the single loading program of a time-domain protocol.

        Parameters
        ----------
        temperature_K : float, optional
            The temperature, for a protocol run at several.

        Returns
        -------
        LoadingProgram
            The program both engines run.

        Raises
        ------
        TypeError
            For a protocol that is not a time-domain loading program (a DMA scan).
        """
        raise TypeError(f"protocol kind {self.kind!r} is not a time-domain loading program")

    def kmc_cases(self) -> list:
        """``(label, LoadingProgram)`` of every kMC case (by default one: the protocol's program)."""
        return [(self.kind, self.loading_program())]

    def held_stresses(self) -> list[tuple[str, float]]:
        """Return the stresses the protocol holds, each with the key that sets it.

        The loader checks them against the material's sigma1 (none by default: a protocol
        under strain control or with oscillations only holds no stress of its own).

        Returns
        -------
        list of (str, float)
            ``(where, stress_MPa)`` pairs, ``where`` naming the key for an error message.
        """
        return []


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
        """Compile the protocol into the loading program both engines run.

        Parameters
        ----------
        temperature_K : float, optional
            Unused: the protocol has a single temperature history.

        Returns
        -------
        LoadingProgram
            Its segments, start temperature and first sample time.
        """
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
        """Compile the protocol into the loading program both engines run.

        Parameters
        ----------
        temperature_K : float, optional
            Unused: the protocol has a single temperature history.

        Returns
        -------
        LoadingProgram
            Its segments, start temperature and first sample time.
        """
        from ..program import tension_program
        return tension_program(self)


@dataclass(frozen=True, kw_only=True)
class SteppedRelaxation(_Protocol):
    """Step-wise isothermal stress relaxation from RT towards the alpha peak ([Duan2022])."""

    kind: ClassVar[str] = "stepped_relaxation"
    T_start_K: float = param(300.0, doc="first step temperature", **_T)
    T_end_K: float = param(480.0, doc="last step temperature", **_T)
    T_step_K: float = param(3.0, unit="K", doc="temperature increment between steps",
                            why="a spacing must be positive", source="[Duan2022], protocol with Fig. 2",
                            **_POS)
    hold_s: float = param(1800.0, doc="relaxation time per step", source="[Duan2022], protocol with Fig. 2",
                          **_TIME)
    strain: float = param(0.005, doc="strain applied at each step", lo=0.0, hi=0.05, lo_open=True,
                          why="[Duan2022] uses a small, equal strain of 0.3-0.6 %",
                          source="[Duan2022], protocol with Fig. 2")
    first_sample_s: float = param(0.5, doc="time of the first recorded stress (sigma_0)",
                                  source="[Hao2023] Sec. I: DMA records from 0.5 s after loading",
                                  **_TFIRST)
    points_per_decade: int = param(10, doc="log-spaced samples per decade within a step", **_PPD)
    second_run_cooling_K_per_min: float = param(
        0.0, unit="K/min", doc="kMC only: after the last step, cool to T_start_K at this rate and "
        "run the steps again (the relaxed state; 0: one run)", lo=0.0, hi=1e3,
        why="0 (one run) or a positive cooling rate", source="[Duan2022] Fig. 3 (second cycle): 0.1 K/min")

    def stepped_relaxation(self):
        """See `_Protocol.stepped_relaxation`."""
        return self

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = _grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K,
                     max_points=100_000)
        if self.first_sample_s >= self.hold_s:
            msgs.append(f"first_sample_s = {self.first_sample_s:g} must be below hold_s = {self.hold_s:g}")
        return msgs

    def kmc_cases(self):
        """Compile the whole temperature ladder into one kMC case.

        Returns
        -------
        list of (str, LoadingProgram)
            One item: the protocol's kind and its program.
        """
        from ..program import compile_stepped
        return [(self.kind, compile_stepped(self))]


@dataclass(frozen=True, kw_only=True)
class CyclicTraining(_Protocol):
    """Cyclic 'beta training' while heating, and its input energy ([Zhang2023] Fig. 1-2)."""

    kind: ClassVar[str] = "cyclic_training"
    frequency_Hz: tuple[float, ...] = param((10.0,), doc="training frequency or list of frequencies",
                                            source="[Zhang2023] Sec. 2.2: 0.01, 0.1, 1, 10 Hz", **_FREQ)
    strain_amplitude: float = param(0.002, doc="cyclic strain amplitude", lo=0.0, hi=0.05,
                                    lo_open=True, why="a small cyclic strain",
                                    source="[Zhang2023] Sec. 2.2: 0.2 %")
    T_start_K: float = param(298.0, doc="start of heating (room temperature, assumed)", **_T)
    T_end_K: float = param(383.0, doc="end of heating", source="[Zhang2023] Sec. 2.2, Fig. 2", **_T)
    heating_rate_K_per_min: float = param(3.0, unit="K/min", doc="heating rate",
                                          why="a rate must be positive",
                                          source="[Zhang2023] Sec. 2.2, Fig. 2", **_POS)
    cooling_rate_K_per_min: float = param(3.0, unit="K/min", doc="cooling rate back to T_start "
                                          "(not given in [Zhang2023]; kMC only)",
                                          why="a rate must be positive", **_POS)
    terminal_temperatures_K: tuple[float, ...] = param(
        (323.0, 343.0, 363.0, 383.0), doc="temperatures at which the accumulated input energy is "
        "reported", source="[Zhang2023] Fig. 1", **_T)
    T_step_K: float = param(0.25, unit="K", doc="temperature spacing of the output",
                            why="a spacing must be positive", **_POS)
    post_scan_T_end_K: float = param(
        0.0, unit="K", doc="kMC only: after cooling, a 1 Hz DMA scan at heating_rate_K_per_min "
        "up to this temperature (0: none; [Zhang2023] Fig. 4a: post-training scan)", lo=0.0, hi=5000.0,
        why="0 (no scan) or an absolute temperature above T_start_K")
    post_creep_stress_MPa: float = param(
        0.0, unit="MPa", doc="kMC only: after cooling, heat to post_creep_temperature_K, hold "
        "post_creep_hold_s at zero stress and creep at this stress (0: no creep test)",
        lo=0.0, hi=1e4, why="0 (no creep test) or a creep stress below sigma1",
        source="[Zhang2023] Sec. 2.2, Fig. 6: 25 MPa at 403 K after a 10-min hold")
    post_creep_temperature_K: float = param(403.0, doc="temperature of the post-training creep test",
                                            source="[Zhang2023] Fig. 6", **_T)
    post_creep_hold_s: float = param(600.0, unit="s", doc="hold at zero stress before the creep "
                                     "test", lo=0.0, hi=1e7, why="a duration between 0 and 1e7 s",
                                     source="[Zhang2023] Sec. 2.2: 10 min")
    post_creep_time_s: float = param(1200.0, unit="s", doc="duration of the post-training creep "
                                     "test (not stated in [Zhang2023]; read from Fig. 6a, assumed)",
                                     lo=0.0, lo_open=True, hi=1e7,
                                     why="a positive duration up to 1e7 s")

    def check(self):
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = _grid("T_start_K", self.T_start_K, "T_end_K", self.T_end_K, "T_step_K", self.T_step_K)
        if 0.0 < self.post_scan_T_end_K <= self.T_start_K:
            msgs.append(f"post_scan_T_end_K = {self.post_scan_T_end_K:g} must be above T_start_K = "
                        f"{self.T_start_K:g} (or 0 for no scan)")
        if self.post_scan_T_end_K > 0 and self.post_creep_stress_MPa > 0:
            msgs.append(f"post_scan_T_end_K = {self.post_scan_T_end_K:g} and post_creep_stress_MPa = "
                        f"{self.post_creep_stress_MPa:g}: choose one post-training test (the scan "
                        f"would anneal the sample before the creep test; [Zhang2023] uses separate "
                        f"ribbons)")
        for i, T in enumerate(self.terminal_temperatures_K):
            if not (self.T_start_K < T <= self.T_end_K):
                msgs.append(f"terminal_temperatures_K[{i}] = {T:g} must lie in (T_start_K, T_end_K] "
                            f"= ({self.T_start_K:g}, {self.T_end_K:g}]")
        return msgs


    def kmc_cases(self):
        """One case per training frequency and an untrained reference.

        Returns
        -------
        list of (str, LoadingProgram)
            Label and program of each case.
        """
        from ..program import compile_training
        return compile_training(self)


# ---- a free program of segments (the segments: mgmeso.segments, one class per file) ---------

@dataclass(frozen=True, kw_only=True)
class Program(_Protocol):
    """A free sequence of loading segments, e.g. [Hao2023]'s loading/unloading at 315 K."""

    kind: ClassVar[str] = "program"
    time_series = True
    temperature_K: float = param(doc="initial temperature", **_T)
    t_first_s: float = param(1e-3, doc="first log-spaced sample after the start of a segment",
                             **_TFIRST)
    segments: tuple = ()  # parsed by the loader from [[protocol.segments]]

    def held_stresses(self):
        """See `_Protocol.held_stresses`."""
        out = []
        for i, seg in enumerate(self.segments):
            held = seg.held_stress_MPa()
            if held is not None:
                out.append((f"[[protocol.segments]] #{i + 1} stress_MPa", held))
        return out

    def loading_program(self, temperature_K=None):
        """Compile the protocol into the loading program both engines run.

        Parameters
        ----------
        temperature_K : float, optional
            Unused: the protocol has a single temperature history.

        Returns
        -------
        LoadingProgram
            Its segments, start temperature and first sample time.
        """
        from ..program import free_program
        return free_program(self)


PROTOCOLS = {c.kind: c for c in (DmaIsochronal, DmaIsothermal, Creep, StressRelaxation, Tension,
                                 SteppedRelaxation, CyclicTraining, Program)}
