"""The validation suite: closed forms, the mean-field model and the papers, case by case.

``mgmeso validate`` runs the registered cases (:mod:`.cases`) and writes a report
(:mod:`.report`). Case code lives in ``mgmeso/validation/cases/*.py``; each case's
README, configs and reference numbers (``reference.csv``) live in
``validation/<case>/`` of the source tree (or ``$MGMESO_VALIDATION_DIR``), which
the code reads at run time. See :mod:`.core` for statuses and checks.
"""

from .core import (
                   CASES,
                   DISAGREES,
                   FAIL,
                   NOT_REPRODUCIBLE,
                   NOT_RUN,
                   PASS,
                   STATUSES,
                   Case,
                   Check,
                   Context,
                   References,
                   validation_root,
)
from .runner import CaseResult, all_cases, judge, run_case, run_cases, select_cases

__all__ = [
                   "CASES",
                   "DISAGREES",
                   "FAIL",
                   "NOT_REPRODUCIBLE",
                   "NOT_RUN",
                   "PASS",
                   "STATUSES",
                   "Case",
                   "CaseResult",
                   "Check",
                   "Context",
                   "References",
                   "all_cases",
                   "judge",
                   "run_case",
                   "run_cases",
                   "select_cases",
                   "validation_root",
]
