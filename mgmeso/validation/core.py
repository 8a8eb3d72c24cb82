"""Cases, checks, statuses and reference tables of the validation suite.

A *case* is one registry entry (:func:`register`): a name (also its directory
``validation/<name>/``), a group, a title, its source, quick and full settings,
and three functions:

* ``measure(ctx) -> dict``: the measured side (model runs, samplers), the only
  expensive step; its result is a plain picklable dict;
* ``judge(measured, refs) -> list[Check]``: the comparisons, each with its
  tolerance and the status the case's README documents (cheap: tests re-judge a
  measurement against perturbed references without recomputing it);
* ``figure(measured, refs) -> Figure`` (optional).

A :class:`Check` compares one measured number with one reference under a
stated tolerance. Its *raw* status comes from that comparison alone: ``pass``;
for a closed form or an internal consistency check ``fail``; for a paper's
number "model disagrees with paper", or "not reproducible with these
parameters" when another, named parameter set does reproduce it (shown in the
check). Every check also carries the status its README documents
(``expected``); a check whose raw status differs from it is reported as
``fail``: the claim no longer holds, and the report says what was expected.
So a known disagreement stays visible, and a regression that turns an
agreement into a disagreement (or the reverse) fails the suite.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .checks import (
    DISAGREES,
    FAIL,
    NOT_REPRODUCIBLE,
    NOT_RUN,
    PASS,
    STATUSES,
    Check,
    _fmt,
    case_status,
    closed,
    paper,
    reproducible_with,
    within,
)
from .references import Reference, References

__all__ = [
    "CASES",
    "DISAGREES",
    "FAIL",
    "NOT_REPRODUCIBLE",
    "NOT_RUN",
    "PASS",
    "STATUSES",
    "Case",
    "Check",
    "Context",
    "Reference",
    "References",
    "case_status",
    "closed",
    "paper",
    "register",
    "reproducible_with",
    "validation_root",
    "within",
]


# ---------------------------------------------------------------------------
# cases (checks: mgmeso.validation.checks; reference tables: mgmeso.validation.references)

def validation_root() -> Path:
    """Return the ``validation/`` directory: ``$MGMESO_VALIDATION_DIR`` or the source tree's.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    env = os.environ.get("MGMESO_VALIDATION_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "validation"


@dataclass(frozen=True)
class Context:
    """What a case's ``measure`` sees: the mode, its settings and deliberate perturbations.

    ``material_overrides`` replace material keys wherever the case loads a material
    (tests feed wrong parameters this way); ``options`` are case-specific switches
    for the same purpose.
    """

    case: str
    mode: str
    settings: dict
    material_overrides: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    @property
    def directory(self) -> Path:
        """The case's directory ``validation/<case>/``."""
        return validation_root() / self.case

    def material(self, name: str = "la60ni15al25", **changes):
        """Load a material file by name, with the case's changes then the overrides applied.

        Parameters
        ----------
        name : str
            A material name.
        **changes
            Keys the case changes.

        Returns
        -------
        Material
            The material.
        """
        from ..config import load_material

        mat = load_material(name)[0]
        return dataclasses.replace(mat, **{**changes, **self.material_overrides})

    def config(self, filename: str):
        """Load a config of the case directory, its material overridden as in :meth:`material`.

        Parameters
        ----------
        filename : str
            File name in the case directory.

        Returns
        -------
        RunConfig
            The config.
        """
        from ..config import load_config

        cfg = load_config(self.directory / filename)
        if self.material_overrides:
            cfg = dataclasses.replace(cfg, material=dataclasses.replace(cfg.material,
                                                                        **self.material_overrides))
        return cfg

    def option(self, key: str, default=None):
        """Return a deliberate option of the run (tests perturb a case this way).

        Parameters
        ----------
        key : str
            The option.
        default : object
            Returned when it is not set.

        Returns
        -------
        object
            The value.
        """
        return self.options.get(key, default)

    def references(self) -> References:
        """Return the case's reference.csv (for inputs of the measured side taken from a paper).

        Returns
        -------
        :class:`References`
            Its rows.
        """
        return References.read(self.directory / "reference.csv")


@dataclass(frozen=True)
class Case:
    """One validation case (see the module docstring)."""

    name: str
    group: str
    title: str
    source: str
    measure: Callable[[Context], dict] | None
    judge: Callable[[dict, References], list[Check]] | None
    figure: Callable[[dict, References], Any] | None = None
    quick: dict = field(default_factory=dict)
    full: dict = field(default_factory=dict)
    placeholder: str = ""       # non-empty: registered but not run, with this reason

    def settings(self, mode: str) -> dict:
        """Return the settings of a mode: ``quick``, or ``quick`` updated by ``full``.

        Parameters
        ----------
        mode : {'quick', 'full'}
            The mode.

        Returns
        -------
        dict
            The settings.
        """
        return {**self.quick, **self.full} if mode == "full" else dict(self.quick)

    def references(self) -> References:
        """Read the case's ``reference.csv``.

        Returns
        -------
        :class:`References`
            Its rows.
        """
        return References.read(validation_root() / self.name / "reference.csv")


#: the registry, in registration order (group order)
CASES: dict[str, Case] = {}


def register(case: Case) -> Case:
    """Add a case to :data:`CASES`.

    Parameters
    ----------
    case : Case
        The case.

    Returns
    -------
    Case
        ``case`` itself.

    Raises
    ------
    ValueError
        If its name is registered already.
    """
    if case.name in CASES:
        raise ValueError(f"validation case {case.name!r} registered twice")
    CASES[case.name] = case
    return case


def format_value(x) -> str:
    """Format a measured or reference value for the report.

    Parameters
    ----------
    x : object
        A number, text, list or None.

    Returns
    -------
    str
        The text.
    """
    return _fmt(x)
