"""Fuzzing: mutated configs and hostile command lines give a valid result or a clean error.

Contract for every case: exit 0 with valid output (finite numbers), or exit 2 with a message
that names the offending key, line or argument; never a traceback, never a partial output.

* ``test_mutated_configs_run_or_fail_cleanly``: hypothesis mutations of cheap configs.
* ``test_hostile_configs_*``: our own mutators (type swaps, out-of-range, NaN/inf, huge and
  negative numbers, unicode look-alike digits, nesting, missing / duplicate / misspelt keys,
  byte-order mark, control characters, broken syntax), applied to every protocol kind: a
  sample in the default run, >= 1000 in the slow one.
* ``test_cli_cases_*``: >= 80 hostile argument lists over every verb (sample by default).
"""

import contextlib
import copy
import io
import math
import random
import re
import signal
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgmeso.cli import main
from mgmeso.io.table import read_csv_columns

from .conftest import CONFIGS

# Cheap versions of every protocol kind (the fuzz test runs each example end to end).
BASES = [
    {"material": "la60ni15al25",
     "protocol": {"kind": "creep", "temperature_K": 430.0, "stress_MPa": 25.0,
                  "creep_time_s": 330.0, "recovery_time_s": 100.0, "points_per_decade": 5}},
    {"material": "la60ni15al25",
     "protocol": {"kind": "dma_isochronal", "frequency_Hz": [1.0, 2.0], "T_start_K": 300.0,
                  "T_end_K": 550.0, "T_step_K": 5.0}},
    {"material": {"base": "la60ni15al25", "chi_g": 0.45, "B_beta": 0.8},
     "protocol": {"kind": "dma_isothermal", "T_start_K": 400.0, "T_end_K": 460.0, "T_step_K": 20.0,
                  "points_per_decade": 3},
     "theory": {"gumbel_points": 31}},
    {"material": "la60ni15al25",
     "protocol": {"kind": "stress_relaxation", "temperatures_K": [360.0], "strain": 0.006,
                  "duration_s": 1000.0, "points_per_decade": 5},
     "theory": {"relaxation_points_per_decade": 10, "gumbel_points": 31}},
    {"material": "la60ni15al25",
     "protocol": {"kind": "stepped_relaxation", "T_start_K": 400.0, "T_end_K": 412.0,
                  "T_step_K": 6.0, "points_per_decade": 3},
     "theory": {"relaxation_points_per_decade": 10, "gumbel_points": 31}},
    {"material": "la30ce30ni10al20co10",
     "protocol": {"kind": "cyclic_training", "frequency_Hz": [1.0, 10.0], "T_step_K": 5.0}},
    {"material": "la60ni15al25",
     "protocol": {"kind": "tension", "temperature_K": 430.0, "max_strain": 0.005,
                  "recovery_time_s": 50.0, "samples": 20},
     "theory": {"nonlinear": "off", "kww_modes_per_decade": 2}},
    {"material": "la60ni15al25",
     "protocol": {"kind": "program", "temperature_K": 315.0, "t_first_s": 0.5,
                  "segments": [{"type": "hold_strain", "strain": 0.006, "duration_s": 10.0,
                                "samples": 5},
                               {"type": "hold_stress", "stress_MPa": 0.0, "duration_s": 10.0,
                                "samples": 5}]},
     "theory": {"kww_modes_per_decade": 2}},
]


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f'"{k}" = {toml_value(x)}' for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(doc: dict) -> str:
    lines = []
    for k, v in doc.items():
        if not isinstance(v, dict):
            lines.append(f'"{k}" = {toml_value(v)}')
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f'["{k}"]')
            for kk, vv in v.items():
                if kk == "segments" and isinstance(vv, list) and all(isinstance(s, dict) for s in vv):
                    continue
                lines.append(f'"{kk}" = {toml_value(vv)}')
            for seg in v.get("segments", []) if isinstance(v.get("segments"), list) else []:
                if isinstance(seg, dict):
                    lines.append(f'[["{k}".segments]]')
                    lines += [f'"{a}" = {toml_value(b)}' for a, b in seg.items()]
    return "\n".join(lines) + "\n"


