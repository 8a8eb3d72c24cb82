"""Run validation cases, in parallel processes where asked, and collect their results.

Each case runs as ``measure`` (expensive), ``judge`` (cheap) and ``figure``; a case
that raises is reported as ``fail`` with its traceback, and never stops the others.
Cases are independent, so they run in a :class:`concurrent.futures.ProcessPoolExecutor`
(longest first, for balance); ``jobs = 1`` runs them in this process.
"""

from __future__ import annotations

import io
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from .core import CASES, FAIL, NOT_RUN, Case, Check, Context, References, case_status

__all__ = ["CaseResult", "all_cases", "judge", "run_case", "run_cases", "select_cases"]


@dataclass
class CaseResult:
    """Outcome of one case."""

    name: str
    group: str
    title: str
    source: str
    status: str
    checks: list[Check]
    seconds: float
    png: bytes | None = None
    error: str = ""
    measured: dict = field(default_factory=dict, repr=False)


def all_cases() -> dict[str, Case]:
    """Return every registered case (importing :mod:`.cases` registers them).

    Returns
    -------
    dict of str to Case
        Name -> case.
    """
    from . import cases  # noqa: F401  (registers every case)

    return CASES


def select_cases(names: list[str] | None) -> list[Case]:
    """Return the named cases (all when ``names`` is empty); unknown names are a user error.

    Parameters
    ----------
    names : list of str, optional
        Case names.

    Returns
    -------
    list of Case
        The cases, without repeats.

    Raises
    ------
    UserError
        Naming unknown cases, or a missing ``validation/`` directory.
    """
    from ..config.fields import suggest
    from ..errors import UserError
    from .core import validation_root

    root = validation_root()
    if not root.is_dir():
        raise UserError(f"the validation case directory {root} does not exist: mgmeso validate reads "
                        "each case's configs and reference numbers from the validation/ directory of "
                        "a source checkout; set MGMESO_VALIDATION_DIR to that directory")
    reg = all_cases()
    if not names:
        return list(reg.values())
    bad = [n for n in names if n not in reg]
    if bad:
        raise UserError([f"--case {n}: no such validation case{suggest(n, list(reg))} "
                         f"(cases: {', '.join(reg)})" for n in bad])
    return [reg[n] for n in dict.fromkeys(names)]


def judge(case: Case, measured: dict, refs: References | None = None) -> tuple[str, list[Check]]:
    """Status and checks of a measurement against the case's (or the given) references.

    Parameters
    ----------
    case : Case
        The case.
    measured : dict
        Its measurement.
    refs : References, optional
        References to judge against (default: the case's).

    Returns
    -------
    (str, list of Check)
        The status and the checks.
    """
    assert case.judge is not None, f"case {case.name} is a placeholder"
    checks = case.judge(measured, refs if refs is not None else case.references())
    return case_status(checks), checks


def _png(fig) -> bytes:
    from ..plotting import plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def run_case(name: str, mode: str = "quick", material_overrides: dict | None = None,
             options: dict | None = None, figure: bool = True) -> CaseResult:
    """Run one case in this process (see the module docstring).

    Parameters
    ----------
    name : str
        The case.
    mode : {'quick', 'full'}
        Settings.
    material_overrides : dict, optional
        Material keys changed on top of the case's.
    options : dict, optional
        Options of the case's context.
    figure : bool
        Draw its figure.

    Returns
    -------
    CaseResult
        Status, checks, figure (PNG bytes), time and measurement; a case that raised is
        ``fail`` with its traceback.
    """
    case = all_cases()[name]
    t0 = time.perf_counter()
    base: dict[str, Any] = dict(name=case.name, group=case.group, title=case.title,
                                source=case.source)
    if case.placeholder:
        chk = Check("not run", "-", "-", "", "-", NOT_RUN, NOT_RUN, "", case.placeholder)
        return CaseResult(**base, status=NOT_RUN, checks=[chk], seconds=0.0)
    ctx = Context(case.name, mode, case.settings(mode), dict(material_overrides or {}),
                  dict(options or {}))
    measured: dict = {}
    try:
        refs = case.references()
        assert case.measure is not None  # placeholders returned above
        measured = case.measure(ctx)
        status, checks = judge(case, measured, refs)
        png = _png(case.figure(measured, refs)) if (figure and case.figure) else None
        return CaseResult(**base, status=status, checks=checks, png=png,
                          seconds=time.perf_counter() - t0, measured=measured)
    except Exception:  # noqa: BLE001 - a broken case is a failed case, reported with its traceback
        return CaseResult(**base, status=FAIL, checks=[], seconds=time.perf_counter() - t0,
                          error=traceback.format_exc(), measured=measured)


def run_cases(cases: list[Case], mode: str = "quick", jobs: int = 1, progress=None) -> list[CaseResult]:
    """Run the cases (in ``jobs`` processes) and return their results in the given order.

    ``progress(result, done, total)`` is called as each case finishes.

    Parameters
    ----------
    cases : list of Case
        The cases.
    mode : {'quick', 'full'}
        Settings.
    jobs : int
        Worker processes (1: this process).
    progress : callable, optional
        See above.

    Returns
    -------
    list of CaseResult
        In the order of ``cases``.
    """
    names = [c.name for c in cases]
    order = sorted(names, key=lambda n: -float(all_cases()[n].settings(mode).get("cost_s", 1.0)))
    results: dict[str, CaseResult] = {}
    if jobs <= 1 or len(names) <= 1:
        for i, n in enumerate(order, start=1):
            results[n] = run_case(n, mode)
            if progress:
                progress(results[n], i, len(names))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(run_case, n, mode): n for n in order}
            for i, fut in enumerate(as_completed(futs), start=1):
                n = futs[fut]
                try:
                    results[n] = fut.result()
                except Exception:  # noqa: BLE001 - the worker itself died
                    c = all_cases()[n]
                    results[n] = CaseResult(c.name, c.group, c.title, c.source, FAIL, [], 0.0,
                                            error=traceback.format_exc())
                if progress:
                    progress(results[n], i, len(names))
    return [results[n] for n in names]
