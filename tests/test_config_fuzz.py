"""Property-based test: mutated configs give a valid run or a clean error (exit 2), never a traceback."""

import contextlib
import copy
import io
import math
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgmeso.cli import main
from mgmeso.io.table import read_csv_columns

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


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
