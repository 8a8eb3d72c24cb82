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

from .config.protocols import (Creep, HoldStrain, HoldStress, Program, RampStrain, StressRelaxation,
                               Temperature, Tension, Unload)

__all__ = ["LoadingProgram", "compile_protocol", "segment_sample_offsets", "segment_duration"]


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
        return LoadingProgram(protocol.temperature_K, protocol.segments, protocol.t_first_s)
    raise TypeError(f"protocol kind {protocol.kind!r} is not a time-domain loading program")


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
    if isinstance(seg, (HoldStress, HoldStrain)):
        return seg.duration_s
    if isinstance(seg, RampStrain):
        return abs(seg.to_strain - strain_now) / seg.rate_per_s
    if isinstance(seg, Temperature):
        ramp = 0.0 if seg.rate_K_per_min == 0 else abs(seg.to_K - T_now_K) / seg.rate_K_per_min * 60.0
        return ramp + seg.hold_s
    if isinstance(seg, Unload):
        return None
    raise TypeError(f"unknown segment {seg!r}")
