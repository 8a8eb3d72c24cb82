"""Columns of a measurement file: the default column map from its header, each column's unit, and
the strict parsing and range check of its cells into package units (see
:mod:`mgmeso.fit.data`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import numpy as np

from ..errors import DataError
from .columns import (
    CANONICAL,
    RANGES,
    UNITS,
    package_name,
    row_unit_spellings,
    split_key,
    unit_from_row,
)
from .textfile import NumberError, parse_number, read_raw_table, show

#: problems listed per file before the rest are counted
_MAX_ERRORS = 20
_COLUMN = re.compile(r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\n)*"
                     r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def default_column_map(path: Path) -> dict[str, str]:
    """Without a column map, the headers that are already column keys (``temperature_K``, ...).

    Parameters
    ----------
    path : pathlib.Path
        The data file.

    Returns
    -------
    dict of str to str
        Column key -> header.

    Raises
    ------
    DataError
        When no header is a column key.
    """
    raw = read_raw_table(Path(path))
    out = {}
    for h in raw.header:
        try:
            split_key(h)
        except DataError:
            continue
        out[h] = h
    if not out:
        cols = ", ".join(f"{h!r}" + (f" [{u}]" if raw.units and u else "")
                         for h, u in zip(raw.header, raw.units or [""] * len(raw.header)))
        raise DataError(f"{path}: no header is a known column key (headers: {cols}); map the "
                        f"columns with --columns, e.g. temperature_degC=Temp,E_loss_GPa=E2, or "
                        f"frequency=f,temperature=T when a units row gives the units")
    return out


def _column_unit(path, raw, base, unit, head, j, errors) -> str | None:
    """Return the file unit of a mapped column: key suffix and/or units row, which must agree."""
    qty = CANONICAL[base]
    table = UNITS[qty][1]
    norm = {"C": "degC", "pct": "percent"}
    row_unit = None
    if raw.units is not None and raw.units[j] != "":
        row_unit = unit_from_row(base, raw.units[j])
        if row_unit is None:
            errors.append(f"{path}: line {raw.units_line}, column {head!r}: unit {raw.units[j]!r} "
                          f"is not known for {base} (known: {row_unit_spellings(base)}); map the "
                          f"column with a unit suffix instead, e.g. {base}_{next(iter(table))}")
            return None
    if unit is not None and row_unit is not None and norm.get(unit, unit) != norm.get(row_unit, row_unit):
        errors.append(f"{path}: line {raw.units_line}, column {head!r}: the units row says "
                      f"{raw.units[j]!r} but the column map says {base}_{unit}; drop the suffix to "
                      f"use the units row, or correct it")
        return None
    if unit is not None:
        return unit
    if row_unit is not None:
        return row_unit
    if "" in table:
        return ""
    errors.append(f"{path}: column {head!r} ({base}) has no unit: give it in the key "
                  f"({', '.join(f'{base}_{u}' for u in table)}) or in a units row below the header")
    return None


def _read_columns(path, raw, column_map, poisson_ratio, errors):
    cols: dict[str, np.ndarray] = {}
    labels = None
    n = len(raw.rows)
    for key, head in column_map.items():
        base, unit = split_key(key)
        where = [j for j, h in enumerate(raw.header) if h == head]
        if not where:
            near = difflib.get_close_matches(head, raw.header, n=1)
            errors.append(f"{path}: column {head!r} (for {key}) not in the header on line "
                          f"{raw.header_line} {raw.header}"
                          + (f"; did you mean {near[0]!r}?" if near else ""))
            continue
        if len(where) > 1:
            errors.append(f"{path}: line {raw.header_line}: header {head!r} (for {key}) names "
                          f"columns {', '.join(str(j + 1) for j in where)}: ambiguous; rename one")
            continue
        j = where[0]
        unit = _column_unit(path, raw, base, unit, head, j, errors)
        if unit is None:
            continue
        name = package_name(base)
        if CANONICAL[base] == "label":
            labels = [r[j] for _, r in raw.rows]
            for k, lab in enumerate(labels):
                if lab == "":
                    errors.append(f"{path}: line {raw.rows[k][0]}, column {head!r}: empty {base} label")
            continue
        lo, hi, lo_ok, why = RANGES[name]
        scale, offset = UNITS[CANONICAL[base]][1][unit]
        factor = 2.0 * (1.0 + poisson_ratio) if base.startswith("G_") else 1.0
        pkg_unit = UNITS[CANONICAL[base]][0]
        cells = [r[j] for _, r in raw.rows]
        if _COLUMN.fullmatch("\n".join(cells)):      # fast path: every cell a plain number
            vals = factor * (scale * np.array(cells, dtype=float) + offset)
            bad = ~np.isfinite(vals)
        else:
            vals = np.full(n, np.nan)
            bad = np.zeros(n, bool)
            for k, cell in enumerate(cells):
                try:
                    vals[k] = factor * (scale * parse_number(cell) + offset)
                except NumberError as exc:
                    errors.append(f"{path}: line {raw.rows[k][0]}, column {head!r}: {exc}")
                    if len(errors) > _MAX_ERRORS:
                        break
        with np.errstate(invalid="ignore"):
            bad |= np.isfinite(vals) & ((vals < lo if lo_ok else vals <= lo) | (vals > hi))
        for k in np.flatnonzero(bad)[:_MAX_ERRORS]:
            ln, cell, v = raw.rows[k][0], cells[k], vals[k]
            if not np.isfinite(v):
                errors.append(f"{path}: line {ln}, column {head!r}: {show(cell)} overflows a double")
                continue
            br = "[" if lo_ok else "("
            conv = f" = {v:.6g} {pkg_unit}".rstrip() if (scale, offset, factor) != (1, 0, 1) else ""
            errors.append(f"{path}: line {ln}, column {head!r}: {show(cell, quote=False)}{conv} is "
                          f"outside {br}{lo:g}, {hi:g}] {pkg_unit}".rstrip() + f" for {name}: {why}")
        cols[name] = vals
    return cols, labels
