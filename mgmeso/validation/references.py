"""Reference tables of the validation suite: the literature numbers of a case, read from
``validation/<case>/`` with their provenance.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UserError


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
