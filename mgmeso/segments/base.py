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
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from .law import STRAIN, STRESS, UNLOAD, Law, Ramp, Start, sample_offsets

__all__ = ["STRESS", "STRAIN", "UNLOAD", "Law", "Ramp", "Start", "Segment", "Hold",
           "sample_offsets"]


class Segment:
    """Behaviour of a loading segment (a mixin of the frozen segment dataclasses).

    Subclasses define ``type`` (its name: the ``type`` key of a ``[[protocol.segments]]``
    table) and ``samples``, and override :meth:`duration` and :meth:`law`; the other methods
    have defaults that suit a segment which holds the temperature.
    """

    if TYPE_CHECKING:  # declared by every segment dataclass (a field or a property)
        type: ClassVar[str]

        @property
        def samples(self) -> int:
            """Number of sample times in the segment."""

    #: sample spacing of segments without a ``spacing`` field
    spacing = "linear"
    #: the segment ends on an event (zero stress), not after a known duration
    ends_on_event = False

    # -- what it does --------------------------------------------------------------
    def duration(self, strain: float, T_K: float) -> float | None:
        """Duration (s) from the strain and temperature at its start.

        Parameters
        ----------
        strain : float
            Total strain at the segment start.
        T_K : float
            Temperature at the segment start (K).

        Returns
        -------
        float or None
            The duration (s); None if the segment ends on an event (zero stress), see
            :meth:`estimated_duration`.
        """
        raise NotImplementedError

    def law(self, start: Start) -> Law:
        """Return the loading law from the state at the segment start.

        Parameters
        ----------
        start : Start
            Time, stress, strain, temperature and control at the segment start.

        Returns
        -------
        Law
            What is controlled during the segment, and how.
        """
        raise NotImplementedError

    def ramp(self, start: Start) -> Ramp | None:
        """Return the temperature ramp during the segment (None: the temperature is held).

        Parameters
        ----------
        start : Start
            The state at the segment start.

        Returns
        -------
        Ramp or None
            The ramp; the default holds the temperature.
        """
        return None

    def held_temperature_K(self, T_K: float) -> float:
        """Temperature held during the segment when it has no ramp.

        Parameters
        ----------
        T_K : float
            Temperature at the segment start (K).

        Returns
        -------
        float
            The held temperature (K): ``T_K`` unless the segment is a temperature step.
        """
        return T_K

    def end_temperature_K(self, T_K: float) -> float:
        """Nominal temperature at the segment end, from the one reached by the engine.

        Parameters
        ----------
        T_K : float
            Temperature reached by the engine at the segment end (K).

        Returns
        -------
        float
            The nominal end temperature (K).
        """
        return T_K

    def end_strain(self, strain: float) -> float:
        """Nominal total strain at the segment end (for programs planned ahead).

        Parameters
        ----------
        strain : float
            Total strain at the segment start.

        Returns
        -------
        float
            The nominal total strain at its end.
        """
        return strain

    # -- sampling and resolution -----------------------------------------------------
    def sample_offsets(self, duration_s: float, t_first_s: float) -> np.ndarray:
        """Sample times measured from the segment start (s), ending at its end.

        Parameters
        ----------
        duration_s : float
            Duration of the segment (s).
        t_first_s : float
            First sample time of log-spaced samples (s).

        Returns
        -------
        numpy.ndarray
            float64 (samples,): the offsets (s), increasing.
        """
        return sample_offsets(self.samples, self.spacing, duration_s, t_first_s)

    def resolution_time(self, strain: float, t_first_s: float) -> float:
        """Shortest time (s) the segment resolves, from the total strain at its start.

        Units much faster than this can follow the load in local equilibrium.

        Parameters
        ----------
        strain : float
            Total strain at the segment start.
        t_first_s : float
            First sample time of the program (s).

        Returns
        -------
        float
            The resolution time (s); infinite by default (nothing is resolved: all units run).
        """
        return math.inf

    def peak_stress_MPa(self, E_unrelaxed_MPa: float) -> float:
        """Largest stress magnitude the segment can impose (elastic estimate).

        Parameters
        ----------
        E_unrelaxed_MPa : float
            Unrelaxed Young's modulus (MPa), for strain-controlled segments.

        Returns
        -------
        float
            The peak stress magnitude (MPa); it sets the bias saturation stress of the kMC.
        """
        return 0.0

    def held_stress_MPa(self) -> float | None:
        """Return the stress held throughout, whatever the state at the start.

        A program of such holds at one temperature is linear in closed form.

        Returns
        -------
        float or None
            The stress (MPa), or None: the segment is not a stress hold.
        """
        return None

    def held_strain(self) -> float | None:
        """Return the total strain held throughout, whatever the state at the start.

        Returns
        -------
        float or None
            The strain, or None: the segment is not a strain hold.
        """
        return None

    # -- segments that end on an event ------------------------------------------------
    def estimated_duration(self, stress_MPa: float, J_inst_per_MPa: float) -> float:
        """Estimate the duration (s) of a segment that ends on an event (kMC sample plan).

        Parameters
        ----------
        stress_MPa : float
            Stress at the segment start (MPa).
        J_inst_per_MPa : float
            Instantaneous compliance (1/MPa).

        Returns
        -------
        float
            The estimated duration (s).
        """
        raise NotImplementedError

    def search_horizon_s(self, strain: float) -> float:
        """Upper bound on the duration of a segment that ends on an event (theory).

        Parameters
        ----------
        strain : float
            Total strain at the segment start.

        Returns
        -------
        float
            A time (s) by which the event has surely happened.
        """
        raise NotImplementedError

    def max_step_s(self) -> float:
        """Largest step of the theory's ODE integrator within the segment.

        Returns
        -------
        float
            The largest step (s); infinite unless the loading must be resolved explicitly.
        """
        return math.inf

    def oscillation_Hz(self) -> float | None:
        """Frequency of the segment's sinusoidal load, for a lock-in analysis of its samples.

        Returns
        -------
        float or None
            The frequency (Hz); None (the default) for a segment that does not oscillate.
        """
        return None

    def runtime(self) -> Segment:
        """Return the segment both engines run (a config table may stand for a richer one).

        Returns
        -------
        Segment
            ``self`` by default.
        """
        return self


class Hold(Segment):
    """A segment that lasts ``duration_s`` and is sampled from its start (a hold of stress or
    strain): its resolution is its first sample time.
    """

    if TYPE_CHECKING:  # declared by every hold dataclass (a field or a property)
        @property
        def duration_s(self) -> float:
            """Duration of the hold (s)."""

    def duration(self, strain, T_K):
        """See `Segment.duration`."""
        return self.duration_s

    def resolution_time(self, strain, t_first_s):
        """See `Segment.resolution_time`."""
        return float(self.sample_offsets(self.duration_s, t_first_s)[0])
