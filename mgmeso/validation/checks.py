"""Checks of the validation suite: one measured number against one reference under a stated
tolerance, its raw status and the status its README documents (see
:mod:`mgmeso.validation.core`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

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
