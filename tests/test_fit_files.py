"""Real-file shapes for the reader: units rows, encodings, separators, grouping, strict cells.

Every case of issue 14 section 5 and of the data-file items of issue 15 that the reader owns:
each bad file is an error naming the file, the line and the column; each good shape reads to
the same numbers.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from mgmeso.errors import DataError
from mgmeso.fit.data import check_constant, normalise_kind, read_dataset
from mgmeso.fit.textfile import NumberError, parse_number

ISO = {"frequency": "f", "E_storage": "Ep", "E_loss": "Epp", "temperature": "T"}


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return p


def sweeps(units=True, sep=",", drift=0.2, n_T=3, set_col=False, T_unit="C"):
    """Isothermal sweeps in degC and MPa, temperature logged per point with a drift."""
    head = ["f", "Ep", "Epp", "T"] + (["Set"] if set_col else [])
    lines = [sep.join(head)]
    if units:
        lines.append(sep.join(["Hz", "MPa", "MPa", T_unit] + (["-"] if set_col else [])))
    for k in range(n_T):
        for j, f in enumerate((0.1, 1.0, 10.0)):
            T = 20.0 + 10 * k + drift * (j / 2 - 0.5)
            row = [f"{f:g}", f"{1000 - 100 * k + j:g}", f"{10 + k + j:g}", f"{T:.3f}"]
            lines.append(sep.join(row + ([str(k)] if set_col else [])))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("cell,why", [
    ("nan", "not a finite"), ("-inf", "not a finite"), ("Infinity", "not a finite"),
    ("1e999", "overflows"), ("1_000", "digit group"), ("\u0661\u0662", "non-ASCII"),
    ("\uff11\uff12", "non-ASCII"), ("\u00b2", "non-ASCII"), ("1,5", "decimal comma"), ("", "empty"),
    ("0x10", "not a number"), ("1.2.3", "not a number"), ("--1", "not a number"),
])
def test_strict_numbers(cell, why):
    with pytest.raises(NumberError, match=why):
        parse_number(cell)


@pytest.mark.parametrize("cell,v", [("1", 1.0), ("-2.5e-3", -2.5e-3), (".5", 0.5), ("5.", 5.0),
                                    ("+1E+2", 100.0)])
def test_numbers_accepted(cell, v):
    assert parse_number(cell) == v


def test_units_row_read_and_used(tmp_path):
    p = write(tmp_path, "s.csv", sweeps())
    d = read_dataset(p, "dma_isothermal", ISO)
    assert d.kind == "dma-isothermal" and len(d) == 9
    assert np.allclose(d.group_value, [293.15, 303.15, 313.15], atol=0.2)
    assert "units row on line 2" in d.meta["notes"][0]
    # GPa, rad/s and K in the units row convert; brackets and case are tolerated
    text = sweeps().replace("Hz,MPa,MPa,C", "[rad/s],(GPa),gpa,K")
    d2 = read_dataset(write(tmp_path, "g.csv", text), "dma-isothermal", ISO)
    assert np.allclose(d2.columns["frequency_Hz"][:3], np.array([0.1, 1, 10]) / (2 * np.pi))
    assert np.allclose(d2.columns["E_storage_MPa"], 1e3 * d.columns["E_storage_MPa"])
    assert np.allclose(d2.columns["temperature_K"], d.columns["temperature_K"] - 273.15)
    # a suffix that agrees with the units row is fine; one that disagrees is an error
    ok = dict(ISO, temperature_degC="T")
    del ok["temperature"]
    read_dataset(p, "dma-isothermal", ok)
    bad = dict(ISO, temperature_K="T")
    del bad["temperature"]
    with pytest.raises(DataError, match=r"s.csv: line 2, column 'T': the units row says 'C'"):
        read_dataset(p, "dma-isothermal", bad)
    with pytest.raises(DataError, match=r"line 2, column 'T': unit 'furlong' is not known"):
        read_dataset(write(tmp_path, "u.csv", sweeps().replace(",C\n", ",furlong\n", 1)),
                     "dma-isothermal", ISO)
    with pytest.raises(DataError, match=r"column 'T' \(temperature\) has no unit"):
        read_dataset(write(tmp_path, "n.csv", sweeps(units=False)), "dma-isothermal", ISO)


@pytest.mark.parametrize("shape", ["bom", "utf16", "cp1252", "crlf", "cr", "semicolon", "tab",
                                   "sep_line", "blank_lines", "comments", "trailing_sep"])
def test_equivalent_shapes_read_the_same(tmp_path, shape):
    ref = read_dataset(write(tmp_path, "ref.csv", sweeps()), "dma-isothermal", ISO)
    text, enc = sweeps(), "utf-8"
    if shape == "bom":
        text = "\ufeff" + text
    elif shape == "utf16":
        enc = "utf-16"
    elif shape == "cp1252":
        text, enc = text.replace(",C\n", ",\u00b0C\n"), "cp1252"
    elif shape == "crlf":
        text = text.replace("\n", "\r\n")
    elif shape == "cr":
        text = text.replace("\n", "\r")
    elif shape == "semicolon":
        text = sweeps(sep=";")
    elif shape == "tab":
        text = sweeps(sep="\t")
    elif shape == "sep_line":
        text = "sep=;\n" + sweeps(sep=";")
    elif shape == "blank_lines":
        text = text.replace("\n", "\n\n   \n,,,\n", 3)
    elif shape == "comments":
        text = "# exported by a DMA\n" + text.replace("\n", "\n# sweep\n", 5)
    elif shape == "trailing_sep":
        text = "\n".join(ln + "," for ln in text.splitlines()) + "\n"
    d = read_dataset(write(tmp_path, "x.csv", text, enc), "dma-isothermal", ISO)
    for k, v in ref.columns.items():
        assert np.array_equal(d.columns[k], v), (shape, k)


@pytest.mark.parametrize("edit,needle", [
    (lambda t: t.replace("0.1,1000,10,", "0.1,1000,1,5,", 1), "line 3: 5 cells, but the header on line 1 has 4 columns (a decimal comma"),
    (lambda t: t.replace("1,1001,11,", "1,1001,", 1), "line 4: 3 cells, but the header on line 1 has 4 columns (a truncated"),
    (lambda t: t.replace("1,1001,11,", "1,1001,nan,", 1), "line 4, column 'Epp': 'nan' is not a finite number"),
    (lambda t: t.replace("1,1001,11,", "1,1_001,11,", 1), "line 4, column 'Ep': '1_001' is not a number (no digit group"),
    (lambda t: t.replace("1,1001,11,", "1,\u0661\u0660\u0660\u0661,11,", 1), "line 4, column 'Ep': '\u0661\u0660\u0660\u0661' is not a number (non-ASCII"),
    (lambda t: t.replace("1,1001,11,", "1,1001e300,11,", 1), "line 4, column 'Ep': 1001e300 is outside [0, 1e+07] MPa"),
    (lambda t: t.replace("1,1001,11,", "1,-1001,11,", 1), "line 4, column 'Ep': -1001 is outside"),
    (lambda t: t.replace("1,1001,11,", "-1,1001,11,", 1), "line 4, column 'f': -1 is outside (0, 1e+09] Hz"),
    (lambda t: t.replace("1,1001,11,20.000", "1,1001,11,-300", 1), "line 4, column 'T': -300 = -26.85 K is outside (0, 5000] K"),
    (lambda t: t.replace("f,Ep,Epp,T", "f,Ep,Ep,T"), "header 'Ep' (for E_storage) names columns 2, 3"),
    (lambda t: t.replace("10,1002,12,", "1,1002,12,", 1), "line 5: frequency_Hz 1 duplicates line 4"),
    (lambda t: t.split("\n", 2)[2], "line 1: the first row"),
    (lambda t: "", "empty file"),
    (lambda t: "# only a comment\n\n", "empty (no header row"),
    (lambda t: "f,Ep,Epp,T\nHz,MPa,MPa,C\n", "header only"),
    (lambda t: t.encode() + b"\x00\x01", "not a text file (NUL byte"),
])
def test_bad_files_name_line_and_column(tmp_path, edit, needle):
    text = edit(sweeps())
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(DataError) as exc:
        read_dataset(p, "dma-isothermal", ISO)
    msg = str(exc.value)
    assert needle in msg and "bad.csv" in msg, msg


def test_paths_that_are_not_files(tmp_path):
    with pytest.raises(DataError, match="is a directory, not a data file"):
        read_dataset(tmp_path, "dma-isothermal", ISO)
    with pytest.raises(DataError, match="no such data file"):
        read_dataset(tmp_path / "none.csv", "dma-isothermal", ISO)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        read_dataset(fifo, "dma-isothermal", ISO)


def test_grouping_by_tolerance_and_by_set_column(tmp_path):
    # per-point temperatures drifting by 0.3 K: one isotherm each at the default tolerance
    d = read_dataset(write(tmp_path, "a.csv", sweeps(drift=0.3)), "dma-isothermal", ISO)
    assert d.group_value.size == 3 and np.all(np.bincount(d.group) == 3)
    assert len(np.unique(d.columns["temperature_K"])) == 9     # the model sees every logged T
    # a tolerance below the drift (steps of 0.15 K) splits every sweep into single points
    d = read_dataset(write(tmp_path, "b.csv", sweeps(drift=0.3)), "dma-isothermal", ISO,
                     temperature_tolerance_K=0.1)
    assert d.group_value.size == 9
    # a set column groups by itself, whatever the temperatures
    text = sweeps(drift=0.3, set_col=True)
    d = read_dataset(write(tmp_path, "c.csv", text), "dma-isothermal", dict(ISO, sweep="Set"))
    assert d.meta["group_labels"] == ["0", "1", "2"] and d.group_value.size == 3
    # two sweeps at the same temperature: duplicates without a set column, fine with one
    same = text.replace(",29.", ",19.").replace(",30.", ",20.")
    with pytest.raises(DataError, match="line 6: .*map a sweep/set column"):
        read_dataset(write(tmp_path, "d.csv", same), "dma-isothermal", ISO)
    d = read_dataset(write(tmp_path, "e.csv", same), "dma-isothermal", dict(ISO, sweep="Set"))
    assert d.group_value.size == 3
    # a temperature ramp is not a set of isotherms
    ramp = "f,Ep,Epp,T\nHz,MPa,MPa,K\n" + "".join(f"1,{1000 - k},10,{300 + 0.5 * k}\n" for k in range(40))
    with pytest.raises(DataError, match="do not form isothermal steps"):
        read_dataset(write(tmp_path, "r.csv", ramp), "dma-isothermal", ISO)


def test_descending_sweeps_are_sorted(tmp_path):
    text = "f,Ep,Epp,T\nHz,MPa,MPa,K\n10,3,1,300\n1,2,1,300\n0.1,1,1,300\n"
    d = read_dataset(write(tmp_path, "s.csv", text), "dma-isothermal", ISO)
    assert d.columns["frequency_Hz"].tolist() == [0.1, 1, 10] and d.lines.tolist() == [5, 4, 3]


def test_large_file_is_thinned_with_a_notice(tmp_path):
    rows = [f"{f:.6g},{1000 + i},{10 + i % 7},{T}" for T in (300, 320)
            for i, f in enumerate(np.geomspace(0.01, 100, 6000))]
    p = write(tmp_path, "big.csv", "f,Ep,Epp,T\nHz,MPa,MPa,K\n" + "\n".join(rows) + "\n")
    d = read_dataset(p, "dma-isothermal", ISO, max_points=500)
    assert 480 <= len(d) <= 520 and d.group_value.size == 2
    lf = np.log10(d.columns["frequency_Hz"][d.group == 0])
    assert lf[0] == pytest.approx(-2) and lf[-1] == pytest.approx(2)
    assert np.ptp(np.diff(lf)) < 0.02                       # even in log f
    assert "12000 rows thinned to" in d.meta["notes"][-1]
    assert len(read_dataset(p, "dma-isothermal", ISO, max_points=None)) == 12000


def test_kind_spellings_and_constants():
    assert normalise_kind("dma_isothermal") == normalise_kind("dma-isothermal") == "dma-isothermal"
    assert normalise_kind("stress_relaxation") == "relaxation"
    with pytest.raises(DataError, match="must be one of"):
        normalise_kind("dma")
    for flag, name, v in (("--frequency-Hz", "frequency_Hz", math.nan),
                          ("--frequency-Hz", "frequency_Hz", math.inf),
                          ("--temperature-K", "temperature_K", math.nan),
                          ("--temperature-K", "temperature_K", 1e9),
                          ("--temperature-K", "temperature_K", 0.0),
                          ("--stress-MPa", "stress_MPa", -5.0)):
        with pytest.raises(DataError, match=flag):
            check_constant(flag, name, v)
    assert check_constant("--temperature-K", "temperature_K", 430) == 430.0


def test_constant_beside_a_column_is_refused(tmp_path):
    p = write(tmp_path, "s.csv", sweeps())
    with pytest.raises(DataError, match="--temperature-K 300: .* has a temperature column"):
        read_dataset(p, "dma-isothermal", ISO, temperature_K=300.0)
