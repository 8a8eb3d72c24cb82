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

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError
from .columns import (
    RANGES,
    parse_column_map,
)
from .data_columns import _MAX_ERRORS, _read_columns, default_column_map
from .data_curves import _groups, _sort_and_check, _thin
from .kinds import _PKG, KINDS, normalise_kind
from .textfile import read_raw_table

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

#: rows kept per file by default (more are thinned with a notice)
DEFAULT_MAX_POINTS = 4000


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
