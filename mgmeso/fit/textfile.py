"""Reading instrument text exports into cells, with line numbers, before any meaning is given to them.

What is accepted, and why:

* CSV with ``,`` or ``;``, tab-separated or whitespace-separated text; an Excel ``sep=;`` first
  line sets the separator. The separator is read from the header row (tab first, then the more
  frequent of ``,`` and ``;``).
* UTF-8 with or without a byte-order mark, UTF-16 with a byte-order mark (Windows exports), and,
  when a file is not valid UTF-8, Windows-1252 / Latin-1 (older instruments write ``°C`` in it).
  A NUL byte outside UTF-16 means a binary file and is refused.
* ``#`` comment lines and empty lines anywhere (also rows of empty cells).
* One header row of column names, optionally followed by one *units row* (``Hz, MPa, C, -``):
  a second row none of whose cells is a number.

Every data row must have as many cells as the header (empty cells after the last column are
allowed): a row with an extra cell is an error, never silently cut, because in a comma CSV it is
what a decimal comma (``1,5``) looks like.

Numbers are parsed strictly (:func:`parse_number`): ASCII digits, one optional sign, decimal point
and exponent. Python's ``float`` would also take ``1_000``, ``nan``, ``infinity`` and non-ASCII
digits, none of which an instrument writes on purpose.
"""

from __future__ import annotations

import codecs
import csv
import math
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

__all__ = ["MAX_FILE_BYTES", "NumberError", "RawTable", "parse_number", "read_raw_table"]

#: largest data file read (bytes): a DMA export of a million rows is ~40 MB
MAX_FILE_BYTES = 512 * 2**20
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_NONFINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_MAX_ERRORS = 20


class NumberError(ValueError):
    """A cell that is not a finite number; the message says why."""


def show(cell: str, width: int = 40, quote: bool = True) -> str:
    """Format a cell for a message (``repr`` if ``quote``), shortened if long.

    Parameters
    ----------
    cell : str
        The cell.
    width : int
        Longest shown length.
    quote : bool
        Show the ``repr``.

    Returns
    -------
    str
        The shown cell.
    """
    fmt = repr if quote else str
    if len(cell) <= width:
        return fmt(cell)
    return fmt(cell[:width]) + f"... ({len(cell)} characters)"


def parse_number(cell: str) -> float:
    """Strict float of one cell (already stripped).

    Raises
    ------
    NumberError
        With the reason: empty, not finite, non-ASCII character, digit group separator,
        decimal comma, or simply not a number.

    Parameters
    ----------
    cell : str
        The cell, stripped.

    Returns
    -------
    float
        The finite value.
    """
    if _NUMBER.fullmatch(cell):
        v = float(cell)
        if not math.isfinite(v):          # 1e999
            raise NumberError(f"{show(cell)} overflows a double (largest ~1.8e308)")
        return v
    if not cell:
        raise NumberError("empty cell")
    if _NONFINITE.fullmatch(cell):
        raise NumberError(f"{show(cell)} is not a finite number")
    odd = next((ch for ch in cell if ord(ch) > 127), None)
    if odd is not None:
        raise NumberError(f"{show(cell)} is not a number (non-ASCII character U+{ord(odd):04X}; "
                          f"only the digits 0-9 are read)")
    if "_" in cell and _NUMBER.fullmatch(cell.replace("_", "")):
        raise NumberError(f"{show(cell)} is not a number (no digit group separators)")
    if "," in cell and _NUMBER.fullmatch(cell.replace(",", ".", 1)):
        raise NumberError(f"{show(cell)} is not a number (decimal comma? write a decimal point)")
    raise NumberError(f"{show(cell)} is not a number")


def _is_number(cell: str) -> bool:
    return bool(_NUMBER.fullmatch(cell)) or bool(_NONFINITE.fullmatch(cell))


@dataclass
class RawTable:
    """Cells of a text table and where they came from.

    Attributes
    ----------
    header : list of str
        Column names (stripped).
    units : list of str or None
        The units row, one cell per column (``''`` where empty), or None.
    rows : list of (int, list of str)
        1-based line number and cells of every data row, each exactly ``len(header)`` long.
    """

    path: Path
    header: list[str]
    header_line: int
    units: list[str] | None
    units_line: int | None
    rows: list[tuple[int, list[str]]]
    delimiter: str | None
    encoding: str


