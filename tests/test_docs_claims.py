"""Every pointer from the docs to the validation suite names something that exists.

A claim in the docs points to the suite as "(validation case `NAME`)" or
"(validation case `NAME`, check `CHECK`)" ("checks `A`, `B`" for several). Rules:

* NAME is a case of the registry (``mgmeso.validation.all_cases()``);
* CHECK is a check of that case in the committed full report
  (``validation/report/report.md``, the table a reader opens): its exact name, or a
  prefix of exactly one of the case's check names;
* a path ``validation/DIR`` written in the docs is a directory of the source tree.

Reads Markdown only (no case is run), so it costs milliseconds.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mgmeso.validation import all_cases

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
REPORT = ROOT / "validation" / "report" / "report.md"

# (validation case `name`) or (validation case `name`, check(s) `a`[, `b`][ and `c`]);
# a pointer may wrap over lines of the Markdown source
POINTER = re.compile(r"validation\s+case\s+`([^`]+)`"
                     r"(?:,\s+checks?\s+(`[^`]+`(?:(?:,\s+|\s+and\s+)`[^`]+`)*))?")
CHECK = re.compile(r"`([^`]+)`")
# "validation cases `a`, `b` and `c`": every one registered (no checks named)
CASES = re.compile(r"validation\s+cases\s+(`\w+`(?:(?:,\s+|\s+and\s+)`\w+`)*)")
SUMMARY_ROW = re.compile(r"^\| \[(\w+)\]\(#\w+\) \|(.*)$")
PATH = re.compile(r"(?<![/\w])validation/([A-Za-z0-9_]+(?:\.[A-Za-z0-9]+)?)")


def _cells(row: str) -> list[str]:
    """Cells of a Markdown table row, with escaped pipes restored."""
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]


def report_checks() -> dict[str, list[str]]:
    """Check names per case, from the summary table of the committed report."""
    checks: dict[str, list[str]] = {}
    for line in REPORT.read_text(encoding="utf-8").splitlines():
        m = SUMMARY_ROW.match(line)
        if m:
            checks.setdefault(m.group(1), []).append(_cells(m.group(2))[0])
    return checks


def pointers() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, case, [checks]) for every pointer in the docs."""
    out = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        for m in POINTER.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            names = [" ".join(c.split()) for c in CHECK.findall(m.group(2) or "")]
            out.append((path.name, line, m.group(1), names))
    return out


def test_report_has_a_summary_table():
    checks = report_checks()
    assert len(checks) >= 10 and sum(map(len, checks.values())) >= 50


def test_docs_point_to_the_suite():
    # the owned docs carry pointers; an empty list would make the next test vacuous
    files = {f for f, *_ in pointers()}
    assert {"theory.md", "percolation.md", "model.md"} <= files


@pytest.mark.parametrize("where,case,checks",
                         [(f"{f}:{n}", c, k) for f, n, c, k in pointers()],
                         ids=lambda v: v if isinstance(v, str) else None)
def test_pointer_names_a_case_and_its_checks(where, case, checks):
    cases = all_cases()
    assert case in cases, f"{where}: no validation case {case!r} (cases: {', '.join(cases)})"
    if not checks:
        return
    known = report_checks().get(case)
    assert known, (f"{where}: case {case!r} is not in {REPORT.relative_to(ROOT)}: rerun "
                   "`mgmeso validate --full --out validation/report --overwrite`")
    for name in checks:
        hits = [k for k in known if k == name] or [k for k in known if k.startswith(name)]
        assert len(hits) == 1, (f"{where}: check {name!r} of case {case!r} matches {len(hits)} "
                                f"checks; its checks are: {known}")


def test_lists_of_cases_are_registered():
    cases = all_cases()
    bad = [f"{path.name}: {name}" for path in DOCS
           for m in CASES.finditer(path.read_text(encoding="utf-8"))
           for name in CHECK.findall(m.group(1)) if name not in cases]
    assert not bad, bad


def test_validation_paths_in_the_docs_exist():
    missing = []
    for path in DOCS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for d in PATH.findall(line):
                if not (ROOT / "validation" / d).exists():
                    missing.append(f"{path.name}:{n}: validation/{d}")
    assert not missing, missing
