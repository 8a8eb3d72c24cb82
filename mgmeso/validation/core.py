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

import csv
import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError

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

PASS = "pass"
FAIL = "fail"
DISAGREES = "model disagrees with paper"
NOT_REPRODUCIBLE = "not reproducible with these parameters"
#: a registered case that is not run in this version (its measured side needs code of a
#: later wave); never counted as a pass or a failure
NOT_RUN = "not run"
STATUSES = (PASS, FAIL, DISAGREES, NOT_REPRODUCIBLE)


@dataclass(frozen=True)
class Check:
    """One comparison: a measured value against a reference under a stated tolerance."""

    name: str
    measured: Any
    reference: Any
    unit: str
    tolerance: str
    raw: str
    expected: str = PASS
    source: str = ""
    note: str = ""

    @property
    def status(self) -> str:
        """Final status: the raw status if it is the expected one, else ``fail``."""
        return self.raw if self.raw == self.expected else FAIL

    @property
    def why(self) -> str:
        """The note, plus what was expected when the check fails on its expectation."""
        if self.raw != self.expected and self.raw != FAIL:
            return f"expected '{self.expected}', measured '{self.raw}'. {self.note}".strip()
        return self.note


def case_status(checks: list[Check]) -> str:
    """Combine the checks of a case into its status.

    ``fail`` if any check fails; else the first of ``disagrees`` / ``not reproducible``; else
    ``pass``.

    Parameters
    ----------
    checks : list of Check
        The case's checks.

    Returns
    -------
    str
        The status.
    """
    st = [c.status for c in checks]
    if not st:
        return FAIL
    for s in (FAIL, DISAGREES, NOT_REPRODUCIBLE):
        if s in st:
            return s
    return PASS


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def within(measured: float, reference: float, tol_abs: float | None = None,
           tol_rel: float | None = None) -> bool:
    """|measured - reference| <= tol_abs (or tol_rel |reference|); NaN is never within.

    Parameters
    ----------
    measured, reference : float
        The values (None is never within).
    tol_abs : float, optional
        Absolute tolerance (wins over ``tol_rel``).
    tol_rel : float, optional
        Relative tolerance.

    Returns
    -------
    bool
        Whether the measured value is within the tolerance.
    """
    if measured is None or reference is None:
        return False
    m, r = float(measured), float(reference)
    if not (np.isfinite(m) and np.isfinite(r)):
        return False
    if tol_abs is not None:
        tol = tol_abs
    elif tol_rel is not None:
        tol = tol_rel * abs(r)
    else:
        raise TypeError("within() needs tol_abs or tol_rel")
    return abs(m - r) <= tol


def closed(name: str, ok: bool, measured, reference, unit: str, tolerance: str,
           source: str = "", note: str = "") -> Check:
    """Make a closed-form or internal check: pass or fail.

    Parameters
    ----------
    name : str
        What is compared.
    ok : bool
        Whether the tolerance is met.
    measured, reference : object
        The two values (numbers or text).
    unit : str
        Their unit.
    tolerance : str
        The tolerance, as stated.
    source : str
        Where the reference comes from.
    note : str
        A remark shown with the check.

    Returns
    -------
    Check
        The check.
    """
    return Check(name, measured, reference, unit, tolerance, PASS if ok else FAIL, PASS, source,
                 note)


def paper(name: str, ok: bool, measured, reference, unit: str, tolerance: str, expected: str,
          source: str = "", note: str = "") -> Check:
    """Make a comparison with a paper's number: pass, or the model disagrees with the paper.

    Parameters
    ----------
    name : str
        What is compared.
    ok : bool
        Whether the tolerance is met.
    measured, reference : object
        The two values (numbers or text).
    unit : str
        Their unit.
    tolerance : str
        The tolerance, as stated.
    expected : str
        The status the case's README documents.
    source : str
        Where the reference comes from.
    note : str
        A remark shown with the check.

    Returns
    -------
    Check
        The check.
    """
    return Check(name, measured, reference, unit, tolerance, PASS if ok else DISAGREES, expected,
                 source, note)


