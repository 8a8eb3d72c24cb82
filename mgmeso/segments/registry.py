"""The one registry of loading segments: every segment class, and the TOML tables among them.

Add a new segment by writing its class in a file of this package and importing it here;
list it in :data:`SEGMENTS` if a ``[[protocol.segments]]`` table may name it.
"""

from __future__ import annotations

from typing import TypeVar

from .base import Segment
from .hold_strain import HoldStrain
from .hold_stress import HoldStress
from .oscillate import Oscillate, OscillateSegment
from .ramp_strain import RampStrain
from .strain_step import StrainStep
from .temperature import Temperature
from .unload import Unload

__all__ = ["SEGMENTS", "register", "HoldStress", "HoldStrain", "RampStrain", "Unload",
           "Temperature", "OscillateSegment", "Oscillate", "StrainStep"]

#: ``type`` of a ``[[protocol.segments]]`` table -> its class (the order of error messages)
SEGMENTS: dict[str, type[Segment]] = {c.type: c for c in (HoldStress, HoldStrain, RampStrain, Unload,
                                                 Temperature, OscillateSegment)}


_S = TypeVar("_S", bound=type[Segment])


def register(cls: _S) -> _S:
    """Make a segment class a ``[[protocol.segments]]`` table (usable as a class decorator).

    Parameters
    ----------
    cls : type
        A segment dataclass with a ``type`` name.

    Returns
    -------
    type
        ``cls`` itself.

    Raises
    ------
    ValueError
        If another class is registered under the same ``type``.
    """
    if cls.type in SEGMENTS and SEGMENTS[cls.type] is not cls:
        raise ValueError(f"segment type {cls.type!r} is already registered")
    SEGMENTS[cls.type] = cls
    return cls
