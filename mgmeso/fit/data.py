"""Reading measurement files for fitting: column mapping, unit conversion, grouping, validation.

The text is split into cells by :mod:`mgmeso.fit.textfile` (separators, encodings, units row);
:mod:`mgmeso.fit.columns` says what a column key means and which values are physical. Here the
cells become a :class:`Dataset` in package units:

* every cell is parsed strictly and range-checked; every problem is reported with the file, the
  1-based line and the column header, and nothing is silently dropped;
* rows are grouped into curves: isothermal sweeps and relaxation curves by temperature within a
  tolerance (an instrument logs the temperature per point, and it drifts by tenths of a kelvin
  within a sweep), isochronal scans by frequency, or, when the file has one, by a sweep/set column;
* within a curve the abscissa must be strictly monotonic (DMA: either direction, then sorted;
  time: increasing); duplicates are errors;
* a file with more rows than ``max_points`` is thinned, evenly in the abscissa's fit coordinate
  (ln t, log f, T) within each curve, with a notice: a 120,000-row export fits in seconds instead
  of minutes and gigabytes.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .columns import (
    CANONICAL,
    RANGES,
    UNITS,
    package_name,
    parse_column_map,
    row_unit_spellings,
    split_key,
    unit_from_row,
)
from .textfile import NumberError, parse_number, read_raw_table, show

__all__ = [
    "DEFAULT_MAX_POINTS",
    "KINDS",
    "Dataset",
    "check_constant",
    "default_column_map",
    "normalise_kind",
    "parse_column_map",
    "read_dataset",
]

#: data kinds: required columns (alternatives joined by '|'), abscissa, grouping quantity
KINDS = {
    "dma-isochronal": (("temperature", "E_loss|tan_delta"), "temperature", "frequency"),
    "dma-isothermal": (("temperature", "frequency", "E_loss|tan_delta"), "frequency", "temperature"),
    "creep": (("time", "strain"), "time", None),
    "creep-recovery": (("time", "strain", "stress"), "time", None),
    "relaxation": (("time", "stress"), "time", "temperature"),
}
_ALIASES = {"stress-relaxation": "relaxation"}
#: rows kept per file by default (more are thinned with a notice)
DEFAULT_MAX_POINTS = 4000
_PKG = {"temperature": "temperature_K", "time": "time_s", "frequency": "frequency_Hz",
        "E_loss": "E_loss_MPa", "tan_delta": "tan_delta", "strain": "strain", "stress": "stress_MPa"}
_MAX_ERRORS = 20
_COLUMN = re.compile(r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\n)*"
                     r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def normalise_kind(kind: str) -> str:
    """``dma_isothermal`` (config spelling) and ``dma-isothermal`` both name one kind.

    Parameters
    ----------
    kind : str
        A data kind in either spelling.

    Returns
    -------
    str
        The kind as in :data:`KINDS`.

    Raises
    ------
    DataError
        For an unknown kind.
    """
    k = str(kind).strip().lower().replace("_", "-")
    k = _ALIASES.get(k, k)
    if k not in KINDS:
        raise DataError(f"--kind {kind!r}: must be one of {', '.join(KINDS)} (underscores, as in "
                        f"the configs' dma_isothermal, are accepted too)")
    return k


def check_constant(flag: str, name: str, value) -> float:
    """Check a constant given for a whole file (``--temperature-K``): finite and in the column's range.

    Parameters
    ----------
    flag : str
        The command-line flag, for the message.
    name : str
        Package column it stands for (a key of :data:`RANGES`).
    value : object
        The value.

    Returns
    -------
    float
        The value.

    Raises
    ------
    DataError
        Naming the flag, the value and the range.
    """
    lo, hi, lo_ok, why = RANGES[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{flag} {value!r}: not a number") from None
    if not math.isfinite(v) or not (lo <= v if lo_ok else lo < v) or v > hi:
        unit = name.rsplit("_", 1)[-1]
        raise DataError(f"{flag} {value}: must be a finite number in {'[' if lo_ok else '('}{lo:g}, "
                        f"{hi:g}] {unit}: {why}")
    if name == "stress_MPa" and v <= 0:
        raise DataError(f"{flag} {value}: a creep stress must be positive (MPa)")
    return v


@dataclass
class Dataset:
    """One measurement file in package units, rows grouped into curves and sorted.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    columns : dict
        Canonical name with package unit (``temperature_K``, ``E_loss_MPa``, ``time_s``,
        ``strain``, ``stress_MPa``, ``tan_delta``) -> float64 array, shape (n,).
    path : Path
    lines : int array, shape (n,)
        1-based line number in the file of each row.
    group : int array, shape (n,)
        Curve index of each row (0, 1, ...; rows of one curve are contiguous).
    group_value : float array
        Per curve: the mean of the grouping column (temperature of an isotherm, frequency of an
        isochronal scan), NaN when the kind has none.
    meta : dict
        ``notes`` (units read, thinning) and ``group_labels`` (sweep/set labels, if any).
    """

    kind: str
    columns: dict[str, np.ndarray]
    path: Path
    lines: np.ndarray
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    group_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.group.size != self.lines.size:        # one curve
            self.group = np.zeros(self.lines.size, int)
        if self.group_value.size != int(self.group.max(initial=-1)) + 1:
            self.group_value = np.full(int(self.group.max(initial=-1)) + 1, np.nan)
        self.meta.setdefault("notes", [])

    def __len__(self) -> int:
        return self.lines.size

    def curves(self):
        """``(group value, index array)`` per curve, in order.

        Yields
        ------
        (float, numpy.ndarray)
            The curve's grouping value (K or Hz; NaN if none) and its row indices.
        """
        for g in range(self.group_value.size):
            yield float(self.group_value[g]), np.flatnonzero(self.group == g)


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


def _groups(path, kind, cols, labels, lines, tol_K, errors):
    """Curve index per row and the grouping column's mean per curve."""
    _, _, gq = KINDS[kind]
    gname = _PKG.get(gq) if gq else None
    if labels is not None:
        first: dict[str, int] = {}
        for lab in labels:
            first.setdefault(lab, len(first))
        return np.array([first[lab] for lab in labels]), list(first)
    if gname is None or gname not in cols:
        return np.zeros(lines.size, int), None
    v = cols[gname]
    order = np.argsort(v, kind="stable")
    if gname == "temperature_K":
        gaps = np.diff(v[order]) > tol_K
        what = f"--temperature-tolerance-K {tol_K:g}"
    else:
        gaps = np.diff(np.log(v[order])) > 1e-3
        what = "0.1 %"
    g = np.empty(v.size, int)
    g[order] = np.concatenate([[0], np.cumsum(gaps)])
    if gname == "temperature_K":
        for k in range(int(g.max()) + 1):
            idx = np.flatnonzero(g == k)
            spread = v[idx].max() - v[idx].min()
            if spread > 3 * tol_K:
                errors.append(f"{path}: temperatures from {v[idx].min():g} to {v[idx].max():g} K "
                              f"(lines {lines[idx].min()}-{lines[idx].max()}) do not form isothermal "
                              f"steps within {what}: for a temperature scan use --kind "
                              f"dma-isochronal; otherwise map a sweep/set column (sweep=HEADER) or "
                              f"widen the tolerance")
                break
    return g, None