odd_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e-300, 1e300, 1e12, 0.999999, 1.0, 2.0, 5000.0, 1e-9]),
    st.integers(-10, 10**6),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.floats(0.1, 1000.0), max_size=3),
    st.builds(dict),
)


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        tables = [k for k, v in doc.items() if isinstance(v, dict)]
        op = draw(st.sampled_from(["set", "delete", "typo", "unknown", "empty", "top",
                                   "scale", "scale"]))
        if op == "top":
            key = draw(st.sampled_from(["material", "protocol", "theory", "output", "titel"]))
            doc[key] = draw(odd_values)
            continue
        if not tables:
            continue
        t = draw(st.sampled_from(tables))
        tab = doc[t]
        keys = list(tab)
        if op == "empty":
            doc[t] = {}
        elif op == "unknown":
            tab[draw(st.sampled_from(["foo", "stress", "temperature", "Tg", "chi"]))] = 1.0
        elif not keys:
            continue
        else:
            k = draw(st.sampled_from(keys))
            if op == "scale":
                v = tab[k]
                factor = draw(st.sampled_from([0.1, 0.5, 0.9, 1.1, 2.0, 10.0]))
                if isinstance(v, float):
                    tab[k] = v * factor
                elif isinstance(v, list) and v and all(isinstance(x, float) for x in v):
                    tab[k] = [x * factor for x in v]
            elif op == "delete":
                del tab[k]
            elif op == "typo":
                v = tab.pop(k)
                i = draw(st.integers(0, max(len(k) - 1, 0)))
                tab[k[:i] + k[i + 1:] if len(k) > 1 else k + "x"] = v
            else:
                tab[k] = draw(odd_values)
    return doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated())