def reproducible_with(name: str, ok: bool, ok_alternative: bool, measured, reference, unit: str,
                      tolerance: str, expected: str, source: str = "", note: str = "") -> Check:
    """Make a paper comparison where a named alternative parameter set was also evaluated.

    Raw status: pass if the case's parameters meet the tolerance; "not reproducible with
    these parameters" if only the alternative does (the note names it and its values);
    otherwise the model disagrees with the paper.

    Parameters
    ----------
    name : str
        What is compared.
    ok : bool
        Whether the tolerance is met.
    measured, reference : object
        The two values (numbers or text).
    unit : str
        Their unit.
    tolerance : str
        The tolerance, as stated.
    ok_alternative : bool
        Whether the alternative parameters meet it.
    expected : str
        The status the case's README documents.
    source : str
        Where the reference comes from.
    note : str
        A remark shown with the check.

    Returns
    -------
    Check
        The check.
    """
    raw = PASS if ok else (NOT_REPRODUCIBLE if ok_alternative else DISAGREES)
    return Check(name, measured, reference, unit, tolerance, raw, expected, source, note)


# ---------------------------------------------------------------------------
# references

@dataclass(frozen=True)
class Reference:
    """One row of a case's ``reference.csv``."""

    key: str
    value: Any
    unit: str
    source: str
    note: str = ""


class References:
    """The reference numbers of a case (``validation/<case>/reference.csv``).

    Columns ``key, value, unit, source, note``; ``value`` is a number where it parses
    as one, else text. :meth:`replace` gives a perturbed copy (tests of every case).
    """

    COLUMNS = ("key", "value", "unit", "source", "note")

    def __init__(self, rows: dict[str, Reference], path: Path | None = None):
        self.rows = dict(rows)
        self.path = path

    @classmethod
    def read(cls, path: Path) -> References:
        """Read a case's ``reference.csv`` (an empty table if there is none).

        Parameters
        ----------
        path : pathlib.Path
            The CSV file.

        Returns
        -------
        :class:`References`
            Its rows by key.

        Raises
        ------
        UserError
            For missing columns, an empty or repeated key, or a key without a source.
        """
        if not path.is_file():
            return cls({}, path)
        rows: dict[str, Reference] = {}
        with open(path, newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in cls.COLUMNS[:4] if c not in (reader.fieldnames or [])]
            if missing:
                raise UserError(f"{path}: missing column(s) {', '.join(missing)} (columns are "
                                f"{', '.join(cls.COLUMNS)})")
            for i, r in enumerate(reader, start=2):
                key = (r["key"] or "").strip()
                if not key or key in rows:
                    raise UserError(f"{path} line {i}: key {key!r} is empty or repeated")
                raw = (r["value"] or "").strip()
                try:
                    value: Any = float(raw)
                except ValueError:
                    value = raw
                if not (r["source"] or "").strip():
                    raise UserError(f"{path} line {i}: key {key!r} has no source")
                rows[key] = Reference(key, value, (r["unit"] or "").strip(), r["source"].strip(),
                                      (r.get("note") or "").strip())
        return cls(rows, path)

    def __getitem__(self, key: str) -> Any:
        return self.ref(key).value

    def ref(self, key: str) -> Reference:
        """Return the row of ``key``.

        Parameters
        ----------
        key : str
            The reference's key.

        Returns
        -------
        Reference
            Value, unit and source.

        Raises
        ------
        KeyError
            For a missing key (naming the file).
        """
        try:
            return self.rows[key]
        except KeyError:
            where = f" in {self.path}" if self.path else ""
            raise KeyError(f"reference {key!r} not found{where}") from None

    def source(self, key: str) -> str:
        """Return the source of ``key``.

        Parameters
        ----------
        key : str
            The reference's key.

        Returns
        -------
        str
            The source.
        """
        return self.ref(key).source

    def replace(self, **values) -> References:
        """Return a copy with some values replaced (tests perturb references this way).

        Parameters
        ----------
        **values
            Key -> new value.

        Returns
        -------
        :class:`References`
            The copy.
        """
        rows = dict(self.rows)
        for k, v in values.items():
            rows[k] = dataclasses.replace(self.ref(k), value=v)
        return References(rows, self.path)


# ---------------------------------------------------------------------------
# cases

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