def _sort_and_check(path, kind, cols, lines, g, errors):
    """Sort rows by (curve, abscissa); the abscissa must be strictly monotonic in each curve."""
    absc = _PKG[KINDS[kind][1]]
    x = cols[absc]
    grp_label = {"temperature_K": "temperature", "frequency_Hz": "frequency"}
    perm = []
    for k in range(int(g.max()) + 1 if g.size else 0):
        idx = np.flatnonzero(g == k)
        d = np.diff(x[idx])
        both = kind.startswith("dma")
        bad = np.flatnonzero(d == 0)
        if not bad.size:
            if both and np.all(d < 0):
                idx = idx[::-1]
            elif not np.all(d > 0):
                sign = -1 if both and d.size and d[0] < 0 else 1
                bad = np.flatnonzero(sign * d <= 0)
        for b in bad[:5]:
            a, c = idx[b], idx[b + 1]
            what = "duplicates" if x[c] == x[a] else "reverses the direction at"
            errors.append(f"{path}: line {lines[c]}: {absc} {x[c]:g} {what} line {lines[a]} "
                          f"({x[a]:g}); the {absc.split('_')[0]} must "
                          + ("increase or decrease strictly within each curve"
                             if both else "increase strictly") +
                          (" (curves are told apart by "
                           + grp_label.get(_PKG.get(KINDS[kind][2] or "", ""), "a sweep column")
                           + "; map a sweep/set column if two curves overlap)" if KINDS[kind][2] else ""))
        perm.append(idx)
    return np.concatenate(perm) if perm else np.arange(0)


def _thin(ds_cols, lines, g, kind, max_points):
    """Return the indices kept: evenly spaced in the fit coordinate of the abscissa within each curve."""
    n = lines.size
    x = ds_cols[_PKG[KINDS[kind][1]]]
    keep = []
    for k in range(int(g.max()) + 1):
        idx = np.flatnonzero(g == k)
        m = max(min(idx.size, 3), math.ceil(idx.size * max_points / n))
        if m >= idx.size:
            keep.append(idx)
            continue
        xi = x[idx]
        if KINDS[kind][1] != "temperature":         # frequency or time: even in the log
            pos = xi[xi > 0]
            xi = np.log(xi if pos.size == xi.size else xi + (pos.min() if pos.size else 1.0))
        targets = np.linspace(xi[0], xi[-1], m)
        pick = np.unique(np.clip(np.searchsorted(xi, targets), 0, idx.size - 1))
        keep.append(idx[pick])
    return np.concatenate(keep)


