"""A SWEEP.toml: a base config plus axes, expanded into validated runs.

Layout::

    title = "..."                         # optional
    description = "..."                   # optional

    [sweep]
    base = "../la60_kmc_creep_430K_meanfield.toml"   # a config file (relative to this file)
    combine = "product"                   # or "zip": all axes have one length, one dimension
    zip_dimension = "point"               # the dimension name of a zipped sweep
    retries = 2                           # extra attempts of a run that raises
    threads_per_run = 1                   # engine threads inside one run

    [base]                                # inline config tables, merged over the base file
    [base.simulation]                     # (or the whole config, without a base file)
    L = 6

    [[axis]]                              # axes: see mgmeso.sweep.axes
    key = "protocol.temperature_K"
    values = [400.0, 430.0]

    [collect]                             # optional
    observables = ["segment_end"]         # summary observables (default: all that apply)
    analysis = "kmc_deviation"            # a registered study analysis (mgmeso.sweep.analyses)

Every expanded run is validated before anything starts, with the config
loader's own checks (and, for kMC sweeps, the engine's): all problems of all
runs are reported together, each with the run's axis values.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..config import RunConfig, parse_config
from ..config.dump import config_hash
from ..config.fields import format_value, suggest
from ..config.tables import Simulation
from ..errors import ConfigError
from .axes import MAX_RUNS, REPLICA_KEY, Axis, get_dotted, parse_axes, replica_seed, set_dotted

__all__ = ["COLLECT_KEYS", "SWEEP_KEYS", "TOP_KEYS", "Run", "Sweep", "load_sweep", "parse_sweep"]

TOP_KEYS = ("title", "description", "sweep", "base", "axis", "collect")
SWEEP_KEYS = ("base", "combine", "zip_dimension", "retries", "threads_per_run")
COLLECT_KEYS = ("observables", "analysis", "options")
MODES = ("kmc", "theory")
#: names of dimensions and variables of the collected dataset that axes may not take
RESERVED_NAMES = ("case", "segment", "step", "status", "theory_status", "error", "run_id",
                  "case_label")


@dataclass(frozen=True)
class Run:
    """One point of the sweep: its position, the keys it sets and its validated config."""

    index: int
    id: str
    coords: dict[str, Any]
    settings: tuple[tuple[str, Any], ...]
    cfg: RunConfig | None

    def label(self) -> str:
        """``temperature_K = 430, replica = 2``: the axis values, for messages.

        Returns
        -------
        str
            ``key = value`` of each coordinate.
        """
        return ", ".join(f"{k} = {format_value(v)}" for k, v in self.coords.items())

    def record(self) -> dict:
        """Return the run's entry in the store's run index (JSON-compatible).

        Returns
        -------
        dict
            Index, id, coordinates, settings, config hash and seed.
        """
        return {"index": self.index, "id": self.id, "coords": self.coords,
                "settings": [[k, v] for k, v in self.settings],
                "config_hash": config_hash(self.cfg) if self.cfg is not None else None,
                "seed": self.cfg.simulation.seed if self.cfg is not None else None}


@dataclass(frozen=True)
class Sweep:
    """A loaded and expanded sweep."""

    path: Path | None
    title: str
    doc: dict
    base_doc: dict
    base_path: Path | None
    axes: tuple[Axis, ...]
    combine: str
    dims: tuple[str, ...]
    shape: tuple[int, ...]
    runs: tuple[Run, ...]
    retries: int = 2
    threads_per_run: int = 1
    collect: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Name of the sweep: the file's stem, or ``"sweep"``."""
        return self.path.stem if self.path is not None else "sweep"

    def sweep_hash(self) -> str:
        """Identity of what the sweep computes (axes and every run's config hash).

        Returns
        -------
        str
            16 hex digits.
        """
        d = {"dims": list(self.dims), "shape": list(self.shape), "combine": self.combine,
             "axes": [a.as_dict() for a in self.axes],
             "runs": [[r.id, r.record()["config_hash"]] for r in self.runs]}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _merge(base: dict, over: dict) -> dict:
    """``over`` merged into a copy of ``base``: tables recursively, other values replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _read_doc(path: Path) -> dict:
    from ..config.loader import _read_toml  # the loader's reader: the same messages for a bad file

    return _read_toml(path)


def _positive_int(table: dict, key: str, default: int, lo: int, errors: list[str]) -> int:
    v = table.get(key, default)
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or v > 1000:
        errors.append(f"[sweep] {key} = {format_value(v)}: must be an integer from {lo} to 1000")
        return default
    return v


def _points(axes: list[Axis], combine: str, zip_dim: str, errors: list[str]):
    """(dims, shape, list of per-run tuples of point indices, one per axis)."""
    if not axes:
        return (), (), [()]
    if combine == "zip":
        lengths = {a.name: len(a) for a in axes}
        if len(set(lengths.values())) != 1:
            errors.append("[sweep] combine = 'zip': all axes must have the same length (got "
                          + ", ".join(f"{k}: {n}" for k, n in lengths.items()) + ")")
            return (), (), []
        n = len(axes[0])
        return (zip_dim,), (n,), [tuple([i] * len(axes)) for i in range(n)]
    shape = tuple(len(a) for a in axes)
    total = 1
    for n in shape:
        total *= n
    if total > MAX_RUNS:
        errors.append(f"the axes expand to {total} runs (at most {MAX_RUNS})")
        return (), (), []
    return tuple(a.name for a in axes), shape, list(itertools.product(*(range(n) for n in shape)))


def _default_seed() -> int:
    return int(next(f.default for f in fields(Simulation) if f.name == "seed"))  # type: ignore[arg-type]


def parse_sweep(doc: dict, path: Path | None = None, mode: str = "kmc") -> Sweep:
    """Validate a parsed SWEEP.toml document and expand it into runs (see :func:`load_sweep`).

    Parameters
    ----------
    doc : dict
        The parsed SWEEP.toml.
    path : pathlib.Path, optional
        Its file (the base config is found relative to it).
    mode : {'kmc', 'theory'}
        Which engine must run every run.

    Returns
    -------
    Sweep
        The expanded, validated sweep.

    Raises
    ------
    ConfigError
        With one message per problem.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    errors: list[str] = []
    src = str(path) if path is not None else None
    if not isinstance(doc, dict):
        raise ConfigError(["a sweep must be a TOML document"], source=src)
    for k in doc:
        if k not in TOP_KEYS:
            errors.append(f"unknown top-level key '{k}'{suggest(k, list(TOP_KEYS))} "
                          f"(a SWEEP.toml holds {', '.join(TOP_KEYS)})")
    title = doc.get("title", "")
    if not isinstance(title, str):
        errors.append(f"title = {format_value(title)}: must be a string")
        title = ""
    table = doc.get("sweep", {})
    if not isinstance(table, dict):
        errors.append(f"sweep = {format_value(table)}: must be a [sweep] table")
        table = {}
    for k in table:
        if k not in SWEEP_KEYS:
            errors.append(f"[sweep] unknown key '{k}'{suggest(k, list(SWEEP_KEYS))} "
                          f"(valid: {', '.join(SWEEP_KEYS)})")
    combine = table.get("combine", "product")
    if combine not in ("product", "zip"):
        errors.append(f"[sweep] combine = {format_value(combine)}: allowed values are 'product' "
                      "(every combination of the axes) and 'zip' (the i-th values together)")
        combine = "product"
    zip_dim = table.get("zip_dimension", "point")
    if not isinstance(zip_dim, str) or not zip_dim.isidentifier():
        errors.append(f"[sweep] zip_dimension = {format_value(zip_dim)}: must be an identifier")
        zip_dim = "point"
    retries = _positive_int(table, "retries", 2, 0, errors)
    threads = _positive_int(table, "threads_per_run", 1, 1, errors)
    collect = doc.get("collect", {})
    if not isinstance(collect, dict):
        errors.append(f"collect = {format_value(collect)}: must be a [collect] table")
        collect = {}
    for k in collect:
        if k not in COLLECT_KEYS:
            errors.append(f"[collect] unknown key '{k}'{suggest(k, list(COLLECT_KEYS))} "
                          f"(valid: {', '.join(COLLECT_KEYS)})")
    _check_collect(collect, errors)

    # the base config: a file, inline tables, or a file with inline tables merged over it
    base_path: Path | None = None
    base_doc: dict = {}
    ref = table.get("base")
    if ref is not None:
        if not isinstance(ref, str) or not ref.strip():
            errors.append(f"[sweep] base = {format_value(ref)}: must be the path of a config file")
        else:
            base_path = Path(ref)
            if not base_path.is_absolute() and path is not None:
                base_path = path.parent / base_path
            try:
                base_doc = _read_doc(base_path)
            except ConfigError as exc:
                errors.extend(f"[sweep] base = {ref!r}: {m}" for m in exc.messages)
    inline = doc.get("base", {})
    if not isinstance(inline, dict):
        errors.append(f"base = {format_value(inline)}: must be a [base] table of config tables")
        inline = {}
    base_doc = _merge(base_doc, inline)
    if ref is None and not inline:
        errors.append("no base config: give [sweep] base = \"CONFIG.toml\" and/or [base] tables")
    axes = parse_axes(doc.get("axis"), errors)
    for a in axes:
        if a.name in RESERVED_NAMES:
            errors.append(f"[[axis]] name = {a.name!r}: reserved for the collected dataset "
                          f"({', '.join(RESERVED_NAMES)}); give the axis another name = ...")
    if combine == "zip" and zip_dim in [a.name for a in axes] and len(axes) > 1:
        errors.append(f"[sweep] zip_dimension = {zip_dim!r} is also an axis name")
    dims, shape, points = _points(axes, combine, zip_dim, errors)
    if errors:
        raise ConfigError(errors, source=src)

    cfg_path = base_path if base_path is not None else path
    width = max(5, len(str(max(len(points) - 1, 0))))
    runs: list[Run] = []
    problems: dict[str, list[Run]] = {}
    for index, point in enumerate(points):
        run_doc = copy.deepcopy(base_doc)
        coords, settings, bad = {}, [], []
        replica_axis = None
        for axis, i in zip(axes, point):
            coords[axis.name] = axis.labels[i]
            if axis.replicas:
                replica_axis = (axis, i)
                continue
            for key, value in zip(axis.keys, axis.values[i]):
                settings.append((key, value))
                msg = set_dotted(run_doc, key, value)
                if msg is not None:
                    bad.append(msg)
        if replica_axis is not None:    # last: spawned from the seed the other axes leave
            seed = get_dotted(run_doc, REPLICA_KEY, _default_seed())
            if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0:
                s = replica_seed(seed, replica_axis[1])
                settings.append((REPLICA_KEY, s))
                set_dotted(run_doc, REPLICA_KEY, s)
        run = Run(index, f"r{index:0{width}d}", coords, tuple(settings), None)
        cfg = None
        if not bad:
            try:
                cfg = parse_config(run_doc, cfg_path)
                if mode == "kmc":
                    from ..kmc.setup import make_setup
                    make_setup(cfg)
            except ConfigError as exc:
                bad.extend(exc.messages)
                cfg = None
        for m in bad:
            problems.setdefault(m, []).append(run)
        runs.append(Run(index, run.id, coords, tuple(settings), cfg))
    if problems:
        raise ConfigError(_group_messages(problems, len(runs)), source=src)
    return Sweep(path=path, title=title, doc=doc, base_doc=base_doc, base_path=base_path,
                 axes=tuple(axes), combine=combine, dims=dims, shape=shape, runs=tuple(runs),
                 retries=retries, threads_per_run=threads, collect=dict(collect))


