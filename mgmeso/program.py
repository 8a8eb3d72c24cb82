"""Loading programs: protocols compiled to lists of segments.

A time-domain protocol (creep, recovery, relaxation, tension, the [Hao2023]
loading/unloading sequence) or a kMC case of a DMA scan, a stepped relaxation or a cyclic
training is a :class:`LoadingProgram`: an initial temperature and a tuple of segments
(:mod:`mgmeso.segments`). Both the hereditary integrator of the theory and the kMC engine
run these programs through the segments' own methods, so the two halves are driven by
exactly the same program.

Each protocol compiles itself (``protocol.kmc_cases()``, ``protocol.loading_program()``,
:mod:`mgmeso.config.protocols`) with the functions of this module.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .constants import SECONDS_PER_MINUTE
from .grids import log_sample_count, temperature_grid
from .segments import (
    HoldStrain,
    HoldStress,
    Oscillate,
    RampStrain,
    Segment,
    StrainStep,
    Temperature,
    Unload,
)

__all__ = ["LoadingProgram", "Oscillate", "StrainStep", "compile_protocol", "compile_dma",
           "compile_stepped", "compile_training", "segment_sample_offsets", "segment_duration",
           "program_span_s"]

#: heating time between two steps of a stepped relaxation ([Duan2022] quotes 2100 s per step for
#: 1800 s of monitoring; the remaining 300 s change the temperature and let the sample recover)
STEP_CHANGE_S = 300.0
#: frequency and strain amplitude of the DMA scan after training
#: ([Zhang2023] Sec. 3, Fig. 4a: 1 Hz; small strain)
POST_SCAN_HZ, POST_SCAN_STRAIN = 1.0, 1e-4
#: unloading strain rate after each relaxation step (not given in the papers; fast against 1800 s)
STEP_UNLOAD_RATE_PER_S = 1e-3


@dataclass(frozen=True)
class LoadingProgram:
    """Initial temperature and the segments to run."""

    temperature_K: float
    segments: tuple
    t_first_s: float = 1e-3


def _minutes(span_K: float, rate_K_per_min: float) -> float:
    """Seconds to cover ``span_K`` at ``rate_K_per_min``."""
    return span_K / rate_K_per_min * SECONDS_PER_MINUTE


# ---- time-domain protocols: one program each ----------------------------------------------

def creep_program(p) -> LoadingProgram:
    """Creep at ``stress_MPa``, then optionally recovery at zero stress.

    Parameters
    ----------
    p : Creep
        The protocol.

    Returns
    -------
    LoadingProgram
        One or two stress holds.
    """
    segs = [HoldStress(stress_MPa=p.stress_MPa, duration_s=p.creep_time_s,
                       samples=_samples(p.t_first_s, p.creep_time_s, p.points_per_decade))]
    if p.recovery_time_s > 0:
        segs.append(HoldStress(stress_MPa=0.0, duration_s=p.recovery_time_s,
                               samples=_samples(p.t_first_s, p.recovery_time_s,
                                                p.points_per_decade)))
    return LoadingProgram(p.temperature_K, tuple(segs), p.t_first_s)


def relaxation_program(p, temperature_K: float) -> LoadingProgram:
    """Compile a held strain step at one of the protocol's temperatures.

    Parameters
    ----------
    p : StressRelaxation
        The protocol.
    temperature_K : float
        Temperature of the relaxation (K).

    Returns
    -------
    LoadingProgram
        One strain hold.
    """
    seg = HoldStrain(strain=p.strain, duration_s=p.duration_s,
                     samples=_samples(p.t_first_s, p.duration_s, p.points_per_decade))
    return LoadingProgram(temperature_K, (seg,), p.t_first_s)


def tension_program(p) -> LoadingProgram:
    """Constant-rate loading to ``max_strain``, optional unloading and recovery.

    Parameters
    ----------
    p : Tension
        The protocol.

    Returns
    -------
    LoadingProgram
        A strain ramp, then optionally an unloading and a zero-stress hold.
    """
    rate = p.strain_rate_per_s
    t_load = p.max_strain / rate
    n_load = max(int(p.samples * 0.5), 2)
    segs: list[Segment] = [RampStrain(rate_per_s=rate, to_strain=p.max_strain, samples=n_load)]
    if p.unload:
        un = p.unload_rate_per_s or rate
        segs.append(Unload(rate_per_s=un, samples=max(int(p.samples * 0.2), 2)))
        if p.recovery_time_s > 0:
            segs.append(HoldStress(stress_MPa=0.0, duration_s=p.recovery_time_s,
                                   samples=max(int(p.samples * 0.3), 2)))
    # log-spaced recovery samples start at the loading sample spacing
    return LoadingProgram(p.temperature_K, tuple(segs), t_load / n_load)


def free_program(p) -> LoadingProgram:
    """Return the segments of a ``program`` protocol, as both engines run them.

    Parameters
    ----------
    p : Program
        The protocol.

    Returns
    -------
    LoadingProgram
        The runtime form of each segment table.
    """
    return LoadingProgram(p.temperature_K, tuple(s.runtime() for s in p.segments), p.t_first_s)


def compile_protocol(protocol, temperature_K: float | None = None) -> LoadingProgram:
    """Compile the segments of a time-domain protocol.

    Parameters
    ----------
    protocol : protocol dataclass
        A time-domain protocol.
    temperature_K : float, optional
        For ``StressRelaxation``: the temperature (default: its first).

    Returns
    -------
    LoadingProgram
        The protocol's program.
    """
    return protocol.loading_program(temperature_K)


# ---- DMA, stepped relaxation, cyclic training: kMC cases ---------------------------------

def dma_isochronal_cases(p, samples_per_cycle: int = 16) -> list[tuple[str, LoadingProgram]]:
    """One case per frequency: a strain oscillation while heating through the scan.

    Parameters
    ----------
    p : DmaIsochronal
        The protocol.
    samples_per_cycle : int
        Samples per oscillation cycle.

    Returns
    -------
    list of (str, LoadingProgram)
        Label and program of each kMC case.
    """
    span_s = _minutes(p.T_end_K - p.T_start_K, p.heating_rate_K_per_min)
    out = []
    for f in p.frequency_Hz:
        seg = Oscillate(frequency_Hz=f, cycles=span_s * f, strain_amplitude=p.strain_amplitude,
                        ramp_K_per_min=p.heating_rate_K_per_min, samples_per_cycle=samples_per_cycle)
        out.append((f"{f:g} Hz", LoadingProgram(p.T_start_K, (seg,), 1.0 / (f * samples_per_cycle))))
    return out


def dma_isothermal_cases(p, cycles_per_frequency: float = 6.0,
                         samples_per_cycle: int = 16) -> list[tuple[str, LoadingProgram]]:
    """One case per temperature: ``cycles_per_frequency`` cycles at each frequency, highest first.

    Parameters
    ----------
    p : DmaIsothermal
        The protocol.
    cycles_per_frequency : float
        Oscillation cycles at each frequency.
    samples_per_cycle : int
        Samples per oscillation cycle.

    Returns
    -------
    list of (str, LoadingProgram)
        Label and program of each kMC case.
    """
    n = int(np.floor(np.log10(p.f_max_Hz / p.f_min_Hz) * p.points_per_decade + 1e-9)) + 1
    freqs = p.f_min_Hz * 10.0 ** (np.arange(n) / p.points_per_decade)
    out = []
    for T in temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K):
        segs = tuple(Oscillate(frequency_Hz=float(f), cycles=cycles_per_frequency,
                               strain_amplitude=p.strain_amplitude,
                               samples_per_cycle=samples_per_cycle) for f in freqs[::-1])
        out.append((f"{T:g} K", LoadingProgram(float(T), segs, 1.0 / (freqs[-1] * samples_per_cycle))))
    return out


def compile_dma(protocol, **kw) -> list[tuple[str, LoadingProgram]]:
    """kMC loading programs of a DMA protocol: one case per frequency (isochronal scan while
    heating) or per temperature (isothermal sweep).

    Parameters
    ----------
    protocol : DmaIsochronal or DmaIsothermal
        The protocol.
    **kw
        Passed to its ``kmc_cases``.

    Returns
    -------
    list of (str, LoadingProgram)
        Label and program of each kMC case.
    """
    return protocol.kmc_cases(**kw)


def _stepped_run(p) -> list:
    n = _samples(p.first_sample_s, p.hold_s, p.points_per_decade)
    segs: list[Segment] = []
    for i, T in enumerate(temperature_grid(p.T_start_K, p.T_end_K, p.T_step_K)):
        if i:
            segs.append(Temperature(to_K=float(T), samples=1,
                                    rate_K_per_min=p.T_step_K / STEP_CHANGE_S * SECONDS_PER_MINUTE))
        segs.append(StrainStep(strain=p.strain, duration_s=p.hold_s, samples=n))
        segs.append(Unload(rate_per_s=STEP_UNLOAD_RATE_PER_S, samples=2))
    return segs


def compile_stepped(p) -> LoadingProgram:
    """kMC program of [Duan2022]'s stepped relaxation: at each temperature a strain step held
    ``hold_s``, unloading to zero stress, and ``STEP_CHANGE_S`` of heating to the next step. With
    ``second_run_cooling_K_per_min`` > 0 the sample is then cooled to ``T_start_K`` at that rate
    and the whole series is run again (the "relaxed state" of [Duan2022]).

    Parameters
    ----------
    p : SteppedRelaxation
        The protocol.

    Returns
    -------
    LoadingProgram
        The whole temperature ladder as one program.
    """
    segs = _stepped_run(p)
    if p.second_run_cooling_K_per_min > 0:
        segs.append(Temperature(to_K=p.T_start_K, rate_K_per_min=p.second_run_cooling_K_per_min,
                                samples=20))
        segs += _stepped_run(p)
    return LoadingProgram(p.T_start_K, tuple(segs), p.first_sample_s)


def compile_training(p, samples: int = 400) -> list[tuple[str, LoadingProgram]]:
    """kMC programs of [Zhang2023]'s beta training, one case per frequency plus an untrained
    reference (same heating and cooling, no load): cyclic strain while heating to ``T_end_K``,
    then cooling to ``T_start_K`` at zero stress, and optionally a 1 Hz DMA scan to
    ``post_scan_T_end_K`` or a creep test (heating to ``post_creep_temperature_K``, a hold at
    zero stress, creep at ``post_creep_stress_MPa``; [Zhang2023] Sec. 2.2). ``samples`` samples
    over the heating.

    Parameters
    ----------
    p : CyclicTraining
        The protocol.
    samples : int
        Samples over the heating.

    Returns
    -------
    list of (str, LoadingProgram)
        Label and program of each kMC case.
    """
    heat_s = _minutes(p.T_end_K - p.T_start_K, p.heating_rate_K_per_min)
    # release to zero stress for 1 s, then cool at zero stress
    after: tuple[Segment, ...] = (HoldStress(stress_MPa=0.0, duration_s=1.0, samples=1),
             Temperature(to_K=p.T_start_K, rate_K_per_min=p.cooling_rate_K_per_min, samples=50))
    if p.post_scan_T_end_K > 0:
        scan_s = _minutes(p.post_scan_T_end_K - p.T_start_K, p.heating_rate_K_per_min)
        after += (Oscillate(frequency_Hz=POST_SCAN_HZ, cycles=scan_s * POST_SCAN_HZ,
                            strain_amplitude=POST_SCAN_STRAIN, ramp_K_per_min=p.heating_rate_K_per_min),)
    if p.post_creep_stress_MPa > 0:
        after += (Temperature(to_K=p.post_creep_temperature_K, rate_K_per_min=p.heating_rate_K_per_min,
                              hold_s=p.post_creep_hold_s, samples=20),
                  HoldStress(stress_MPa=p.post_creep_stress_MPa, duration_s=p.post_creep_time_s,
                             samples=60))
    out = [("untrained", LoadingProgram(p.T_start_K, (
        Temperature(to_K=p.T_end_K, rate_K_per_min=p.heating_rate_K_per_min, samples=samples),)
        + after, heat_s / samples))]
    for f in p.frequency_Hz:
        cycles = heat_s * f
        seg = Oscillate(frequency_Hz=f, cycles=cycles, strain_amplitude=p.strain_amplitude,
                        ramp_K_per_min=p.heating_rate_K_per_min, samples_per_cycle=samples / cycles)
        out.append((f"{f:g} Hz", LoadingProgram(p.T_start_K, (seg,) + after, heat_s / samples)))
    return out


# ---- helpers --------------------------------------------------------------------------------

def _samples(t_first: float, duration: float, ppd: int) -> int:
    return max(log_sample_count(t_first, duration, ppd), 2)


def segment_sample_offsets(seg, duration_s: float, t_first_s: float) -> np.ndarray:
    """Sample times of a segment, measured from its start (s), ending at its end.

    Parameters
    ----------
    seg : Segment
        The segment.
    duration_s : float
        Its duration (s).
    t_first_s : float
        First log-spaced sample time (s).

    Returns
    -------
    numpy.ndarray
        float64 (n,): the offsets (s).
    """
    return seg.sample_offsets(duration_s, t_first_s)


def segment_duration(seg, strain_now: float, T_now_K: float) -> float | None:
    """Known duration of a segment (s), or None if it ends on an event (unload to zero stress).

    Parameters
    ----------
    seg : Segment
        The segment.
    strain_now : float
        Total strain at its start.
    T_now_K : float
        Temperature at its start (K).

    Returns
    -------
    float or None
        The duration (s).
    """
    return seg.duration(strain_now, T_now_K)


def program_span_s(prog: LoadingProgram) -> float:
    """Nominal duration of a program (segments that end on an event counted as zero).

    Parameters
    ----------
    prog : LoadingProgram
        The program.

    Returns
    -------
    float
        Sum of the segments' durations (s).
    """
    total, strain, T = 0.0, 0.0, prog.temperature_K
    for seg in prog.segments:
        total += seg.duration(strain, T) or 0.0
        strain = seg.end_strain(strain)
        T = seg.end_temperature_K(T)
    return total