def test_mutated_configs_run_or_fail_cleanly(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cfg.toml"
        path.write_text(to_toml(doc))
        out = Path(tmp) / "out"
        err, so = io.StringIO(), io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(so):
            rc = main(["theory", str(path), "--out", str(out), "--quiet"])
        assert rc in (0, 2), err.getvalue()
        if rc == 2:
            assert "mgmeso: error:" in err.getvalue()
            assert "Traceback" not in err.getvalue()
            assert not (out / "theory.csv").exists()
        else:
            cols = read_csv_columns(out / "theory.csv")
            for name in ("E_storage_MPa", "E_loss_MPa", "strain", "stress_MPa", "delta",
                         "energy_total_MJ_per_m3"):
                if name in cols:
                    assert np.all(np.isfinite(cols[name])), name



# ---------------------------------------------------------------- our own mutators
UNICODE = ["温度", "\U0001d7cf\U0001d7d0", "\u0661\u0662\u0663", "1_000", "\u200b1", "\u202e430",
           "é", "K\u0301", "\ufeff", "🙂", "a" * 3000]
HUGE = [1e308, -1e308, 1e300, -1e300, 10**30, -(2**63) - 1, 2**64, 1e-320, -1e-320]
ODD_NUMBERS = [0, -1, 0.0, -0.0, -430.0, 1e12, 1e13, 1e-12, 0.5, 2.0, 99999, 100001]
SPECIAL = [math.nan, math.inf, -math.inf]
TYPOS_OF = {"kind": ["knd", "Kind", "kindd"], "type": ["typ", "Type", "tpye"]}


def _nest(v, depth, table):
    for _ in range(depth):
        v = {"x": v} if table else [v]
    return v


def _typo(key, rng):
    if key in TYPOS_OF:
        return rng.choice(TYPOS_OF[key])
    ops = [lambda k: k[:-1] or k + "x", lambda k: k.upper(), lambda k: k.replace("_", "", 1),
           lambda k: k[1:] + k[0], lambda k: k + "s", lambda k: k.replace("_", "-", 1)]
    return rng.choice(ops)(key)


def _swap_type(v, rng):
    choices = ["430", True, [1.0, 2.0], {"a": 1}, "", 7, 3.5, [], [[1.0]], "nan"]
    return rng.choice([c for c in choices if type(c) is not type(v)])


def _sites(doc):
    """(container, key, name-for-messages) of every value in the document."""
    out = []
    for k, v in doc.items():
        out.append((doc, k, k))
        if isinstance(v, dict):
            for kk in v:
                out.append((v, kk, kk))
            for seg in v.get("segments", []) if isinstance(v.get("segments"), list) else []:
                if isinstance(seg, dict):
                    out += [(seg, kk, kk) for kk in seg]
    return out


def mutate(doc, rng):
    """One mutation of a config dict; returns the key names a message may name."""
    sites = _sites(doc)
    box, key, name = rng.choice(sites)
    v = box[key]
    op = rng.choice(["type", "range", "special", "huge", "unicode", "nest", "delete", "typo",
                     "unknown", "duplicate_item", "scale", "empty_table", "string_number"])
    names = {name}
    if op == "type":
        box[key] = _swap_type(v, rng)
    elif op == "range":
        box[key] = rng.choice(ODD_NUMBERS) if not isinstance(v, list) else [rng.choice(ODD_NUMBERS)]
    elif op == "special":
        box[key] = rng.choice(SPECIAL) if not isinstance(v, list) else [1.0, rng.choice(SPECIAL)]
    elif op == "huge":
        box[key] = rng.choice(HUGE)
    elif op in ("unicode", "string_number"):
        box[key] = rng.choice(UNICODE) if op == "unicode" else rng.choice(["1e3", "430 K", "0x10"])
    elif op == "nest":
        box[key] = _nest(v, rng.randint(1, 12), rng.random() < 0.5)
    elif op == "delete":
        del box[key]
    elif op == "typo":
        new = _typo(key, rng)
        box[new] = box.pop(key)
        names |= {new, key}
    elif op == "unknown":
        new = rng.choice(["foo", "temperature", "stress", "Tg", "chi", "\u00e9t\u00e9", "1"])
        box[new] = 1.0
        names |= {new}
    elif op == "duplicate_item" and isinstance(v, list) and v and not isinstance(v[0], dict):
        box[key] = v + [v[0]]
    elif op == "scale" and isinstance(v, float):
        box[key] = v * rng.choice([1e-6, 0.01, 100.0, 1e6])
    elif op == "empty_table" and isinstance(v, dict):
        box[key] = {}
    else:
        box[key] = _swap_type(v, rng)
    return names


TEXT_MUTATIONS = ["bom", "duplicate_key", "control_raw", "control_escaped", "truncate", "crlf",
                  "garbage", "nul", "deep_brackets", "latin1"]


def mutate_text(text, rng):
    """A text-level mutation; returns (bytes, whether the result is still a valid document)."""
    op = rng.choice(TEXT_MUTATIONS)
    lines = text.splitlines()
    if op == "bom":
        return b"\xef\xbb\xbf" + text.encode(), True
    if op == "crlf":
        return text.replace("\n", "\r\n").encode(), True
    if op == "control_escaped":
        return ('title = "a\\u0001b\\u001bc\\td"\n' + text).encode(), True
    if op == "duplicate_key":
        i = rng.randrange(len(lines))
        if "=" in lines[i]:
            lines.insert(i + 1, lines[i])
        else:
            lines.append(lines[i] if lines[i].startswith("[[") else "[protocol]")
        return ("\n".join(lines) + "\n").encode(), False
    if op == "control_raw":
        return ('title = "a\x01b"\n' + text).encode(), False
    if op == "nul":
        return text.encode().replace(b"=", b"=\x00", 1), False
    if op == "truncate":
        return text.encode()[: rng.randrange(1, max(len(text) - 1, 2))], False
    if op == "garbage":
        return (text + rng.choice(["=", "[", "]]", "x = ", '"unterminated', "[protocol\n"])).encode(), False
    if op == "deep_brackets":
        n = rng.choice([50, 400, 3000])
        return (text + "extra = " + "[" * n + "]" * n + "\n").encode(), False
    return ("title = \"caf\xe9\"\n" + text).encode("latin-1", "replace"), False


PROBLEM_REFERS = re.compile(r"( = |'[^']*'|\[[^\]]*\]|line \d+|document|--[a-z]|nested|"
                            r"UTF-8|empty path|#\d+)")


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout


def run_case(data: bytes, tmp: Path, names: set[str] | None, timeout_s: int = 0) -> str:
    """Run ``mgmeso theory`` on one config file; check the contract; return 'ok', 'error' or
    'timeout' (a valid config whose evaluation took longer than ``timeout_s``).
    """
    path = tmp / "cfg.toml"
    path.write_bytes(data)
    out = tmp / "out"
    err, so = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm) if timeout_s else None
    if timeout_s:
        signal.alarm(timeout_s)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(so):
            rc = main(["theory", str(path), "--out", str(out), "--quiet"])
    except _Timeout:
        return "timeout"
    finally:
        if timeout_s:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old)
    e = err.getvalue()
    assert rc in (0, 2), e
    assert "Traceback" not in e
    if rc == 2:
        assert e.startswith("mgmeso: error:"), e
        assert not out.exists() or not any(out.iterdir()), "partial output after an error"
        problems = [ln[4:] for ln in e.splitlines() if ln.startswith("  - ")] or [e]
        for msg in problems:
            assert PROBLEM_REFERS.search(msg), f"message names nothing: {msg}"
        if names is not None:
            assert any(n in e for n in names if n), (names, e)
        return "error"
    cols = read_csv_columns(out / "theory.csv")
    for name, col in cols.items():
        if name.startswith(("E_", "strain", "stress", "tan_delta", "energy")):
            assert np.all(np.isfinite(col[~np.isnan(col)])), name
    return "ok"


