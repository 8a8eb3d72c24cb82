"""The loading law of a replica: the current segment as the kMC runs it.

At a segment start the replica asks the segment (:mod:`mgmeso.segments`) for its law
(:class:`~mgmeso.segments.Law`, what the kernels' loading group holds), its temperature
ramp and its duration, and plans the sample times; :class:`SegmentRun` keeps all of it
for the run of the segment and for checkpoints.

A temperature ramp runs as slices of ``[simulation] temperature_slice_K``, each at its
midpoint temperature (:class:`RampRun`): rates are constant within a slice, so the kernel
stays exact within it, and the error of the steps converges as the slices shrink. The
temperature recorded at a sample is the ramp's exact value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..segments import UNLOAD, Law, Start

__all__ = ["RampRun", "SegmentRun", "plan_ramp", "plan_samples"]


@dataclass
class RampRun:
    """A temperature ramp run as slices: the slice boundary ahead and the slice length."""

    rate_K_per_s: float     # signed
    T0_K: float             # temperature at the segment start
    t_end_s: float          # end of the ramp
    slice_dt_s: float
    slice_next_s: float     # end of the current slice (inf: ramp done)

    def temperature_at(self, t: float, t0: float) -> float:
        """Exact ramp temperature at time t (the segment started at t0).

        Parameters
        ----------
        t : float
            Time (s).
        t0 : float
            Start time of the segment (s).

        Returns
        -------
        float
            Temperature (K), held after the ramp's end.
        """
        return self.T0_K + self.rate_K_per_s * (min(t, self.t_end_s) - t0)

    def first_slice_temperature(self, t: float) -> float:
        """Midpoint temperature of the first slice, which starts at t.

        Parameters
        ----------
        t : float
            Start time of the slice (s).

        Returns
        -------
        float
            Temperature (K).
        """
        return self.T0_K + self.rate_K_per_s * 0.5 * (min(self.slice_next_s, self.t_end_s) - t)

    def next_slice(self, t0: float) -> float:
        """Move to the next slice; its midpoint temperature (the final one at the end).

        Parameters
        ----------
        t0 : float
            Start time of the segment (s).

        Returns
        -------
        float
            Temperature of the new slice (K).
        """
        start, end = self.slice_next_s, self.t_end_s
        if start >= end:
            self.slice_next_s = math.inf
            return self.T0_K + self.rate_K_per_s * (end - t0)
        stop = min(start + self.slice_dt_s, end)
        self.slice_next_s = stop
        return self.T0_K + self.rate_K_per_s * (0.5 * (start + stop) - t0)


def plan_ramp(seg, start: Start, slice_K: float) -> RampRun | None:
    """Plan the segment's temperature ramp as slices of ``slice_K`` (None: no ramp).

    Parameters
    ----------
    seg : Segment
        The segment.
    start : Start
        The state at its start.
    slice_K : float
        Temperature span of a slice (K).

    Returns
    -------
    RampRun or None
        The sliced ramp.
    """
    ramp = seg.ramp(start)
    if ramp is None:
        return None
    dt = slice_K / abs(ramp.rate_K_per_s)
    t = start.t_s
    return RampRun(ramp.rate_K_per_s, ramp.T0_K, ramp.t_end_s, dt, min(t + dt, ramp.t_end_s))


def plan_samples(seg, t: float, duration: float | None, t_first_s: float, stress_MPa: float,
                 J_inst_per_MPa: float) -> tuple[list[float], float, float | None]:
    """Plan the sample times, end time and (for a segment that ends on an event) spacing.

    A segment of known duration is sampled by its own plan. One that ends on an event (zero
    stress) is sampled over its estimated duration and then every ``spacing`` until it ends.

    Parameters
    ----------
    seg : Segment
        The segment.
    t : float
        Its start time (s).
    duration : float or None
        Its duration (s), None if it ends on an event.
    t_first_s : float
        First log-spaced sample time (s).
    stress_MPa : float
        Stress at its start (MPa).
    J_inst_per_MPa : float
        Instantaneous compliance (1/MPa), for the estimated duration.

    Returns
    -------
    samples : list of float
        Absolute sample times (s).
    t_end : float
        End time (s); infinite for a segment that ends on an event.
    spacing : float or None
        Spacing (s) of the samples added after the planned ones, for a segment that ends on
        an event.
    """
    if seg.ends_on_event:
        est = seg.estimated_duration(stress_MPa, J_inst_per_MPa)
        offs = seg.sample_offsets(est, t_first_s) if est > 0 else np.zeros(0)
        t_end = math.inf if est > 0 else t
        spacing = est / seg.samples if est > 0 else 0.0
    else:
        assert duration is not None  # only a segment that ends on an event has none
        offs = seg.sample_offsets(duration, t_first_s) if duration > 0 else np.zeros(0)
        t_end, spacing = t + duration, None
    return [float(x) for x in t + offs], t_end, spacing


_LAW_KEYS = {"control": "control", "sigma_hold": "sigma_hold", "eps0": "eps0",
             "eps_rate": "eps_rate", "t_seg0": "t0", "amp": "amp", "omega": "omega"}
_RAMP_KEYS = {"ramp_K_per_s": "rate_K_per_s", "T_seg0": "T0_K", "ramp_end": "t_end_s",
              "slice_dt": "slice_dt_s", "slice_next": "slice_next_s"}


@dataclass
class SegmentRun:
    """The segment a replica is running: law, ramp, sample plan and progress."""

    law: Law
    ramp: RampRun | None
    samples: list[float]        # absolute sample times (s); more are added while unloading
    t_end: float                # inf while a segment that ends on an event has not ended
    spacing: float | None       # sample spacing added until such a segment ends
    finished: bool = False

    @property
    def ends_on_event(self) -> bool:
        """True for an unloading: the segment ends when the stress reaches zero."""
        return self.law.control == UNLOAD

    def temperature_at(self, t: float, T_K: float) -> float:
        """Temperature at t: the exact ramp value, else the segment's temperature T_K.

        Parameters
        ----------
        t : float
            Time (s).
        T_K : float
            The segment's (held) temperature (K).

        Returns
        -------
        float
            Temperature (K).
        """
        return T_K if self.ramp is None else self.ramp.temperature_at(t, self.law.t0)

    @property
    def slice_edge(self) -> float:
        """End of the current ramp slice (inf without a ramp)."""
        return math.inf if self.ramp is None else self.ramp.slice_next_s

    # -- checkpoints: the flat JSON layout of earlier versions (checkpoints stay readable)
    def to_dict(self) -> dict:
        """Return the segment's run as flat numbers and lists (for checkpoints).

        Returns
        -------
        dict
            The law, the ramp, end time, spacing, sample times and whether it has finished.
        """
        d = {old: getattr(self.law, new) for old, new in _LAW_KEYS.items()}
        d["control"] = float(self.law.control)
        if self.ramp is not None:
            d.update({old: getattr(self.ramp, new) for old, new in _RAMP_KEYS.items()})
        d["t_end"] = self.t_end
        if self.spacing is not None:
            d["spacing"] = self.spacing
        d["samples"] = list(self.samples)
        d["finished"] = self.finished
        return d

    @classmethod
    def from_dict(cls, d: dict) -> SegmentRun:
        """Rebuild a segment's run from :meth:`to_dict`.

        Parameters
        ----------
        d : dict
            The saved form.

        Returns
        -------
        SegmentRun
            The run.
        """
        law = Law.from_dict({new: d[old] for old, new in _LAW_KEYS.items()})
        ramp = (RampRun(**{new: float(d[old]) for old, new in _RAMP_KEYS.items()})
                if "ramp_K_per_s" in d else None)
        return cls(law, ramp, [float(x) for x in d["samples"]], float(d["t_end"]),
                   None if d.get("spacing") is None else float(d["spacing"]), bool(d["finished"]))
