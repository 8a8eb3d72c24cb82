"""Loading segments: each one class in one file, with its own behaviour (see :mod:`.base`).

``[[protocol.segments]]`` tables (``hold_stress``, ``hold_strain``, ``ramp_strain``, ``unload``,
``temperature``, ``oscillate``) and the segments protocols compile to (:class:`Oscillate` with
a temperature ramp, :class:`StrainStep`) are listed in :mod:`.registry`.
"""

# the config package imports the segment tables; importing it first keeps the order of a
# first import the same whichever package is imported first
from .. import config as _config  # noqa: F401
from .base import STRAIN, STRESS, UNLOAD, Hold, Law, Ramp, Segment, Start, sample_offsets
from .registry import (
                       SEGMENTS,
                       HoldStrain,
                       HoldStress,
                       Oscillate,
                       OscillateSegment,
                       RampStrain,
                       StrainStep,
                       Temperature,
                       Unload,
                       register,
)

__all__ = ["STRESS", "STRAIN", "UNLOAD", "Law", "Ramp", "Segment", "Hold", "Start", "sample_offsets",
           "SEGMENTS", "register", "HoldStress", "HoldStrain", "RampStrain", "Unload",
           "Temperature", "OscillateSegment", "Oscillate", "StrainStep"]
