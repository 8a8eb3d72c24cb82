"""One naming of standard errors in every table mgmeso ships: ``<name>_se``, the suffix last.

The name of the estimated quantity (with its unit) comes first and ``_se`` ends the column,
as ``mgmeso export``, ``mgmeso compare`` and ``mgmeso theory`` write them
(``E_storage_MPa`` -> ``E_storage_MPa_se``), never ``E_storage_se_MPa``.
"""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: "_se" followed by more of the name: the old naming
OLD = re.compile(r"_se_|^se_")


def _tracked_csvs() -> list[Path]:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "*.csv"], capture_output=True,
                             text=True, check=True, timeout=30).stdout.split()
        return [ROOT / p for p in out]
    except (OSError, subprocess.SubprocessError):
        return sorted(p for d in ("validation", "docs") for p in (ROOT / d).rglob("*.csv"))


def test_every_shipped_table_names_standard_errors_name_se():
    files = _tracked_csvs()
    assert len(files) > 10
    bad = []
    for p in files:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            header = next(csv.reader(fh), [])
        bad += [f"{p.relative_to(ROOT)}: {c}" for c in header if OLD.search(c)]
    assert not bad, "standard errors not named <name>_se:\n" + "\n".join(bad)