def read_dataset(path: str | Path, kind: str, column_map: dict[str, str], *,
                 poisson_ratio: float = 0.35, frequency_Hz: float | None = None,
                 temperature_K: float | None = None, stress_MPa: float | None = None,
                 temperature_tolerance_K: float = 1.0,
                 max_points: int | None = DEFAULT_MAX_POINTS) -> Dataset:
    """Read, validate, group and (if large) thin one measurement file.

    Parameters
    ----------
    path : file
    kind : one of :data:`KINDS` (``_`` or ``-``)
    column_map : dict
        Key (``temperature_degC``, or ``temperature`` with a units row) -> header in the file.
    poisson_ratio : float
        For shear moduli: ``E = 2 (1 + nu) G``.
    frequency_Hz, temperature_K, stress_MPa : float, optional
        Constant values for columns the file does not hold.
    temperature_tolerance_K : float
        Rows whose temperatures differ by no more than this (K) belong to one isotherm.
    max_points : int or None
        Rows kept (None or 0: all).

    Raises
    ------
    DataError
        With file, line and column for every problem found.

    Returns
    -------
    Dataset
        Columns in package units, line numbers, curve groups and notes.
    """
    path = Path(path)
    kind = normalise_kind(kind)
    if not (isinstance(poisson_ratio, (int, float)) and 0.0 <= poisson_ratio < 0.5):
        raise DataError(f"--poisson-ratio {poisson_ratio}: must be in [0, 0.5) for an isotropic solid")
    if not (math.isfinite(temperature_tolerance_K) and 0 < temperature_tolerance_K <= 50):
        raise DataError(f"--temperature-tolerance-K {temperature_tolerance_K}: must be in (0, 50] K")
    consts = {}
    for flag, name, v in (("--frequency-Hz", "frequency_Hz", frequency_Hz),
                          ("--temperature-K", "temperature_K", temperature_K),
                          ("--stress-MPa", "stress_MPa", stress_MPa)):
        if v is not None:
            consts[name] = (flag, check_constant(flag, name, v))
    raw = read_raw_table(path)
    if not raw.rows:
        raise DataError(f"{path}: header only, no data rows")
    errors: list[str] = []
    cols, labels = _read_columns(path, raw, column_map, poisson_ratio, errors)
    if errors:
        raise DataError(_cap(errors))
    n = len(raw.rows)
    for name, (flag, v) in consts.items():
        if name in cols:
            raise DataError(f"{flag} {v:g}: {path} has a {name.split('_')[0]} column; the constant "
                            f"is for files without one (drop {flag} or the column from --columns)")
        cols[name] = np.full(n, v)
    required, absc, gq = KINDS[kind]
    for req in required:
        alts = [_PKG[a] for a in req.split("|")]
        if not any(a in cols for a in alts):
            hint = {"temperature_K": " or give --temperature-K", "frequency_Hz": " or give --frequency-Hz",
                    "stress_MPa": " or give --stress-MPa"}.get(alts[0], "")
            errors.append(f"{path}: {kind} data need a column {' or '.join(alts)} (map it with "
                          f"--columns, e.g. {req.split('|')[0]}=HEADER{hint})")
    if labels is not None and gq is None:
        errors.append(f"{path}: {kind} files hold one curve; a sweep/set column is for DMA sweeps and "
                      f"relaxation curves")
    if errors:
        raise DataError(errors)
    lines = np.array([ln for ln, _ in raw.rows])
    g, glabels = _groups(path, kind, cols, labels, lines, temperature_tolerance_K, errors)
    if errors:
        raise DataError(errors)
    perm = _sort_and_check(path, kind, cols, lines, g, errors)
    if errors:
        raise DataError(_cap(errors))
    cols = {k: v[perm] for k, v in cols.items()}
    lines, g = lines[perm], g[perm]
    notes = []
    if raw.units is not None:
        notes.append(f"units row on line {raw.units_line} read: " + ", ".join(
            f"{h} [{u}]" for h, u in zip(raw.header, raw.units) if h in column_map.values() and u))
    if max_points and n > max_points:
        keep = _thin(cols, lines, g, kind, max_points)
        notes.append(f"{n} rows thinned to {keep.size} (evenly in {'log ' if absc != 'temperature' else ''}"
                     f"{absc} within each curve) to keep the fit fast and its memory small; "
                     f"--max-points sets how many are kept")
        cols = {k: v[keep] for k, v in cols.items()}
        lines, g = lines[keep], g[keep]
    gname = _PKG.get(gq) if gq else None
    ng = int(g.max()) + 1
    gval = np.array([cols[gname][g == k].mean() if gname in cols else np.nan for k in range(ng)])
    meta = {"notes": notes, "encoding": raw.encoding}
    if glabels is not None:
        meta["group_labels"] = glabels
        if gname == "temperature_K" and gname in cols:
            for k in range(ng):
                t = cols[gname][g == k]
                if t.max() - t.min() > 3 * temperature_tolerance_K:
                    notes.append(f"sweep {glabels[k]!r} spans {t.min():g}-{t.max():g} K: not "
                                 f"isothermal within {3 * temperature_tolerance_K:g} K")
    return Dataset(kind, cols, path, lines, g, gval, meta)


def _cap(errors: list[str]) -> list[str]:
    if len(errors) > _MAX_ERRORS:
        return errors[:_MAX_ERRORS] + [f"... and {len(errors) - _MAX_ERRORS} more"]
    return errors