def hostile_cases(n: int, seed: int):
    """``n`` mutated config files (bytes) with the key names a rejection may name."""
    rng = random.Random(seed)
    for i in range(n):
        doc = copy.deepcopy(BASES[i % len(BASES)])
        if rng.random() < 0.2:
            text = to_toml(doc)
            data, _ = mutate_text(text, rng)
            yield data, None
            continue
        names: set[str] = set()
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            if _sites(doc):
                names |= mutate(doc, rng)
        try:
            text = to_toml(doc)
        except TypeError:
            continue
        yield text.encode(), names


def _run_hostile(n, seed, timeout_s):
    counts = {"ok": 0, "error": 0, "timeout": 0}
    for i, (data, names) in enumerate(hostile_cases(n, seed)):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                counts[run_case(data, Path(tmp), names, timeout_s)] += 1
            except AssertionError as exc:
                raise AssertionError(f"case {i}: {data[:400]!r}\n{exc}") from None
    return counts


def test_hostile_configs_sample():
    counts = _run_hostile(40, seed=1, timeout_s=0)
    assert counts["error"] > 10 and counts["ok"] > 0, counts


@pytest.mark.slow
def test_hostile_configs_many(capsys):
    counts = _run_hostile(1200, seed=2, timeout_s=120)
    with capsys.disabled():
        print(f"\nhostile configs: {counts} (tracebacks: 0; a traceback fails the test)")
    assert sum(counts.values()) >= 1000


# ---------------------------------------------------------------- hostile command lines
TINY_RUN = """material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 10.0
recovery_time_s = 10.0
points_per_decade = 2
[simulation]
L = 4
replicas = 1
"""