def _check_path(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(f"{path}: no such data file") from None
    except NotADirectoryError:
        raise DataError(f"{path}: no such data file (a part of the path is a file)") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(f"{path}: is a directory, not a data file (give the file(s) inside it)")
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: not a regular file (a device, pipe or socket cannot be fitted)")
    if st.st_size > MAX_FILE_BYTES:
        raise DataError(f"{path}: {st.st_size / 2**20:.0f} MB is more than the {MAX_FILE_BYTES // 2**20} MB "
                        f"mgmeso fit reads (the whole file is held in memory); thin or split it first")
    if st.st_size == 0:
        raise DataError(f"{path}: empty file (0 bytes)")


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as exc:
                raise DataError(f"{path}: starts with a {enc} byte-order mark but is not valid "
                                f"{enc} ({exc.reason} at byte {exc.start})") from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DataError(f"{path}: not a text file (NUL byte at byte {nul}); export the data as "
                        f"CSV or text")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _splitter(head: str, forced: str | None):
    if forced is not None:
        delim = forced
    elif "\t" in head:
        delim = "\t"
    elif "," in head or ";" in head:
        delim = "," if head.count(",") >= head.count(";") else ";"
    else:
        return None, lambda ln: ln.split()

    def split(ln: str) -> list[str]:
        if '"' not in ln:                       # the common case, and no csv field-size limit
            return [c.strip() for c in ln.split(delim)]
        return [c.strip() for c in next(csv.reader([ln], delimiter=delim))]
    return delim, split


def read_raw_table(path: str | Path) -> RawTable:
    """Cells of a text data file; every structural problem as a :class:`DataError`.

    Raises
    ------
    DataError
        Naming the file and, where there is one, the line: missing, a directory, not a regular
        file, too large, binary, empty, no header, a numeric first row, wrong number of cells.

    Parameters
    ----------
    path : str or pathlib.Path
        The data file.

    Returns
    -------
    RawTable
        Header, units row, cells and their line numbers.
    """
    path = Path(path)
    _check_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror})") from None
    text, encoding = _decode(path, data)
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbered = [(i + 1, ln) for i, ln in enumerate(lines)
                if ln.strip() and not ln.lstrip().startswith("#")]
    forced = None
    sep_line = re.fullmatch(r"\s*sep=(.)\s*", numbered[0][1]) if numbered else None
    if sep_line:
        forced = sep_line[1]
        numbered = numbered[1:]
    if not numbered:
        raise DataError(f"{path}: empty (no header row; only comments or blank lines)")
    header_line, head = numbered[0]
    delim, split = _splitter(head, forced)
    errors: list[str] = []
    cells: list[tuple[int, list[str]]] = []
    for ln, text_line in numbered:
        try:
            row = split(text_line)
        except csv.Error as exc:
            errors.append(f"{path}: line {ln}: cannot be split into cells ({exc})")
            continue
        if all(c == "" for c in row):
            continue
        cells.append((ln, row))
        if len(errors) > _MAX_ERRORS:
            break
    if errors:
        raise DataError(errors[:_MAX_ERRORS])
    if not cells:
        raise DataError(f"{path}: empty (no header row)")
    header_line, header = cells[0]
    while header and header[-1] == "" and len(header) > 1:
        header = header[:-1]
    if all(_is_number(c) for c in header if c):
        raise DataError(f"{path}: line {header_line}: the first row holds numbers, not column "
                        f"names; the file needs a header row (e.g. temperature_K,E_loss_MPa)")
    body = cells[1:]
    units: list[str] | None = None
    units_line: int | None = None
    has_units = bool(body) and not any(_is_number(c) for c in body[0][1] if c)
    rows = []
    m = len(header)
    for k, (ln, row) in enumerate(body):
        extra = row[m:]
        short = len(row) < m and not (k == 0 and has_units)     # a units row may stop early
        if short or any(c != "" for c in extra):
            hint = ""
            if len(row) > m and delim == ",":
                hint = (" (a decimal comma, as in '1,5'? in a comma-separated file write decimal "
                        "points, or separate the columns with ';' or tabs)")
            elif len(row) < m:
                hint = " (a truncated line or a missing cell?)"
            errors.append(f"{path}: line {ln}: {len(row)} cells, but the header on line "
                          f"{header_line} has {m} columns{hint}")
            if len(errors) >= _MAX_ERRORS:
                errors.append("... (first 20 problems shown)")
                break
            continue
        row = (row + [""] * m)[:m]
        if k == 0 and has_units:
            units_line, units = ln, row
        else:
            rows.append((ln, row))
    if errors:
        raise DataError(errors)
    return RawTable(path, header, header_line, units, units_line, rows, delim, encoding)
