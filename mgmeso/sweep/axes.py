"""Sweep axes: parse the ``[[axis]]`` tables of a SWEEP.toml and set dotted config keys.

An axis is one dimension of the sweep. Its forms::

    [[axis]]                                   # one key, a list of values
    key = "protocol.temperature_K"
    values = [400.0, 415.0, 430.0]

    [[axis]]                                   # an arithmetic range, stop included
    key = "simulation.L"
    range = {start = 8, stop = 32, step = 8}

    [[axis]]                                   # a geometric range, stop included
    key = "protocol.frequency_Hz"
    logrange = {start = 0.01, stop = 10.0, num = 4}     # or per_decade = 3

    [[axis]]                                   # several keys varied together (zipped)
    name = "rule"
    labels = ["mean-field", "series"]          # optional coordinate (strings or numbers)
    [axis.set]
    "simulation.plasticity" = ["parallel", "series"]
    "simulation.coalescence" = [false, false]

    [[axis]]                                   # replicas: one run per seed
    replicas = 8                               # name defaults to "replica"

Keys are dotted paths into the config document (``material.chi_g``,
``protocol.segments.2.duration_s``: list items are numbered from 1, as in the
config loader's messages). ``material.<key>`` on a config that names its
material file (``material = "la60ni15al25"``) makes that file the table's
``base``. The replica axis sets ``simulation.seed`` of replica ``i`` to a seed
spawned from the run's own seed by numpy's SeedSequence, so replica ``i`` has
the same seed at every point of the other axes (common random numbers: paired
differences between points are less noisy than unpaired ones).

This module keeps its own dotted-key code (the same conventions as the CLI's
``--set``) so that the two can be unified later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..config.fields import format_value, suggest
from ..config.overrides import set_dotted

__all__ = [
    "AXIS_KEYS",
    "REPLICA_KEY",
    "Axis",
    "get_dotted",
    "parse_axes",
    "replica_seed",
    "set_dotted",
]

#: keys an ``[[axis]]`` table may hold
AXIS_KEYS = ("name", "key", "values", "range", "logrange", "set", "labels", "replicas")
#: the config key a replica axis sets
REPLICA_KEY = "simulation.seed"
#: largest number of runs a sweep may expand to (a typo in a range should not make a billion)
MAX_RUNS = 1_000_000


@dataclass(frozen=True)
class Axis:
    """One sweep dimension.

    ``keys`` are the dotted config keys it sets; ``values[i]`` is the tuple of
    their values at point ``i``; ``labels[i]`` the coordinate of point ``i``
    (the value itself for a one-key axis, the replica number for a replica axis).
    """

    name: str
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    labels: tuple[Any, ...]
    replicas: bool = False

    def __len__(self) -> int:
        return len(self.labels)

    def as_dict(self) -> dict:
        """Return the axis as JSON-compatible data (stored in the sweep store).

        Returns
        -------
        dict
            Name, keys, values, labels and ``replicas``.
        """
        return {"name": self.name, "keys": list(self.keys), "values": [list(v) for v in self.values],
                "labels": list(self.labels), "replicas": self.replicas}


def _is_num(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _nice(x: float) -> float:
    """Round away floating-point residue (0.1 * 3 -> 0.3) at 12 significant digits."""
    return float(f"{x:.12g}")


def _arange(spec: Any, where: str, errors: list[str]) -> list | None:
    if not isinstance(spec, dict) or set(spec) != {"start", "stop", "step"}:
        errors.append(f"{where} range = {format_value(spec)}: must be a table "
                      "{start = ..., stop = ..., step = ...} (stop included)")
        return None
    a, b, s = spec["start"], spec["stop"], spec["step"]
    if not all(_is_num(v) and math.isfinite(v) for v in (a, b, s)):
        errors.append(f"{where} range = {format_value(spec)}: start, stop and step must be "
                      "finite numbers")
        return None
    if s <= 0 or b < a:
        errors.append(f"{where} range = {format_value(spec)}: needs step > 0 and stop >= start")
        return None
    n = math.floor((b - a) / s + 1e-9) + 1
    if n > MAX_RUNS:
        errors.append(f"{where} range = {format_value(spec)}: {n} values (at most {MAX_RUNS})")
        return None
    if all(isinstance(v, int) for v in (a, s)):
        return [a + i * s for i in range(n)]          # integer keys (simulation.L) stay integers
    return [_nice(a + i * s) for i in range(n)]


def _logrange(spec: Any, where: str, errors: list[str]) -> list | None:
    ok_keys = ({"start", "stop", "num"}, {"start", "stop", "per_decade"})
    if not isinstance(spec, dict) or set(spec) not in ok_keys:
        errors.append(f"{where} logrange = {format_value(spec)}: must be a table "
                      "{start = ..., stop = ..., num = N} or {start = ..., stop = ..., "
                      "per_decade = N} (geometric, stop included)")
        return None
    a, b = spec["start"], spec["stop"]
    if not (_is_num(a) and _is_num(b) and 0 < a <= b and math.isfinite(b)):
        errors.append(f"{where} logrange = {format_value(spec)}: needs 0 < start <= stop "
                      "(a geometric range of positive values)")
        return None
    if "num" in spec:
        n = spec["num"]
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_RUNS:
            errors.append(f"{where} logrange num = {format_value(n)}: must be an integer from 1 "
                          f"to {MAX_RUNS}")
            return None
    else:
        pd = spec["per_decade"]
        if not _is_num(pd) or pd <= 0:
            errors.append(f"{where} logrange per_decade = {format_value(pd)}: must be positive")
            return None
        n = round(math.log10(b / a) * pd) + 1
    if n == 1:
        return [float(a)]
    return [_nice(v) for v in np.geomspace(a, b, n)]


def _check_key(key: Any, where: str, errors: list[str]) -> bool:
    if not isinstance(key, str) or not key or any(not p.strip() for p in key.split(".")):
        errors.append(f"{where} key = {format_value(key)}: must be a dotted config key such as "
                      "\"protocol.temperature_K\" or \"simulation.L\"")
        return False
    if key.split(".")[0] in ("title", "description") and "." in key:
        errors.append(f"{where} key = {key!r}: {key.split('.')[0]} is a string, not a table")
        return False
    return True


def _parse_one(i: int, raw: Any, errors: list[str]) -> Axis | None:
    where = f"[[axis]] #{i + 1}"
    if not isinstance(raw, dict):
        errors.append(f"{where} must be a table")
        return None
    for k in raw:
        if k not in AXIS_KEYS:
            errors.append(f"{where}: unknown key '{k}'{suggest(k, list(AXIS_KEYS))} "
                          f"(valid: {', '.join(AXIS_KEYS)})")
    forms = [k for k in ("values", "range", "logrange", "set", "replicas") if k in raw]
    if len(forms) != 1:
        errors.append(f"{where}: give exactly one of values, range, logrange (with key), set or "
                      f"replicas (got {', '.join(forms) or 'none'})")
        return None
    form = forms[0]
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        errors.append(f"{where} name = {format_value(name)}: must be an identifier (letters, "
                      "digits, underscores), used as the dimension name of the collected dataset")
        return None
    if form == "replicas":
        n = raw["replicas"]
        if "key" in raw or "labels" in raw:
            errors.append(f"{where}: a replica axis takes no key or labels (it sets {REPLICA_KEY})")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_RUNS:
            errors.append(f"{where} replicas = {format_value(n)}: must be an integer from 1 to "
                          f"{MAX_RUNS}")
            return None
        return Axis(name or "replica", (REPLICA_KEY,), tuple((r,) for r in range(n)),
                    tuple(range(n)), replicas=True)
    if form == "set":
        table = raw["set"]
        if "key" in raw:
            errors.append(f"{where}: a set axis names its keys in the set table, not in key")
        if not isinstance(table, dict) or not table:
            errors.append(f"{where} set = {format_value(table)}: must be a table of "
                          "\"dotted.key\" = [values...]")
            return None
        cols, n_ok = {}, True
        for k, v in table.items():
            if not _check_key(k, f"{where} set", errors):
                n_ok = False
            elif not isinstance(v, list) or not v:
                errors.append(f"{where} set \"{k}\" = {format_value(v)}: must be a non-empty list")
                n_ok = False
            else:
                cols[k] = v
        lengths = {len(v) for v in cols.values()}
        if not n_ok:
            return None
        if len(lengths) != 1:
            errors.append(f"{where} set: the lists are zipped and must have equal lengths (got "
                          + ", ".join(f"{k}: {len(v)}" for k, v in cols.items()) + ")")
            return None
        n = lengths.pop()
        labels = raw.get("labels")
        if labels is None:
            labels = [", ".join(format_value(cols[k][j]) for k in cols) for j in range(n)]
        elif (not isinstance(labels, list) or len(labels) != n
              or not all(isinstance(x, (str, int, float)) for x in labels)
              or len({type(x) is str for x in labels}) != 1 or len(set(labels)) != n):
            errors.append(f"{where} labels = {format_value(labels)}: must be {n} distinct "
                          "strings or numbers (the coordinate of the dimension)")
            return None
        if name is None:
            errors.append(f"{where}: a set axis needs a name (the dimension of the dataset)")
            return None
        keys = tuple(cols)
        return Axis(name, keys, tuple(tuple(cols[k][j] for k in keys) for j in range(n)),
                    tuple(labels))
    key = raw.get("key")
    if not _check_key(key, where, errors):
        return None
    assert isinstance(key, str)
    if "labels" in raw:
        errors.append(f"{where}: labels belong to a set axis (a key axis is labelled by its values)")
    if form == "values":
        vals = raw["values"]
        if not isinstance(vals, list) or not vals:
            errors.append(f"{where} values = {format_value(vals)}: must be a non-empty list")
            return None
    elif form == "range":
        vals = _arange(raw["range"], where, errors)
    else:
        vals = _logrange(raw["logrange"], where, errors)
    if vals is None:
        return None
    if any(isinstance(v, (dict, list)) for v in vals):
        labels = tuple(format_value(v) for v in vals)
    else:
        labels = tuple(vals)
    if len(set(map(repr, labels))) != len(labels):
        errors.append(f"{where} ({key}): values must be distinct (they label the dimension)")
        return None
    return Axis(name or key.split(".")[-1], (key,), tuple((v,) for v in vals), labels)


def parse_axes(raw: Any, errors: list[str]) -> list[Axis]:
    """Parse the axes of ``[[axis]]`` tables, in file order; problems are appended to ``errors``.

    Parameters
    ----------
    raw : object
        The ``axis`` entry of the sweep file.
    errors : list of str
        Messages to append to.

    Returns
    -------
    list of Axis
        The axes (empty on errors).
    """
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.append(f"axis = {format_value(raw)}: axes are [[axis]] tables (an array of tables)")
        return []
    axes = [a for i, r in enumerate(raw) if (a := _parse_one(i, r, errors)) is not None]
    names = [a.name for a in axes]
    for n in sorted({n for n in names if names.count(n) > 1}):
        errors.append(f"[[axis]]: two axes are named '{n}' (give one a distinct name = ...)")
    keys = [k for a in axes for k in a.keys]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        errors.append(f"[[axis]]: the key {k!r} is set by two axes (zip them in one set axis)")
    return axes


def get_dotted(doc: dict, key: str, default: Any = None) -> Any:
    """Return the value at a dotted key of a config document, or ``default``.

    Parameters
    ----------
    doc : dict
        The TOML document.
    key : str
        Dotted key (list items numbered from 1).
    default : object
        Returned when the key is missing.

    Returns
    -------
    object
        The value.
    """
    node: Any = doc
    for part in key.split("."):
        if isinstance(node, list) and part.isdigit() and 1 <= int(part) <= len(node):
            node = node[int(part) - 1]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return default
    return node


def replica_seed(seed: int, replica: int) -> int:
    """Seed of replica ``replica`` spawned from ``seed`` (a non-negative 63-bit integer).

    Parameters
    ----------
    seed : int
        The sweep's root seed.
    replica : int
        Replica index.

    Returns
    -------
    int
        The seed.
    """
    child = np.random.SeedSequence(int(seed), spawn_key=(int(replica),))
    a, b = (int(x) for x in child.generate_state(2, np.uint32))
    return ((a << 32) | b) >> 1
