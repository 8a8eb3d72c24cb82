"""What every loading segment is and does: the loading law, the start state, the segment protocol.

A segment describes one stage of a loading program. Given the state of the sample when it
starts (:class:`Start`), it says

* how long it lasts (:meth:`Segment.duration`; None: it ends on an event, zero stress);
* what is controlled and how (:meth:`Segment.law`, a :class:`Law`: stress or strain, held,
  ramped or oscillating) and whether the temperature ramps (:meth:`Segment.ramp`);
* when it is sampled (:meth:`Segment.sample_offsets`) and the shortest time it resolves
  (:meth:`Segment.resolution_time`), which sets which kMC units count as fast;
* the largest stress it can reach (:meth:`Segment.peak_stress_MPa`), which sets the kMC's
  bias saturation stress.

Both engines read only these methods: the kMC (:mod:`mgmeso.kmc.loading`) turns the law into
the kernels' loading group, the hereditary integrator (:mod:`mgmeso.theory.hereditary`) into
the control function of its ODE. A new kind of segment is therefore one class (one file in
this package, plus one line in :mod:`.registry`); nothing else dispatches on segment types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

__all__ = ["STRESS", "STRAIN", "UNLOAD", "Law", "Ramp", "Start", "Segment", "Hold",
           "sample_offsets"]

#: what a law controls: the stress, the strain, or the strain while unloading to zero stress
STRESS, STRAIN, UNLOAD = 0, 1, 2


class Law(NamedTuple):
    """Loading law of a segment, fixed at its start (a numba-compatible named tuple).

    Under ``STRESS`` control the stress is ``sigma_hold + amp sin(omega (t - t0))``; under
    ``STRAIN`` and ``UNLOAD`` control the total strain is
    ``eps0 + eps_rate (t - t0) + amp sin(omega (t - t0))``. ``UNLOAD`` ends when the stress
    reaches zero.
    """

    control: int = STRESS
    sigma_hold: float = 0.0     # MPa
    eps0: float = 0.0
    eps_rate: float = 0.0       # 1/s
    t0: float = 0.0             # s, start of the segment
    amp: float = 0.0            # strain, or MPa under stress control
    omega: float = 0.0          # rad/s

    def target(self, t: float) -> float:
        """The controlled quantity at time t: stress (MPa) or total strain."""
        osc = self.amp * math.sin(self.omega * (t - self.t0)) if self.amp != 0.0 else 0.0
        if self.control == STRESS:
            return self.sigma_hold + osc
        return self.eps0 + self.eps_rate * (t - self.t0) + osc

    def to_dict(self) -> dict:
        return self._asdict()

    @classmethod
    def from_dict(cls, d: dict) -> Law:
        return cls(control=int(d["control"]), **{k: float(d[k]) for k in cls._fields[1:]})


@dataclass(frozen=True)
class Ramp:
    """A temperature ramp from ``T0_K`` at ``t0_s`` at ``rate_K_per_s`` (signed) for
    ``duration_s``, towards ``T1_K``.
    """

    T0_K: float
    rate_K_per_s: float
    t0_s: float
    duration_s: float
    T1_K: float

    @property
    def t_end_s(self) -> float:
        return self.t0_s + self.duration_s


@dataclass(frozen=True)
class Start:
    """State of the sample at the start of a segment."""

    t_s: float
    stress_MPa: float
    strain: float
    T_K: float
    control: int = STRESS       # control of the previous segment's law (STRESS at the start)


def sample_offsets(n: int, spacing: str, duration_s: float, t_first_s: float) -> np.ndarray:
    """``n`` sample times from a segment start (s), ending at ``duration_s``: log-spaced from
    ``t_first_s`` (``spacing = "log"``) or evenly spaced.
    """
    if spacing == "log" and duration_s > t_first_s and n > 1:
        return np.geomspace(t_first_s, duration_s, n)
    return np.linspace(duration_s / n, duration_s, n)


class Segment:
    """Behaviour of a loading segment (a mixin of the frozen segment dataclasses).

    Subclasses define ``type`` (its name: the ``type`` key of a ``[[protocol.segments]]``
    table) and ``samples``, and override :meth:`duration` and :meth:`law`; the other methods
    have defaults that suit a segment which holds the temperature.
    """

    if TYPE_CHECKING:  # declared by every segment dataclass (a field or a property)
        type: ClassVar[str]

        @property
        def samples(self) -> int: ...

    #: sample spacing of segments without a ``spacing`` field
    spacing = "linear"
    #: the segment ends on an event (zero stress), not after a known duration
    ends_on_event = False

    # -- what it does --------------------------------------------------------------
    def duration(self, strain: float, T_K: float) -> float | None:
        """Duration (s) from the strain and temperature at its start; None if the segment
        ends on an event (zero stress), see :meth:`estimated_duration`.
        """
        raise NotImplementedError

    def law(self, start: Start) -> Law:
        """The loading law from the state at the segment start."""
        raise NotImplementedError

    def ramp(self, start: Start) -> Ramp | None:
        """The temperature ramp during the segment (None: the temperature is held)."""
        return None

    def held_temperature_K(self, T_K: float) -> float:
        """Temperature held during the segment when it has no ramp, from the one at its start
        (a temperature step changes it).
        """
        return T_K

    def end_temperature_K(self, T_K: float) -> float:
        """Nominal temperature at the segment end, from the one reached by the engine."""
        return T_K

    def end_strain(self, strain: float) -> float:
        """Nominal total strain at the segment end (for programs planned ahead)."""
        return strain

    # -- sampling and resolution -----------------------------------------------------
    def sample_offsets(self, duration_s: float, t_first_s: float) -> np.ndarray:
        """Sample times measured from the segment start (s), ending at its end."""
        return sample_offsets(self.samples, self.spacing, duration_s, t_first_s)

    def resolution_time(self, strain: float, t_first_s: float) -> float:
        """Shortest time (s) the segment resolves, from the total strain at its start: units
        much faster than this can follow the load in local equilibrium.
        """
        return math.inf

    def peak_stress_MPa(self, E_unrelaxed_MPa: float) -> float:
        """Largest stress magnitude the segment can impose (elastic estimate)."""
        return 0.0

    def held_stress_MPa(self) -> float | None:
        """The stress held throughout, whatever the state at the start (None: not a stress
        hold). A program of such holds at one temperature is linear in closed form.
        """
        return None

    def held_strain(self) -> float | None:
        """The total strain held throughout, whatever the state at the start (None: not a
        strain hold).
        """
        return None

    # -- segments that end on an event ------------------------------------------------
    def estimated_duration(self, stress_MPa: float, J_inst_per_MPa: float) -> float:
        """Expected duration (s) of a segment that ends on an event (kMC sample plan)."""
        raise NotImplementedError

    def search_horizon_s(self, strain: float) -> float:
        """Upper bound on the duration of a segment that ends on an event (theory)."""
        raise NotImplementedError

    def max_step_s(self) -> float:
        """Largest step of the theory's ODE integrator within the segment."""
        return math.inf

    def runtime(self) -> Segment:
        """The segment both engines run (a config table may stand for a richer one)."""
        return self


class Hold(Segment):
    """A segment that lasts ``duration_s`` and is sampled from its start (a hold of stress or
    strain): its resolution is its first sample time.
    """

    if TYPE_CHECKING:  # declared by every hold dataclass (a field or a property)
        @property
        def duration_s(self) -> float: ...

    def duration(self, strain, T_K):
        return self.duration_s

    def resolution_time(self, strain, t_first_s):
        return float(self.sample_offsets(self.duration_s, t_first_s)[0])
