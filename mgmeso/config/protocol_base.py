"""What every protocol of the ``[protocol]`` table does besides holding its keys (`_Protocol`),
and the key ranges and cross-key checks they share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ..segments.ranges import FREQUENCY, TEMPERATURE, TIME

if TYPE_CHECKING:
    from .protocols_ladder import SteppedRelaxation

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
    #: the analytical model is the hereditary integrator, where ``[theory] nonlinear`` acts
    nonlinear_theory = False

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

    def toml_segments(self) -> tuple:
        """Return the segments written as ``[[protocol.segments]]`` tables (none by default).

        Returns
        -------
        tuple
            The segment objects of a free program; empty for a protocol whose loading follows
            from its own keys.
        """
        return ()

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
