"""Column keys, units and physical ranges of measurement files.

A column map says which header holds which quantity. The key is a quantity name with an
optional unit suffix: ``temperature_degC=Temp``, ``E_loss_GPa=E''``, ``frequency=f``. The
unit of the *file* comes from the suffix, or, without a suffix, from the file's units row
(``Hz, MPa, C``). When both are there they must agree. Values are converted to the package
units (K, s, Hz, MPa, strain as a fraction).

Every converted cell is checked against a physical range (:data:`RANGES`), so that a wrong
unit or a corrupted column (values scaled by 1e300) is an error naming the line and column
instead of an optimiser failure later.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import DataError

__all__ = [
    "CANONICAL",
    "LABEL_KEYS",
    "RANGES",
    "UNITS",
    "package_name",
    "parse_column_map",
    "split_key",
    "unit_from_row",
]

#: quantity -> (package unit, {file unit suffix: (scale, offset)}), package = scale * file + offset
UNITS = {
    "temperature": ("K", {"K": (1.0, 0.0), "degC": (1.0, 273.15), "C": (1.0, 273.15),
                          "degF": (5.0 / 9.0, 273.15 - 32.0 * 5.0 / 9.0)}),
    "time": ("s", {"s": (1.0, 0.0), "ms": (1e-3, 0.0), "min": (60.0, 0.0), "h": (3600.0, 0.0)}),
    "frequency": ("Hz", {"Hz": (1.0, 0.0), "kHz": (1e3, 0.0), "rad_per_s": (1.0 / (2 * math.pi), 0.0)}),
    "modulus": ("MPa", {"MPa": (1.0, 0.0), "GPa": (1e3, 0.0), "kPa": (1e-3, 0.0), "Pa": (1e-6, 0.0)}),
    "stress": ("MPa", {"MPa": (1.0, 0.0), "GPa": (1e3, 0.0), "kPa": (1e-3, 0.0), "Pa": (1e-6, 0.0)}),
    "strain": ("", {"": (1.0, 0.0), "percent": (1e-2, 0.0), "pct": (1e-2, 0.0)}),
    "ratio": ("", {"": (1.0, 0.0)}),
    "label": ("", {"": (1.0, 0.0)}),
}

#: column key base -> quantity
CANONICAL = {
    "temperature": "temperature", "time": "time", "frequency": "frequency",
    "E_storage": "modulus", "E_loss": "modulus", "G_storage": "modulus", "G_loss": "modulus",
    "stress": "stress", "strain": "strain", "tan_delta": "ratio", "sweep": "label", "set": "label",
}
#: keys whose column labels rows (sweeps, sets, segments) instead of holding numbers
LABEL_KEYS = ("sweep", "set")

#: package column -> (lowest, highest, lowest allowed?, why): checked on every cell
RANGES = {
    "temperature_K": (0.0, 5000.0, False, ("an absolute temperature is above 0 K and, for a solid, "
                      "below 5000 K (a wrong unit? degC is temperature_degC or a units row 'C')")),
    "frequency_Hz": (0.0, 1e9, False, "a DMA or ultrasonic frequency is positive and below 1 GHz"),
    "time_s": (0.0, 1e12, True, "times are non-negative and below 1e12 s (30,000 years)"),
    "E_storage_MPa": (0.0, 1e7, True, "moduli of solids are non-negative and below 1e7 MPa (10 TPa)"),
    "E_loss_MPa": (0.0, 1e7, True, "moduli of solids are non-negative and below 1e7 MPa (10 TPa)"),
    "tan_delta": (0.0, 1e4, True, "tan delta = E''/E' is non-negative; above 1e4 the sample is a liquid"),
    "stress_MPa": (-1e7, 1e7, True, "a stress beyond 1e7 MPa (10 TPa) breaks any solid"),
    "strain": (-10.0, 10.0, True, ("a strain beyond 1000 % is not a solid's creep or relaxation "
               "(a strain in percent is strain_percent or a units row '%')")),
}

_KEY = re.compile(r"^(?P<base>temperature|time|frequency|E_storage|E_loss|G_storage|G_loss|stress|"
                  r"strain|tan_delta|sweep|set)(?:_(?P<unit>[A-Za-z_]+))?$")

# spellings of units in instrument units rows -> suffix, per quantity
_ROW_UNITS = {
    "temperature": {"K": "K", "C": "degC", "°C": "degC", "ºC": "degC", "degC": "degC",
                    "deg C": "degC", "oC": "degC", "Celsius": "degC", "°F": "degF", "F": "degF",
                    "degF": "degF"},
    "time": {"s": "s", "sec": "s", "ms": "ms", "min": "min", "h": "h", "hr": "h"},
    "frequency": {"Hz": "Hz", "kHz": "kHz", "rad/s": "rad_per_s", "rad s-1": "rad_per_s",
                  "rad/sec": "rad_per_s"},
    "modulus": {"MPa": "MPa", "GPa": "GPa", "kPa": "kPa", "Pa": "Pa", "N/mm2": "MPa", "N/mm²": "MPa"},
    "strain": {"%": "percent", "-": "", "1": "", "mm/mm": "", "m/m": "", "": ""},
    "ratio": {"-": "", "1": "", "": ""},
}
_ROW_UNITS["stress"] = _ROW_UNITS["modulus"]


def package_name(base: str) -> str:
    """Canonical package column of a key base: ``E_loss`` -> ``E_loss_MPa`` (shear -> Young).

    Parameters
    ----------
    base : str
        Quantity name without unit (``E_loss``, ``temperature``).

    Returns
    -------
    str
        The package column name with its unit.
    """
    if base in LABEL_KEYS:
        return "sweep"
    if base.startswith("G_"):
        base = "E_" + base[2:]
    unit = UNITS[CANONICAL[base]][0]
    return f"{base}_{unit}" if unit else base


def split_key(key: str) -> tuple[str, str | None]:
    """``'temperature_degC'`` -> ``('temperature', 'degC')``; no suffix -> unit None.

    Parameters
    ----------
    key : str
        A column key.

    Returns
    -------
    (str, str or None)
        Base and unit suffix.

    Raises
    ------
    DataError
        For an unknown quantity or unit.
    """
    m = _KEY.match(key)
    if not m:
        raise DataError(f"column key {key!r}: must be one of {', '.join(CANONICAL)}, optionally "
                        f"with a unit suffix, e.g. temperature_degC, E_loss_GPa, time_min, "
                        f"strain_percent (without a suffix the file's units row gives the unit)")
    base, unit = m["base"], m["unit"]
    units = UNITS[CANONICAL[base]][1]
    if unit is not None and unit not in units:
        allowed = ", ".join(f"{base}_{u}" if u else base for u in units)
        raise DataError(f"column key {key!r}: unknown unit {unit!r} for {base} (allowed: {allowed})")
    return base, unit


def unit_from_row(base: str, cell: str) -> str | None:
    """Return the unit suffix of a units-row cell for the quantity of ``base``; None if not recognised.

    Parameters
    ----------
    base : str
        Quantity name.
    cell : str
        The cell of the units row.

    Returns
    -------
    str or None
        The unit suffix.
    """
    qty = CANONICAL[base]
    if qty == "label":
        return ""
    c = cell.strip()
    if len(c) >= 2 and c[0] + c[-1] in ("[]", "()", "{}"):
        c = c[1:-1].strip()
    table = _ROW_UNITS[qty]
    if c in table:
        return table[c]
    hits = {v for k, v in table.items() if k.lower() == c.lower()}   # 'MPA', 'hz': unambiguous
    return hits.pop() if len(hits) == 1 else None


def row_unit_spellings(base: str) -> str:
    """List the units-row spellings known for the quantity ``base`` (for messages).

    Parameters
    ----------
    base : str
        Quantity name.

    Returns
    -------
    str
        The spellings, quoted and comma-separated.
    """
    return ", ".join(repr(k) for k in _ROW_UNITS[CANONICAL[base]] if k)


def parse_column_map(text: str) -> dict[str, str]:
    """``'temperature_degC=Temp,E_loss_GPa=E2'`` -> ``{'temperature_degC': 'Temp', ...}``.

    ``text`` may also name a TOML file with a ``[columns]`` table of the same pairs (for headers
    that contain commas).

    Parameters
    ----------
    text : str
        The ``--columns`` argument: pairs, or the path of a TOML file.

    Returns
    -------
    dict of str to str
        Column key -> header.
    """
    if text.endswith(".toml"):
        return _column_map_file(Path(text))
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if "=" not in part:
            raise DataError(f"--columns entry {part!r}: expected KEY=HEADER, e.g. temperature_degC=Temp")
        k, v = (s.strip() for s in part.split("=", 1))
        split_key(k)
        if k in out:
            raise DataError(f"--columns: key {k!r} is given twice")
        out[k] = v
    if not out:
        raise DataError("--columns: empty map; give KEY=HEADER pairs, e.g. temperature_degC=Temp")
    _check_map(out, "--columns")
    return out


def _check_map(cmap: dict[str, str], where: str) -> None:
    seen: dict[str, str] = {}
    for k in cmap:
        name = package_name(split_key(k)[0])
        if name in seen:
            raise DataError(f"{where}: {seen[name]!r} and {k!r} both give {name}")
        seen[name] = k


def _column_map_file(path: Path) -> dict[str, str]:
    import tomllib

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such column-map file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the column-map file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path}: not valid TOML ({exc})") from None
    table = doc.get("columns")
    extra = [k for k in doc if k != "columns"]
    if not isinstance(table, dict) or extra or not all(isinstance(v, str) for v in table.values()):
        raise DataError(f"{path}: a column-map file holds one [columns] table of KEY = \"HEADER\" "
                        f"pairs, e.g. temperature_degC = \"Temp\"")
    for k in table:
        split_key(k)
    _check_map(table, str(path))
    return dict(table)
