"""Reading measurement files for fitting: column mapping, unit conversion, validation.

Files are CSV (comma or semicolon) or whitespace/tab-separated text with one
header row; lines starting with ``#`` are comments. A column map says which
header holds which quantity, and the *key's unit suffix says the unit of the
file*, e.g. ``temperature_degC=Temp``, ``E_loss_GPa=E''``, ``strain_percent=Strain``,
``time_min=t``. Values are converted to the package units (K, s, MPa, Hz,
strain as a fraction). Shear moduli (``G_storage_*``, ``G_loss_*``) are turned
into Young's moduli with ``E = 2 (1 + nu) G``.

Every problem is reported with the file, the 1-based line number and the
column: missing columns, non-numeric or NaN cells, negative moduli or times,
unsorted or duplicate abscissae. Nothing is silently dropped.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["Dataset", "read_dataset", "parse_column_map", "default_column_map", "KINDS", "CANONICAL"]

#: quantity -> (package unit suffix, {file unit suffix: (scale, offset)}) with package = scale * file + offset
_UNITS = {
    "temperature": ("K", {"K": (1.0, 0.0), "degC": (1.0, 273.15), "C": (1.0, 273.15)}),
    "time": ("s", {"s": (1.0, 0.0), "ms": (1e-3, 0.0), "min": (60.0, 0.0), "h": (3600.0, 0.0)}),
    "frequency": ("Hz", {"Hz": (1.0, 0.0), "rad_per_s": (1.0 / (2 * math.pi), 0.0)}),
    "modulus": ("MPa", {"MPa": (1.0, 0.0), "GPa": (1e3, 0.0), "kPa": (1e-3, 0.0), "Pa": (1e-6, 0.0)}),
    "stress": ("MPa", {"MPa": (1.0, 0.0), "GPa": (1e3, 0.0), "kPa": (1e-3, 0.0), "Pa": (1e-6, 0.0)}),
    "strain": ("", {"": (1.0, 0.0), "percent": (1e-2, 0.0), "pct": (1e-2, 0.0)}),
    "ratio": ("", {"": (1.0, 0.0)}),
}

#: canonical column -> quantity kind
CANONICAL = {
    "temperature": "temperature", "time": "time", "frequency": "frequency",
    "E_storage": "modulus", "E_loss": "modulus", "G_storage": "modulus", "G_loss": "modulus",
    "stress": "stress", "strain": "strain", "tan_delta": "ratio",
}

#: data kinds: required columns (alternatives joined by '|'), abscissa, grouping column
KINDS = {
    "dma-isochronal": (("temperature", "E_loss|tan_delta"), "temperature", "frequency"),
    "dma-isothermal": (("temperature", "frequency", "E_loss|tan_delta"), "frequency", "temperature"),
    "creep": (("time", "strain"), "time", None),
    "creep-recovery": (("time", "strain", "stress"), "time", None),
    "relaxation": (("time", "stress"), "time", "temperature"),
}

_KEY = re.compile(r"^(?P<base>temperature|time|frequency|E_storage|E_loss|G_storage|G_loss|stress|"
                  r"strain|tan_delta)(?:_(?P<unit>[A-Za-z_]+))?$")


def parse_column_map(text: str) -> dict[str, str]:
    """``'temperature_degC=Temp,E_loss_GPa=E2'`` -> ``{'temperature_degC': 'Temp', ...}``.

    ``text`` may also name a TOML file with a ``[columns]`` table of the same pairs.
    """
    if text.endswith(".toml"):
        return _column_map_file(Path(text))
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" not in part:
            raise DataError(f"--columns entry {part!r}: expected KEY=HEADER, e.g. temperature_degC=Temp")
        k, v = (s.strip() for s in part.split("=", 1))
        _split_key(k)
        out[k] = v
    return out


def _column_map_file(path: Path) -> dict[str, str]:
    import tomllib

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such column-map file") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None
    table = doc.get("columns")
    extra = [k for k in doc if k != "columns"]
    if not isinstance(table, dict) or extra or not all(isinstance(v, str) for v in table.values()):
        raise DataError(f"{path}: a column-map file holds one [columns] table of KEY = \"HEADER\" "
                        f"pairs, e.g. temperature_degC = \"Temp\"")
    for k in table:
        _split_key(k)
    return dict(table)


def default_column_map(path: Path) -> dict[str, str]:
    """Without a column map, the headers that are already column keys (``temperature_K``, ...)."""
    header, _ = _read_rows(Path(path))
    out = {}
    for h in header:
        try:
            _split_key(h)
        except DataError:
            continue
        out[h] = h
    if not out:
        raise DataError(f"{path}: no header is a known column key; map the columns with --columns "
                        f"(e.g. temperature_degC=Temp,E_loss_GPa=E2)")
    return out


def _split_key(key: str) -> tuple[str, str]:
    m = _KEY.match(key)
    if not m:
        raise DataError(f"column key {key!r}: must be one of {', '.join(CANONICAL)} followed by a "
                        f"unit suffix, e.g. temperature_degC, E_loss_GPa, time_min, strain_percent")
    base, unit = m["base"], m["unit"] or ""
    units = _UNITS[CANONICAL[base]][1]
    if unit not in units:
        allowed = ", ".join(f"{base}_{u}" if u else base for u in units)
        raise DataError(f"column key {key!r}: unknown unit {unit!r} for {base} (allowed: {allowed})")
    return base, unit


@dataclass
class Dataset:
    """One measurement file in package units.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    columns : dict
        Canonical name with package unit (``temperature_K``, ``E_loss_MPa``, ``time_s``,
        ``strain``, ``stress_MPa``, ``tan_delta`` ...) -> float64 array.
    path : Path
    lines : int array
        1-based line number in the file of each row (for messages about residuals).
    """

    kind: str
    columns: dict[str, np.ndarray]
    path: Path
    lines: np.ndarray
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return self.lines.size


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not a text file ({exc.reason} at byte {exc.start})") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise DataError(f"{path}: empty (no header row)")
    head = lines[0][1]
    if "," in head or ";" in head:
        delim = "," if head.count(",") >= head.count(";") else ";"
        rows = list(csv.reader([ln for _, ln in lines], delimiter=delim))
        rows = [[c.strip() for c in r] for r in rows]
    else:
        rows = [ln.split() for _, ln in lines]
    header = rows[0]
    return header, [(lines[k][0], rows[k]) for k in range(1, len(rows))]


def read_dataset(path: str | Path, kind: str, column_map: dict[str, str], *,
                 poisson_ratio: float = 0.35, frequency_Hz: float | None = None,
                 temperature_K: float | None = None, stress_MPa: float | None = None) -> Dataset:
    """Read and validate one measurement file.

    Parameters
    ----------
    path : file
    kind : one of :data:`KINDS`
    column_map : dict
        Key with file unit (``temperature_degC``) -> header in the file.
    poisson_ratio : float
        For shear moduli: ``E = 2 (1 + nu) G``.
    frequency_Hz, temperature_K, stress_MPa : float, optional
        Constant values for columns the file does not hold (e.g. the frequency of
        a single-frequency scan, the temperature of a creep test, the creep stress).

    Raises
    ------
    DataError
        With file, line and column for every problem found.
    """
    path = Path(path)
    if kind not in KINDS:
        raise DataError(f"--kind {kind!r}: must be one of {', '.join(KINDS)}")
    if not 0.0 <= poisson_ratio < 0.5:
        raise DataError(f"--poisson-ratio {poisson_ratio:g}: must be in [0, 0.5) for an isotropic solid")
    header, rows = _read_rows(path)
    if not rows:
        raise DataError(f"{path}: header only, no data rows")
    errors: list[str] = []
    cols: dict[str, np.ndarray] = {}
    lines = np.array([ln for ln, _ in rows])
    for key, head in column_map.items():
        base, unit = _split_key(key)
        if head not in header:
            import difflib
            near = difflib.get_close_matches(head, header, n=1)
            errors.append(f"{path}: column {head!r} (for {key}) not in the header "
                          f"{header}" + (f"; did you mean {near[0]!r}?" if near else ""))
            continue
        j = header.index(head)
        vals = np.empty(len(rows))
        for k, (ln, r) in enumerate(rows):
            cell = r[j] if j < len(r) else ""
            try:
                v = float(cell)
            except ValueError:
                errors.append(f"{path}: line {ln}, column {head!r}: {cell!r} is not a number")
                continue
            if not math.isfinite(v):
                errors.append(f"{path}: line {ln}, column {head!r}: {cell!r} is not a finite number")
            vals[k] = v
        qty = CANONICAL[base]
        pkg_unit, table = _UNITS[qty]
        scale, offset = table[unit]
        vals = scale * vals + offset
        if base.startswith("G_"):
            vals = 2.0 * (1.0 + poisson_ratio) * vals
            base = "E_" + base[2:]
        name = f"{base}_{pkg_unit}" if pkg_unit else base
        if name in cols:
            errors.append(f"{path}: two columns map to {name}")
        cols[name] = vals
    if errors:
        raise DataError(errors[:20] + ([f"... and {len(errors) - 20} more"] if len(errors) > 20 else []))
    for name, v in ((("frequency_Hz"), frequency_Hz), ("temperature_K", temperature_K),
                    ("stress_MPa", stress_MPa)):
        if v is not None and name not in cols:
            cols[name] = np.full(len(rows), float(v))
    _check(path, kind, cols, lines)
    return Dataset(kind, cols, path, lines)


_PKG = {"temperature": "temperature_K", "time": "time_s", "frequency": "frequency_Hz",
        "E_loss": "E_loss_MPa", "tan_delta": "tan_delta", "strain": "strain", "stress": "stress_MPa"}


def _check(path: Path, kind: str, cols: dict, lines: np.ndarray) -> None:
    required, absc, group = KINDS[kind]
    errors = []
    for req in required:
        alts = [_PKG[a] for a in req.split("|")]
        if not any(a in cols for a in alts):
            errors.append(f"{path}: {kind} data need a column {' or '.join(alts)} (map it with "
                          f"--columns, e.g. {alts[0]}=HEADER)")
    if errors:
        raise DataError(errors)
    for name in ("E_storage_MPa", "E_loss_MPa", "tan_delta", "frequency_Hz"):
        if name in cols:
            bad = np.flatnonzero(cols[name] < 0 if name != "frequency_Hz" else cols[name] <= 0)
            for k in bad[:5]:
                errors.append(f"{path}: line {lines[k]}: {name} = {cols[name][k]:g} must be "
                              f"{'positive' if name == 'frequency_Hz' else 'non-negative'}")
    if "temperature_K" in cols:
        for k in np.flatnonzero(cols["temperature_K"] <= 0)[:5]:
            errors.append(f"{path}: line {lines[k]}: temperature {cols['temperature_K'][k]:g} K "
                          f"must be above 0 K (wrong unit? use temperature_degC=...)")
    x = cols[_PKG[absc]]
    if absc == "time":
        for k in np.flatnonzero(x < 0)[:5]:
            errors.append(f"{path}: line {lines[k]}: time {x[k]:g} s must be non-negative")
    keys = cols[_PKG[group]] if group and _PKG[group] in cols else np.zeros(x.size)
    for g in np.unique(keys):
        idx = np.flatnonzero(keys == g)
        d = np.diff(x[idx])
        for k in np.flatnonzero(d <= 0)[:5]:
            what = "duplicate" if d[k] == 0 else "decreasing"
            errors.append(f"{path}: line {lines[idx[k + 1]]}: {_PKG[absc]} {x[idx[k + 1]]:g} is "
                          f"{what} (after {x[idx[k]]:g} on line {lines[idx[k]]}); the abscissa must "
                          f"increase strictly" + (f" within each {group}" if group else ""))
    if errors:
        raise DataError(errors[:20])
