"""Loading programs: protocols compiled to lists of segments.

A time-domain protocol (creep, recovery, relaxation, tension, the seed 002
loading/unloading sequence) is a list of segments from
:mod:`mgmeso.config.protocols`: ``HoldStress``, ``HoldStrain``, ``RampStrain``,
``Unload`` and ``Temperature``. Both the hereditary integrator of the theory
and the kMC engine run these lists, so the two halves are driven by exactly
the same program.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config.protocols import (Creep, CyclicTraining, DmaIsochronal, DmaIsothermal, HoldStrain,
                               HoldStress, OscillateSegment, Program, RampStrain, SteppedRelaxation, StressRelaxation,
                               Temperature, Tension, Unload)

__all__ = ["LoadingProgram", "Oscillate", "StrainStep", "compile_protocol", "compile_dma",
           "compile_stepped", "compile_training", "segment_sample_offsets", "segment_duration"]

#: heating time between two steps of a stepped relaxation (seed 000 quotes 2100 s per step for
#: 1800 s of monitoring; the remaining 300 s change the temperature and let the sample recover)
STEP_CHANGE_S = 300.0
#: frequency and strain amplitude of the DMA scan after training (seed 001 L161: 1 Hz; small strain)
POST_SCAN_HZ, POST_SCAN_STRAIN = 1.0, 1e-4
#: unloading strain rate after each relaxation step (not given in the seeds; fast against 1800 s)
STEP_UNLOAD_RATE_PER_S = 1e-3


@dataclass(frozen=True)
class StrainStep:
    """Add ``strain`` to the total strain at the segment start and hold it (one relaxation of a
    stepped-relaxation run, whose strain is released and re-applied at every step)."""

    strain: float
    duration_s: float
    samples: int
    spacing: str = "log"


@dataclass(frozen=True)
class Oscillate:
    """Sinusoidal strain (or stress) about the state at the segment start, for ``cycles`` cycles,
    optionally while the temperature ramps at ``ramp_K_per_min`` (a DMA scan).

    Exactly one of ``strain_amplitude`` (strain control) and ``stress_amplitude_MPa``
    (stress control) is non-zero. Samples are evenly spaced, ``samples_per_cycle`` per cycle.
    """

    frequency_Hz: float
    cycles: float
    strain_amplitude: float = 0.0
    stress_amplitude_MPa: float = 0.0
    ramp_K_per_min: float = 0.0
    samples_per_cycle: float = 16
    spacing: str = "linear"

    @property
    def duration_s(self) -> float:
        return self.cycles / self.frequency_Hz

    @property
    def samples(self) -> int:
        return max(int(round(self.cycles * self.samples_per_cycle)), 1)


def compile_dma(protocol, cycles_per_frequency: float = 6.0,
                samples_per_cycle: int = 16) -> list[tuple[str, LoadingProgram]]:
    """kMC loading programs of a DMA protocol: one case per frequency (isochronal scan while
    heating) or per temperature (isothermal sweep, ``cycles_per_frequency`` cycles per frequency)."""
    out = []
    if isinstance(protocol, DmaIsochronal):
        span_s = (protocol.T_end_K - protocol.T_start_K) / protocol.heating_rate_K_per_min * 60.0
        for f in protocol.frequency_Hz:
            seg = Oscillate(frequency_Hz=f, cycles=span_s * f, strain_amplitude=protocol.strain_amplitude,
                            ramp_K_per_min=protocol.heating_rate_K_per_min,
                            samples_per_cycle=samples_per_cycle)
            out.append((f"{f:g} Hz", LoadingProgram(protocol.T_start_K, (seg,), 1.0 / (f * samples_per_cycle))))
        return out
    if isinstance(protocol, DmaIsothermal):
        n = int(np.floor(np.log10(protocol.f_max_Hz / protocol.f_min_Hz) * protocol.points_per_decade + 1e-9)) + 1
        freqs = protocol.f_min_Hz * 10.0 ** (np.arange(n) / protocol.points_per_decade)
        temps = np.arange(protocol.T_start_K, protocol.T_end_K + 0.5 * protocol.T_step_K, protocol.T_step_K)
        for T in temps:
            segs = tuple(Oscillate(frequency_Hz=float(f), cycles=cycles_per_frequency,
                                   strain_amplitude=protocol.strain_amplitude,
                                   samples_per_cycle=samples_per_cycle) for f in freqs[::-1])
            out.append((f"{T:g} K", LoadingProgram(float(T), segs, 1.0 / (freqs[-1] * samples_per_cycle))))
        return out
    raise TypeError(f"protocol kind {protocol.kind!r} is not a DMA protocol")


def _stepped_run(p: SteppedRelaxation) -> list:
    temps = np.arange(p.T_start_K, p.T_end_K + 0.5 * p.T_step_K, p.T_step_K)
    n = _samples(p.first_sample_s, p.hold_s, p.points_per_decade)
    segs = []
    for i, T in enumerate(temps):
        if i:
            segs.append(Temperature(to_K=float(T), rate_K_per_min=p.T_step_K / STEP_CHANGE_S * 60.0,
                                    samples=1))
        segs.append(StrainStep(strain=p.strain, duration_s=p.hold_s, samples=n))
        segs.append(Unload(rate_per_s=STEP_UNLOAD_RATE_PER_S, samples=2))
    return segs


def compile_stepped(p: SteppedRelaxation) -> LoadingProgram:
    """kMC program of seed 000's stepped relaxation: at each temperature a strain step held
    ``hold_s``, unloading to zero stress, and ``STEP_CHANGE_S`` of heating to the next step. With
    ``second_run_cooling_K_per_min`` > 0 the sample is then cooled to ``T_start_K`` at that rate
    and the whole series is run again (the "relaxed state" of seed 000)."""
    segs = _stepped_run(p)
    if p.second_run_cooling_K_per_min > 0:
        segs.append(Temperature(to_K=p.T_start_K, rate_K_per_min=p.second_run_cooling_K_per_min,
                                samples=20))
        segs += _stepped_run(p)
    return LoadingProgram(p.T_start_K, tuple(segs), p.first_sample_s)


def compile_training(p: CyclicTraining, samples: int = 400) -> list[tuple[str, LoadingProgram]]:
    """kMC programs of seed 001's beta training, one case per frequency plus an untrained
    reference (same heating and cooling, no load): cyclic strain while heating to ``T_end_K``,
    then cooling to ``T_start_K`` at zero stress, and optionally a 1 Hz DMA scan to
    ``post_scan_T_end_K`` or a creep test (heating to ``post_creep_temperature_K``, a hold at
    zero stress, creep at ``post_creep_stress_MPa``; seed 001 L90). ``samples`` samples over the heating."""
    heat_s = (p.T_end_K - p.T_start_K) / p.heating_rate_K_per_min * 60.0
    # release to zero stress for 1 s, then cool at zero stress
    after = (HoldStress(stress_MPa=0.0, duration_s=1.0, samples=1),
             Temperature(to_K=p.T_start_K, rate_K_per_min=p.cooling_rate_K_per_min, samples=50))
    if p.post_scan_T_end_K > 0:
        scan_s = (p.post_scan_T_end_K - p.T_start_K) / p.heating_rate_K_per_min * 60.0
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


@dataclass(frozen=True)
class LoadingProgram:
    """Initial temperature and the segments to run."""

    temperature_K: float
    segments: tuple
    t_first_s: float = 1e-3


def compile_protocol(protocol, temperature_K: float | None = None) -> LoadingProgram:
    """Segments of a time-domain protocol.

    ``StressRelaxation`` has several temperatures; pass the one wanted.
    """
    if isinstance(protocol, Creep):
        segs = [HoldStress(stress_MPa=protocol.stress_MPa, duration_s=protocol.creep_time_s,
                           samples=_samples(protocol.t_first_s, protocol.creep_time_s,
                                            protocol.points_per_decade))]
        if protocol.recovery_time_s > 0:
            segs.append(HoldStress(stress_MPa=0.0, duration_s=protocol.recovery_time_s,
                                   samples=_samples(protocol.t_first_s, protocol.recovery_time_s,
                                                    protocol.points_per_decade)))
        return LoadingProgram(protocol.temperature_K, tuple(segs), protocol.t_first_s)
    if isinstance(protocol, StressRelaxation):
        T = protocol.temperatures_K[0] if temperature_K is None else temperature_K
        seg = HoldStrain(strain=protocol.strain, duration_s=protocol.duration_s,
                         samples=_samples(protocol.t_first_s, protocol.duration_s,
                                          protocol.points_per_decade))
        return LoadingProgram(T, (seg,), protocol.t_first_s)
    if isinstance(protocol, Tension):
        rate = protocol.strain_rate_per_s
        t_load = protocol.max_strain / rate
        n_load = max(int(protocol.samples * 0.5), 2)
        segs = [RampStrain(rate_per_s=rate, to_strain=protocol.max_strain, samples=n_load)]
        if protocol.unload:
            un = protocol.unload_rate_per_s or rate
            segs.append(Unload(rate_per_s=un, samples=max(int(protocol.samples * 0.2), 2)))
            if protocol.recovery_time_s > 0:
                segs.append(HoldStress(stress_MPa=0.0, duration_s=protocol.recovery_time_s,
                                       samples=max(int(protocol.samples * 0.3), 2)))
        # log-spaced recovery samples start at the loading sample spacing
        return LoadingProgram(protocol.temperature_K, tuple(segs), t_load / n_load)
    if isinstance(protocol, Program):
        segs = tuple(_runtime_segment(s) for s in protocol.segments)
        return LoadingProgram(protocol.temperature_K, segs, protocol.t_first_s)
    raise TypeError(f"protocol kind {protocol.kind!r} is not a time-domain loading program")


def _runtime_segment(seg):
    """The segment both engines run: a config ``oscillate`` table becomes an :class:`Oscillate`."""
    if isinstance(seg, OscillateSegment):
        return Oscillate(frequency_Hz=seg.frequency_Hz, cycles=seg.cycles,
                         strain_amplitude=seg.strain_amplitude,
                         stress_amplitude_MPa=seg.stress_amplitude_MPa,
                         samples_per_cycle=seg.samples_per_cycle)
    return seg


def _samples(t_first: float, duration: float, ppd: int) -> int:
    return max(int(np.ceil(np.log10(duration / t_first) * ppd)) + 1, 2)


def segment_sample_offsets(seg, duration_s: float, t_first_s: float) -> np.ndarray:
    """Sample times of a segment, measured from its start (s), ending at its end."""
    n = seg.samples
    spacing = getattr(seg, "spacing", "linear")
    if spacing == "log" and duration_s > t_first_s and n > 1:
        return np.geomspace(t_first_s, duration_s, n)
    return np.linspace(duration_s / n, duration_s, n)


def segment_duration(seg, strain_now: float, T_now_K: float) -> float | None:
    """Known duration of a segment (s), or None if it ends on an event (unload to zero stress)."""
    if isinstance(seg, (HoldStress, HoldStrain, Oscillate, StrainStep)):
        return seg.duration_s
    if isinstance(seg, RampStrain):
        return abs(seg.to_strain - strain_now) / seg.rate_per_s
    if isinstance(seg, Temperature):
        ramp = 0.0 if seg.rate_K_per_min == 0 else abs(seg.to_K - T_now_K) / seg.rate_K_per_min * 60.0
        return ramp + seg.hold_s
    if isinstance(seg, Unload):
        return None
    raise TypeError(f"unknown segment {seg!r}")