def _check_collect(collect: dict, errors: list[str]) -> None:
    from .analyses import ANALYSES
    from .observables import OBSERVABLES

    obs = collect.get("observables")
    if obs is not None:
        if not isinstance(obs, list) or not all(isinstance(o, str) for o in obs):
            errors.append(f"[collect] observables = {format_value(obs)}: must be a list of names "
                          f"(registered: {', '.join(OBSERVABLES)})")
        else:
            for o in obs:
                if o not in OBSERVABLES:
                    errors.append(f"[collect] observables: unknown observable {o!r}"
                                  f"{suggest(o, list(OBSERVABLES))} (registered: "
                                  f"{', '.join(OBSERVABLES)})")
    an = collect.get("analysis")
    if an is not None and an not in ANALYSES:
        errors.append(f"[collect] analysis = {format_value(an)}: unknown"
                      f"{suggest(str(an), list(ANALYSES))} (registered: {', '.join(ANALYSES)})")
    opts = collect.get("options", {})
    if not isinstance(opts, dict):
        errors.append(f"[collect] options = {format_value(opts)}: must be a table")


def _group_messages(problems: dict[str, list[Run]], n_runs: int) -> list[str]:
    """One line per distinct problem, naming the runs (with their axis values) it occurs in."""
    out = []
    for msg, runs in problems.items():
        if len(runs) == n_runs and n_runs > 1:
            where = f"all {n_runs} runs"
        else:
            shown = "; ".join(f"{r.id} ({r.label()})" if r.coords else r.id for r in runs[:3])
            more = f"; and {len(runs) - 3} more" if len(runs) > 3 else ""
            where = f"run {shown}{more}" if len(runs) == 1 else f"{len(runs)} runs: {shown}{more}"
        out.append(f"{where}: {msg}")
    return out


def load_sweep(path: str | os.PathLike, mode: str = "kmc") -> Sweep:
    """Read, expand and validate a SWEEP.toml.

    Parameters
    ----------
    path
        The sweep file.
    mode
        ``"kmc"``: the runs must be runnable by the kMC engine; ``"theory"``: by the
        analytical model only.

    Raises
    ------
    ConfigError
        Every problem of the file and of every expanded run, each naming the run's
        axis values; nothing has run yet.

    Returns
    -------
    Sweep
        The expanded, validated sweep.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError([f"{p} is a directory, not a SWEEP.toml file"])
    return parse_sweep(_read_doc(p), p, mode)
