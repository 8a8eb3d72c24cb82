"""Ranges shared by the TOML keys of the segment and protocol tables (their ``param`` declarations)."""

from __future__ import annotations

from typing import Any

from ..config.fields import param

__all__ = ["param", "TIME", "TEMPERATURE", "FREQUENCY", "SPACING", "samples"]

TEMPERATURE: dict[str, Any] = dict(unit="K", lo=0.0, lo_open=True, hi=5000.0,
                                   why="an absolute temperature is positive (and metallic "
                                   "glasses crystallise long before 5000 K)")
TIME: dict[str, Any] = dict(unit="s", lo=0.0, lo_open=True, hi=1e12,
                            why="a duration must be positive (and below 1e12 s, ~30 000 years)")
FREQUENCY: dict[str, Any] = dict(unit="Hz", lo=1e-9, hi=1e9, why="a frequency between 1 nHz and 1 GHz")
SPACING: dict[str, Any] = dict(choices=("log", "linear"))


def samples(default: int):
    """Declare the ``samples`` key of a segment table.

    Parameters
    ----------
    default : int
        Default number of samples.

    Returns
    -------
    dataclasses.Field
        The field (1 to 100 000 samples).
    """
    return param(default, doc="sample times in the segment", lo=1, hi=100_000,
                 why="between 1 and 100 000 samples per segment")
