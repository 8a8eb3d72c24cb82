"""Hostile data files through ``mgmeso fit``: every mutated file gives exit 0 with valid output or
exit 2 with a message naming the file (and the line and column where there is one); never a
traceback, never a partial output.

Three base files (a slice of the real pyvisco export with its BOM and units row, a tab-separated
isochronal scan in degC/GPa with a comment line, a semicolon creep-recovery file in min/%) are
mutated by the generators below. Each mutation declares what it must give:

* ``same``: a harmless change (BOM, line endings, blank or comment lines, padding, UTF-16,
  another separator, descending order): exit 0 and the *same* fitted value as the unmutated
  file (relative 1e-6), so nothing is silently read differently;
* ``error@line``: a bad cell or row on a known line: exit 2 naming that line (and the column);
* ``error``: a bad file (empty, binary, header only, a mapped header missing or duplicated):
  exit 2 naming the file;
* ``any``: truncation, random byte edits, scaled or swapped columns, huge files: exit 0 with
  valid output or exit 2 naming the file.

The default run draws one case per mutator (33); ``-m slow`` runs 600 more and prints the
outcome counts.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import load_material

ROOT = Path(__file__).resolve().parents[1] / "validation" / "fit_examples"
DIGITS = ["\u0661\u0662\u0663", "\uff11\uff12", "\u00b2", "\u0967\u0968", "\u2167", "\U0001d7cf"]


@dataclass
class Base:
    name: str
    text: str
    sep: str | None                   # None: whitespace
    header_line: int                  # 1-based
    data_lines: list[int]
    columns: list[str]                # header names, in order
    positive: set[str]                # columns where a negative value is invalid
    argv: list[str]
    free: str


def _bases() -> list[Base]:
    pv = (ROOT / "pyvisco" / "freq_user_raw.csv").read_bytes().decode("utf-8-sig").splitlines()
    rows = [ln for ln in pv[2:] if ln.split(",")[4] in ("10", "11", "12", "13")]
    iso = "\ufeff" + "\n".join(pv[:2] + rows) + "\n"
    scan = (ROOT / "scan_1Hz.txt").read_text().splitlines()
    scan_t = "\n".join(scan[:2] + scan[2::2]) + "\n"
    cr = (ROOT / "creep_recovery_430K.csv").read_text().splitlines()
    cr_t = "\n".join(cr[:1] + cr[1::2]) + "\n"
    return [
        Base("iso", iso, ",", 1, list(range(3, 3 + len(rows))), ["f", "E_stor", "E_loss", "T", "Set"],
             {"f", "E_stor", "E_loss", "T"},
             ["--kind", "dma_isothermal", "--columns",
              "frequency=f,E_storage=E_stor,E_loss=E_loss,temperature=T,sweep=Set",
              "--material", str(ROOT / "pyvisco" / "polymer_start.toml")], "chi_g"),
        Base("scan", scan_t, "\t", 2, list(range(3, 3 + len(scan[2::2]))), ["Temp", "Ep", "Epp"],
             {"Ep", "Epp"},
             ["--kind", "dma-isochronal", "--frequency-Hz", "1", "--columns",
              "temperature_degC=Temp,E_storage_GPa=Ep,E_loss_GPa=Epp", "--material", "la60ni15al25"],
             "U_beta_kJ_per_mol"),
        Base("creep", cr_t, ";", 1, list(range(2, 2 + len(cr[1::2]))), ["time", "strain", "stress"],
             {"time"},
             ["--kind", "creep-recovery", "--temperature-K", "430", "--columns",
              "time_min=time,strain_percent=strain,stress_MPa=stress", "--material", "la60ni15al25"],
             "A_an_per_MPa"),
    ]


def _split(base: Base, line: str) -> list[str]:
    return line.split(base.sep) if base.sep else line.split()


def _join(base: Base, cells: list[str]) -> str:
    return (base.sep or " ").join(cells)


def _cell(rng, base: Base, text: str, value_fn):
    """Replace one data cell: returns (text, line number, column name, old cell)."""
    lines = text.split("\n")
    ln = int(rng.choice(base.data_lines))
    cells = _split(base, lines[ln - 1])
    j = int(rng.integers(len(base.columns) - (1 if base.name == "iso" else 0)))   # not 'Set'
    old = cells[j]
    cells[j] = value_fn(old, base.columns[j])
    lines[ln - 1] = _join(base, cells)
    return "\n".join(lines), ln, base.columns[j], old


# ---- mutators: (rng, base) -> (bytes or path marker, expectation, line, column) --------------

def m_bom(rng, b):
    return ("\ufeff" + b.text.lstrip("\ufeff")).encode(), "same", None, None


def m_crlf(rng, b):
    return b.text.replace("\n", "\r\n").encode(), "same", None, None


def m_cr(rng, b):
    return b.text.replace("\n", "\r").encode(), "same", None, None


def m_blank(rng, b):
    lines = b.text.split("\n")
    for _ in range(int(rng.integers(1, 6))):
        k = int(rng.integers(1, len(lines)))
        lines.insert(k, str(rng.choice(["", "   ", "\t", (b.sep or " ") * len(b.columns)])))
    return "\n".join(lines).encode(), "same", None, None


def m_comment(rng, b):
    lines = b.text.split("\n")
    for _ in range(int(rng.integers(1, 4))):
        lines.insert(int(rng.integers(0, len(lines))), "# " + str(rng.choice(["note", "1,2,3", "T=5"])))
    text = "\n".join(lines)
    return (text if text.startswith("\ufeff") or "\ufeff" not in text
            else "\ufeff" + text.replace("\ufeff", "")).encode(), "same", None, None


def m_pad(rng, b):
    if b.sep is None:
        return b.text.replace(" ", "   ").encode(), "same", None, None
    return b.text.replace(b.sep, f" {b.sep}  ").encode(), "same", None, None


def m_utf16(rng, b):
    return b.text.lstrip("\ufeff").encode("utf-16"), "same", None, None


def m_resep(rng, b):
    new = str(rng.choice([s for s in (",", ";", "\t") if s != b.sep]))
    lines = []
    for ln in b.text.split("\n"):
        lines.append(ln if ln.lstrip("\ufeff").startswith("#") else new.join(_split(b, ln)))
    return "\n".join(lines).encode(), "same", None, None


def m_descending(rng, b):
    if b.name == "creep":
        return m_bom(rng, b)
    lines = b.text.split("\n")
    body = [lines[k - 1] for k in b.data_lines]
    if b.name == "iso":                          # reverse within each sweep
        sets: dict[str, list[str]] = {}
        for ln in body:
            sets.setdefault(ln.split(",")[4], []).append(ln)
        body = [ln for v in sets.values() for ln in reversed(v)]
    else:
        body = body[::-1]
    out = lines[:b.data_lines[0] - 1] + body + lines[b.data_lines[-1]:]
    return "\n".join(out).encode(), "same", None, None


def _bad_cell(name, values):
    def mut(rng, b):
        v = str(rng.choice(values))
        text, ln, col, _ = _cell(rng, b, b.text, lambda old, c: v)
        return text.encode(), "error@line", ln, col
    mut.__name__ = name
    return mut


m_nan = _bad_cell("m_nan", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999", "-1e400"])
m_text = _bad_cell("m_text", ["abc", "--", "1.2.3", "", "0x1F", "1e", "e5", "N/A", "#VALUE!"])
m_unicode = _bad_cell("m_unicode", DIGITS)
m_group = _bad_cell("m_group", ["1_000", "12_5.5", "3_0"])


def m_quote(rng, b):
    """Quoted cells (spreadsheet CSV): read through the csv module, same numbers."""
    if b.sep not in (",", ";"):
        return m_crlf(rng, b)
    lines = b.text.split("\n")
    for k in b.data_lines:
        lines[k - 1] = b.sep.join(f'"{c}"' for c in lines[k - 1].split(b.sep))
    return "\n".join(lines).encode(), "same", None, None


def m_sep_line(rng, b):
    body = b.text.lstrip("\ufeff")
    return (f"sep={b.sep}\n" + body).encode() if b.sep else body.encode(), "same", None, None


def m_cp1252(rng, b):
    """A Windows-1252 export: the units row says \u00b0C in that encoding."""
    text = b.text.lstrip("\ufeff")
    if b.name == "iso":
        lines = text.split("\n")
        lines[1] = lines[1].replace(" C", " \u00b0C")
        text = "\n".join(lines)
    return text.encode("cp1252"), "same", None, None


def m_decimal_comma(rng, b):
    def f(old, col):
        return old.replace(".", ",") if "." in old else old + ",5"
    if b.sep != ",":                              # an extra cell needs a comma file
        text, ln, col, _ = _cell(rng, b, b.text, lambda old, c: old + "x")
        return text.encode(), "error@line", ln, col
    text, ln, col, _ = _cell(rng, b, b.text, f)
    return text.encode(), "error@line", ln, None


def m_extra_cell(rng, b):
    lines = b.text.split("\n")
    ln = int(rng.choice(b.data_lines))
    lines[ln - 1] += (b.sep or " ") + str(rng.choice(["1", "x", "0.5"]))
    return "\n".join(lines).encode(), "error@line", ln, None


def m_missing_cell(rng, b):
    lines = b.text.split("\n")
    ln = int(rng.choice(b.data_lines))
    cells = _split(b, lines[ln - 1])
    del cells[int(rng.integers(len(cells)))]
    lines[ln - 1] = _join(b, cells)
    return "\n".join(lines).encode(), "error@line", ln, None


def m_huge_cell(rng, b):
    def f(old, col):
        return str(rng.choice(["1e300", "-1e300", "9" * 400, "1" * 2_000_000]))
    text, ln, col, _ = _cell(rng, b, b.text, f)
    # 1e300 in a strain or stress column is out of range too; every column has an upper bound
    return text.encode(), "error@line", ln, col


def m_negative(rng, b):
    lines = b.text.split("\n")
    ln = int(rng.choice(b.data_lines))
    cells = _split(b, lines[ln - 1])
    j = b.columns.index(str(rng.choice(sorted(b.positive))))
    if b.columns[j] in ("T", "Temp"):
        cells[j] = "-300"                          # below 0 K in degC
    else:
        cells[j] = "-" + cells[j].lstrip("+-") if float(cells[j]) != 0 else "-1"
    lines[ln - 1] = _join(b, cells)
    return "\n".join(lines).encode(), "error@line", ln, b.columns[j]


def m_dup_row(rng, b):
    lines = b.text.split("\n")
    k = int(rng.choice(b.data_lines[:-1]))
    lines.insert(k, lines[k - 1])
    return "\n".join(lines).encode(), "error@line", k + 1, None


def m_empty(rng, b):
    return str(rng.choice(["", "\n\n", "# nothing\n", "\ufeff"])).encode(), "error", None, None


def m_binary(rng, b):
    data = bytearray(b.text.encode())
    for _ in range(int(rng.integers(1, 5))):
        data[int(rng.integers(len(data)))] = 0
    return bytes(data), "error", None, None


def m_header_only(rng, b):
    lines = b.text.split("\n")
    return "\n".join(lines[:b.data_lines[0] - 1]).encode(), "error", None, None


def m_dup_header(rng, b):
    lines = b.text.split("\n")
    cells = _split(b, lines[b.header_line - 1].lstrip("\ufeff"))
    i, j = rng.choice(len(b.columns) - (1 if b.name == "iso" else 0), 2, replace=False)
    cells[j] = cells[i]
    lines[b.header_line - 1] = ("\ufeff" if lines[b.header_line - 1].startswith("\ufeff") else "") + _join(b, cells)
    return "\n".join(lines).encode(), "error", b.header_line, None


def m_rename_header(rng, b):
    lines = b.text.split("\n")
    h = lines[b.header_line - 1]
    col = str(rng.choice(b.columns))
    lines[b.header_line - 1] = re.sub(rf"(^|[{re.escape(b.sep or ' ')}\ufeff]){re.escape(col)}(?=$|[{re.escape(b.sep or ' ')}])",
                                      lambda m: m.group(1) + col + "_x", h, count=1)
    return "\n".join(lines).encode(), "error", None, None


def m_units(rng, b):
    if b.name != "iso":
        return m_rename_header(rng, b)
    lines = b.text.split("\n")
    if rng.random() < 0.5:
        lines[1] = lines[1].replace("MPa", "Mpascal", 1)
        return "\n".join(lines).encode(), "error@line", 2, None
    del lines[1]                                  # no units: the keys have no suffix
    return "\n".join(lines).encode(), "error", None, None


def m_truncate(rng, b):
    data = b.text.encode()
    return data[:int(rng.integers(0, len(data)))], "any", None, None


def m_flip(rng, b):
    data = bytearray(b.text.encode())
    for _ in range(int(rng.integers(1, 8))):
        data[int(rng.integers(len(data)))] = int(rng.choice(list(b"0123456789.,;eE-+ \tx\n#")))
    return bytes(data), "any", None, None


def m_scale_column(rng, b):
    lines = b.text.split("\n")
    j = int(rng.integers(len(b.columns) - (1 if b.name == "iso" else 0)))
    f = float(rng.choice([1e300, 1e-300, -1.0, 0.0, 1e3, 1e-3, 1.0001]))
    for k in b.data_lines:
        cells = _split(b, lines[k - 1])
        cells[j] = repr(float(cells[j]) * f)
        lines[k - 1] = _join(b, cells)
    return "\n".join(lines).encode(), "any", None, None


def m_swap_rows(rng, b):
    lines = b.text.split("\n")
    i, j = rng.choice(b.data_lines, 2, replace=False)
    lines[i - 1], lines[j - 1] = lines[j - 1], lines[i - 1]
    return "\n".join(lines).encode(), "any", None, None


def m_delete_lines(rng, b):
    lines = b.text.split("\n")
    keep = rng.random(len(lines)) > float(rng.choice([0.05, 0.5, 0.97]))
    return "\n".join(ln for ln, k in zip(lines, keep) if k).encode(), "any", None, None


def m_huge_file(rng, b):
    """A 10^5-row export of the same shape: thinned (exit 0) or refused, never minutes and GB."""
    lines = b.text.split("\n")
    head = lines[:b.data_lines[0] - 1]
    if b.name == "scan":
        T = np.linspace(47.0, 156.0, int(rng.choice([20_000, 120_000])))
        E1, E2 = (np.array([float(_split(b, lines[k - 1])[c]) for k in b.data_lines]) for c in (1, 2))
        T0 = np.array([float(_split(b, lines[k - 1])[0]) for k in b.data_lines])
        rows = [f"{t:.5f}\t{a:.7g}\t{c:.7g}" for t, a, c in zip(T, np.interp(T, T0, E1), np.interp(T, T0, E2))]
    else:                                         # repeat the data: duplicates are an error
        body = [lines[k - 1] for k in b.data_lines]
        rows = body * (20_000 // len(body))
    return "\n".join(head + rows).encode(), "any", None, None


MUTATORS = [m_bom, m_crlf, m_cr, m_blank, m_comment, m_pad, m_utf16, m_resep, m_descending,
            m_quote, m_sep_line, m_cp1252,
            m_nan, m_text, m_unicode, m_group, m_decimal_comma, m_extra_cell, m_missing_cell,
            m_huge_cell, m_negative, m_dup_row, m_empty, m_binary, m_header_only, m_dup_header,
            m_rename_header, m_units, m_truncate, m_flip, m_scale_column, m_swap_rows,
            m_delete_lines]


def _run(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def _fitted(outdir: Path, free: str) -> float:
    return json.loads((outdir / "fit.json").read_text())["parameters"][free]["value"]


def _check_ok(outdir: Path, base: Base, figures: bool, case: str):
    doc = json.loads((outdir / "fit.json").read_text())
    p = doc["parameters"][base.free]
    assert math.isfinite(p["value"]), case
    assert (p["std_error"] is None) == p["undetermined"], case
    load_material(str(outdir / "material.toml"))
    assert (outdir / "report.md").stat().st_size > 0
    assert bool(list(outdir.glob("fit_*.png"))) == figures, case


def _one_case(tmp_path: Path, base: Base, mut, seed: int, refs: dict, figures: bool) -> str:
    rng = np.random.default_rng(seed)
    data, expect, line, col = mut(rng, base)
    case = f"{base.name}/{mut.__name__}/seed {seed}"
    d = tmp_path / f"c{seed}"
    d.mkdir()
    src = d / f"{base.name}.dat"
    src.write_bytes(data)
    out = d / "out"
    argv = ["fit", str(src), *base.argv, "--free", base.free, "--out", str(out)]
    if not figures:
        argv.append("--no-figures")
    try:
        code, stdout, stderr = _run(argv)
    except BaseException as exc:                 # a traceback: the failure this test exists for
        raise AssertionError(f"{case}: {type(exc).__name__}: {exc}") from exc
    assert code in (0, 2), (case, code, stderr)
    assert "Traceback" not in stderr, case
    assert not list(d.glob(".out.*")), f"{case}: staging directory left behind"
    if code == 0:
        _check_ok(out, base, figures, case)
        assert expect in ("same", "any"), (case, expect, stdout)
        if expect == "same":
            v, r = _fitted(out, base.free), refs[base.name]
            assert abs(v - r) <= 1e-6 * abs(r), (case, v, r)
        return f"{expect}: exit 0"
    assert not out.exists(), f"{case}: partial output after an error"
    assert stderr.startswith("mgmeso: error:") and str(src) in stderr, (case, stderr)
    assert expect != "same", (case, stderr)
    if line is not None:
        assert f"line {line}" in stderr, (case, line, stderr)
        if col is not None and expect == "error@line":
            assert f"column {col!r}" in stderr, (case, col, stderr)
    return f"{expect}: exit 2"


@pytest.fixture(scope="module")
def refs(tmp_path_factory):
    out = {}
    for b in _bases():
        d = tmp_path_factory.mktemp(f"ref_{b.name}")
        src = d / f"{b.name}.dat"
        src.write_text(b.text, encoding="utf-8")
        code, _, err = _run(["fit", str(src), *b.argv, "--free", b.free, "--out", str(d / "out"),
                             "--no-figures"])
        assert code == 0, err
        out[b.name] = _fitted(d / "out", b.free)
    return out


def _cases(n: int, seed0: int):
    bases = _bases()
    rng = np.random.default_rng(seed0)
    for k in range(n):
        b = bases[k % len(bases)]
        m = MUTATORS[(k // len(bases)) % len(MUTATORS)] if k < len(bases) * len(MUTATORS) \
            else MUTATORS[int(rng.integers(len(MUTATORS)))]
        yield b, m, seed0 + k


def test_fuzz_sample(tmp_path, refs):
    """One case per mutator in the default run (bases in turn, one with figures)."""
    counts = Counter()
    bases = _bases()
    for k, m in enumerate(MUTATORS):
        counts[_one_case(tmp_path, bases[k % 3], m, 1000 + k, refs, figures=k == 4)] += 1
    assert sum(counts.values()) == len(MUTATORS) >= 30
    assert counts["same: exit 0"] >= 10 and counts["error@line: exit 2"] >= 8


@pytest.mark.slow
def test_fuzz_many(tmp_path, refs, capsys):
    counts: Counter = Counter()
    per_mutator: Counter = Counter()
    cases = list(_cases(600, 50_000))
    cases += [(b, m_huge_file, 90_000 + k) for k, b in enumerate(_bases() * 2)]
    for i, (b, m, s) in enumerate(cases):
        outcome = _one_case(tmp_path, b, m, s, refs, figures=i % 25 == 0)
        counts[outcome] += 1
        per_mutator[(m.__name__, outcome.split(": ")[1])] += 1
    with capsys.disabled():
        print(f"\nfit fuzz: {sum(counts.values())} mutated files, 0 tracebacks")
        for k, v in sorted(counts.items()):
            print(f"  {k:24s} {v}")
        for (m, o), v in sorted(per_mutator.items()):
            print(f"    {m:18s} {o}: {v}")
    assert sum(counts.values()) >= 500
