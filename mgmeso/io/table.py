"""A named-column result table, written as plain CSV with unit-carrying column names.

Column names follow the package convention (``temperature_K``,
``E_loss_MPa``, ``strain_plastic``): the unit is the suffix, dimensionless
columns have none. The CSV has exactly one header row, so ``numpy.genfromtxt``,
``pandas.read_csv`` and spreadsheet programs read it as is; metadata goes to a
JSON file beside it.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import atomic_write

__all__ = ["Table", "read_csv_columns"]


@dataclass
class Table:
    """Ordered columns of equal length, plus free-form metadata."""

    columns: dict[str, np.ndarray]
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        lengths = {k: np.asarray(v).shape for k, v in self.columns.items()}
        shapes = set(lengths.values())
        if len(shapes) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")
        self.columns = {k: np.asarray(v) for k, v in self.columns.items()}

    def __len__(self) -> int:
        return 0 if not self.columns else len(next(iter(self.columns.values())))

    def __getitem__(self, key: str) -> np.ndarray:
        return self.columns[key]

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return list(self.columns)

    @staticmethod
    def concat(tables: list[Table]) -> Table:
        """Stack tables with the same columns row-wise (the first one's metadata).

        Parameters
        ----------
        tables : list of Table
            Tables with identical column names.

        Returns
        -------
        Table
            The stacked table.

        Raises
        ------
        ValueError
            If the columns differ.
        """
        names = tables[0].names
        for t in tables[1:]:
            if t.names != names:
                raise ValueError("cannot concatenate tables with different columns")
        return Table({k: np.concatenate([t[k] for t in tables]) for k in names}, dict(tables[0].meta))

    def to_csv(self, path: Path) -> None:
        """Write atomically (the caller has checked for overwriting).

        Parameters
        ----------
        path : pathlib.Path
            The CSV file.
        """
        with atomic_write(Path(path), "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(self.names)
            cols = [self.columns[k] for k in self.names]
            for row in zip(*cols):
                w.writerow([_fmt(v) for v in row])

    def write_meta(self, path: Path) -> None:
        """Write the metadata as JSON, atomically.

        Parameters
        ----------
        path : pathlib.Path
            The JSON file.
        """
        with atomic_write(Path(path), "w", encoding="utf-8") as fh:
            json.dump(_jsonable(self.meta), fh, indent=2, sort_keys=False)
            fh.write("\n")


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        return repr(float(v)) if np.isfinite(v) else "nan"
    return str(v)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return f if np.isfinite(f) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def read_csv_columns(path: Path) -> dict[str, np.ndarray]:
    """Read a CSV written by :meth:`Table.to_csv` back into columns.

    Numeric columns come back as float arrays; a text column (e.g. the reason a fit
    was refused, or the ``case`` labels) as an array of strings.

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.

    Returns
    -------
    dict of str to numpy.ndarray
        (rows,) per column: float64, or str for a text column.
    """
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    names = rows[0]
    cells = np.array(rows[1:], dtype=str).reshape(-1, len(names))
    out: dict[str, np.ndarray] = {}
    for i, n in enumerate(names):
        try:
            out[n] = cells[:, i].astype(float)
        except ValueError:
            out[n] = cells[:, i]
    return out