def cli_cases(d: Path) -> list[tuple[list[str], tuple[str, ...]]]:
    """(argv, fragments one of which an error names). ``d`` holds cfg.toml, afile, adir/."""
    cfg, afile, adir, nope = str(d / "cfg.toml"), str(d / "afile"), str(d / "adir"), str(d / "nope")
    creep = str(CONFIGS / "la60_creep_recovery_430K.toml")
    out = str(d / "o")
    cases = [
        ([], ("COMMAND", "required")), (["nosuchverb"], ("nosuchverb",)), (["--bogus"], ("--bogus",)),
        (["theory"], ("config",)), (["theory", nope], ("nope",)), (["theory", adir], ("directory",)),
        (["theory", afile], ("line", "document", "afile")), (["theory", ""], ("empty",)),
        (["theory", "/dev/null", "--out", out], ("kind", "protocol", "material")),
        (["theory", creep, "--out", afile], ("--out",)),
        (["theory", creep, "--out", afile + "/sub"], ("--out",)),
        (["theory", creep, "--out", "/dev/null"], ("--out",)), (["theory", creep, "--out", ""], ("--out",)),
        (["theory", creep, "--out", "/proc/nope"], ("--out",)),
        (["theory", creep, "--out", out, "--set"], ("--set",)),
        (["theory", creep, "--out", out, "--set", "=3"], ("--set",)),
        (["theory", creep, "--out", out, "--set", "protocol..x=3"], ("--set",)),
        (["theory", creep, "--out", out, "--set", "protocol.stress_MPa=nan"], ("stress_MPa",)),
        (["theory", creep, "--out", out, "--set", "protocol.stress_MPa=inf"], ("stress_MPa",)),
        (["theory", creep, "--out", out, "--set", "protocol.stress_MPa=[[[[[[[[[[1]]]]]]]]]]"],
         ("stress_MPa",)),
        (["theory", creep, "--out", out, "--set", "protocol.stress_MPa=" + "[" * 3000], ("stress_MPa",)),
        (["theory", creep, "--out", out, "--set", "protocol.stress_MPa=１２"], ("stress_MPa",)),
        (["theory", creep, "--out", str(d / "o2"), "--quiet", "--set",
          "protocol.temperature_K=4_30"], ()),   # TOML integer syntax: valid
        (["theory", creep, "--out", out, "--set", "protocol.kind=crep"], ("kind",)),
        (["theory", creep, "--out", out, "--set", "protocol=3"], ("protocol",)),
        (["theory", creep, "--out", out, "--set", "protocol.temperature_K.x=3"], ("temperature_K",)),
        (["theory", creep, "--out", out, "--set", "material=nosuch"], ("material",)),
        (["theory", creep, "--out", out, "--set", "material.base=nosuch"], ("base",)),
        (["theory", creep, "--out", out, "--set", "material.chi_g=2"], ("chi_g",)),
        (["theory", creep, "--out", out, "--set", "theory.nonlinear=on"], ("nonlinear",)),
        (["theory", creep, "--out", out, "--set", "theory.gumbel_points=0"], ("gumbel_points",)),
        (["theory", creep, "--out", out, "--set", "output.dir="], ("dir",)),
        (["theory", creep, "--out", out, "--set", "protocol.segments.1.x=1"], ("segments",)),
        (["theory", creep, "--out", out, "--set", "title=[1]"], ("title",)),
        (["theory", creep, "--out", out, "--set", "\u00e9=1"], ("\u00e9",)),
        (["config"], ("ACTION", "required")), (["config", "show"], ("config",)),
        (["config", "show", nope], ("nope",)), (["config", "show", creep, "--set", "x.y=1"], ("x",)),
        (["config", "show", creep, "--set", "simulation.seed=-1"], ("seed",)),
        (["config", "show", creep, "--set", "simulation.seed=18446744073709551616"], ("seed",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--replicas", "1000000"], ("replicas",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--replicas", "-1"], ("replicas",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--replicas", "2.5"], ("--replicas",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--seed", str(2**64)], ("seed",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--seed", "-5"], ("seed",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--seed", "abc"], ("--seed",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--workers", "0"], ("--workers",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--workers", "-3"], ("--workers",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--workers", "99999999"], ("--workers",)),
        (["run", cfg, "--out", afile], ("--out",)), (["run", cfg, "--out", afile, "--overwrite"], ("--out",)),
        (["run", cfg, "--out", adir, "--overwrite"], ("--out",)),
        (["run", cfg, "--out", "/dev/null", "--overwrite"], ("--out",)),
        (["run", cfg, "--out", afile + "/r.zarr"], ("--out",)), (["run", cfg, "--out", ""], ("--out",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--resume"], ("--resume",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--set", "simulation.L=4096"], ("L",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--set", "simulation.L=1000"], ("L",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--set", "protocol.temperature_K=1e-12"],
         ("temperature_K",)),
        (["run", cfg, "--out", str(d / "r.zarr"), "--set", "protocol.kind=dma_isothermal",
          "--set", "protocol.stress_MPa=1"], ("stress_MPa",)),
        (["run", creep.replace("creep_recovery", "nosuch")], ("nosuch",)),
        (["compare", cfg, "--workers", "0"], ("--workers",)),
        (["compare", cfg, "--workers", "-3"], ("--workers",)),
        (["compare", cfg, "--replicas", "1000000", "--out", out], ("replicas",)),
        (["compare", cfg, "--seed", str(2**70), "--out", out], ("seed",)),
        (["compare", cfg, "--out", afile], ("--out",)),
        (["export", nope, "--csv", str(d / "x.csv")], ("nope",)),
        (["export", adir, "--csv", "x.csv"], ("adir",)),
        (["export", afile, "--csv", "x.csv"], ("afile",)), (["export", adir], ("--csv",)),
        (["plot", nope], ("nope",)), (["plot", afile], ("afile",)),
        (["plot", adir, "--out", adir, "--overwrite"], ("adir",)),
        (["percolation"], ("ACTION", "required")),
        (["percolation", "threshold"], ("--lattice",)),
        (["percolation", "threshold", "--lattice", "hex"], ("hex", "--lattice")),
        (["percolation", "threshold", "--lattice", "sc", "--sizes", "x"], ("--sizes",)),
        (["percolation", "threshold", "--lattice", "sc", "--sizes", "16"], ("--sizes",)),
        (["percolation", "threshold", "--lattice", "sc", "--samples", "-1"], ("--samples",)),
        (["percolation", "map", creep, "--L", "100000", "--out", out], ("--L", "L = ")),
        (["percolation", "map", creep, "--seed", str(2**64), "--out", out], ("seed",)),
        (["percolation", "map", creep, "--lattice", "hex", "--out", out], ("hex", "--lattice")),
        (["percolation", "deformation", creep, "--rates-per-s", "nan", "1", "--out", out],
         ("--rates-per-s", "rates_per_s")),
        (["percolation", "deformation", creep, "--rates-per-s", "1", "0.1", "--out", out],
         ("--rates-per-s", "rates_per_s")),
        (["fit"], ("--kind", "data", "required")), (["fit", nope, "--kind", "creep", "--material",
                                                    "la60ni15al25", "--free", "chi_g", "--out", out],
                                                   ("nope",)),
        (["info", "extra"], ("extra",)),
        (["theory", creep, "--out", out, "--quiet"], ()),                       # valid
        (["config", "show", creep, "--set", "protocol.stress_MPa=30"], ()),     # valid
        (["--version"], ()),                                                    # valid
    ]
    return cases


def _setup_cli_dir(d: Path) -> None:
    (d / "cfg.toml").write_text(TINY_RUN)
    (d / "afile").write_text("the user's file = [\n")
    (d / "adir").mkdir()
    (d / "adir" / "keep.txt").write_text("mine")


def _run_cli_case(argv, fragments, d: Path) -> str:
    err, so = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(so):
        rc = main(argv)
    # the one-line notice of a cold kernel cache may come first (a fresh checkout's first run)
    e = "".join(line for line in err.getvalue().splitlines(keepends=True)
                if not line.startswith("mgmeso: compiling the kMC kernels"))
    assert rc in (0, 2), (argv, rc, e)
    assert "Traceback" not in e, (argv, e)
    assert (d / "afile").read_text() == "the user's file = [\n", argv
    assert (d / "adir" / "keep.txt").read_text() == "mine", argv
    if rc == 2:
        assert e.startswith("mgmeso: error:"), (argv, e)
        assert not fragments or any(f in e for f in fragments), (argv, fragments, e)
        return "error"
    assert not fragments, (argv, "expected an error", so.getvalue())
    return "ok"


def test_cli_cases_sample(tmp_path):
    _setup_cli_dir(tmp_path)
    cases = cli_cases(tmp_path)
    picked = [c for i, c in enumerate(cases) if i % 7 == 0]
    for argv, fragments in picked:
        _run_cli_case(argv, fragments, tmp_path)


@pytest.mark.slow
def test_cli_cases_all(tmp_path, capsys):
    _setup_cli_dir(tmp_path)
    cases = cli_cases(tmp_path)
    counts = {"ok": 0, "error": 0}
    for argv, fragments in cases:
        counts[_run_cli_case(argv, fragments, tmp_path)] += 1
    with capsys.disabled():
        print(f"\nCLI argument cases: {len(cases)}: {counts} (tracebacks: 0)")
    assert len(cases) >= 80
