"""Collect a sweep store into one xarray Dataset: one dimension per axis, observables per run.

``open_sweep(STORE)`` reads every finished run, computes the summary observables of
:mod:`.observables` (kMC: replica mean ``<name>`` and standard error ``<name>_se``;
analytical model: ``<name>_theory``) and lays them out along the sweep's dimensions
(a product sweep: one per axis; a zipped one: ``point``), then the observables' own
dimensions (``case``, ``segment``, ``step``). Runs not finished are NaN; ``status``
(and ``theory_status``) say ``done``, ``failed`` or ``missing``; ``error`` holds the
error of a failed run.

All reading of kMC run stores goes through :func:`_read_run` (the one place that knows
the run-store layout); theory groups are read by :func:`_read_theory`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..config import RunConfig, parse_config
from ..errors import UserError
from .observables import OBSERVABLES, Quantity, selected
from .store import SweepStore, open_store
from .store_groups import read_json_group

__all__ = ["RESERVED_DIMS", "RunView", "SweepData", "TheoryView", "open_sweep", "sweep_table"]

#: dimension names of the observables (axes may not use them)
RESERVED_DIMS = ("case", "segment", "step")
_EXTRA_COORDS = {"case": 0, "segment": 1, "step": 1}      # first coordinate value


def _config_from_data(d: dict) -> RunConfig:
    """A RunConfig from the resolved config a store records (config_dict)."""
    def drop_none(x):
        if isinstance(x, dict):
            return {k: drop_none(v) for k, v in x.items() if v is not None}
        if isinstance(x, list):
            return [drop_none(v) for v in x]
        return x

    doc = drop_none({k: v for k, v in d.items() if k not in ("config_file", "material_origin")})
    cfg = parse_config(doc)
    return dataclasses.replace(cfg, material_origin=d.get("material_origin", "inline"))


@dataclass
class RunView:
    """What the observables need of one kMC run."""

    cfg: RunConfig
    series: Callable[[str], np.ndarray]     # name -> (case, replica, sample)
    case_labels: list[str]
    data: object = None                     # the RunData (snapshots), None without a store

    @cached_property
    def setup(self):
        from ..kmc.setup import make_setup
        return make_setup(self.cfg)


@dataclass
class TheoryView:
    """The analytical model of one run: its tables (name -> columns) and summary."""

    cfg: RunConfig
    tables: dict[str, dict[str, np.ndarray]]
    summary: dict

    @cached_property
    def setup(self):
        from ..kmc.setup import make_setup
        return make_setup(self.cfg)


def _read_run(path: Path) -> RunView:
    """Open one kMC run store of a sweep (the adapter to the store's reader,
    :func:`mgmeso.kmc.reader.read_run`, which checks it first)."""
    from ..kmc.reader import read_run

    data = read_run(path)
    attrs = data.attrs
    cache: dict[str, np.ndarray] = {}

    def series(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = data.series(name)
        return cache[name]

    return RunView(_config_from_data(attrs["config"]), series, list(attrs["cases"]), data)


def _read_theory(path: Path) -> TheoryView:
    tables, attrs = read_json_group(path)
    return TheoryView(_config_from_data(attrs["config"]), tables, attrs.get("summary", {}))


def _read_run_summary(view, names: list[str] | None, mode: str) -> dict[str, Quantity]:
    """The summary observables of one run (kMC ``RunView`` or ``TheoryView``)."""
    out: dict[str, Quantity] = {}
    for obs in selected(names, view.cfg):
        fn = obs.kmc if mode == "kmc" else obs.theory
        if fn is not None:
            out.update(fn(view))
    return out


class SweepData:
    """A sweep store opened for reading: its spec, run status and per-run views."""

    def __init__(self, path: str | os.PathLike):
        self.store: SweepStore = open_store(path)
        self.path = self.store.path
        self.attrs = self.store.attrs()
        self.runs = self.attrs["run_index"]
        self.dims = tuple(self.attrs["dims"])
        self.shape = tuple(self.attrs["shape"])

    def status(self, mode: str) -> list[str]:
        out = []
        for r in self.runs:
            if self.store.is_done(mode, r["id"]):
                out.append("done")
            elif self.store.failure(mode, r["id"]) is not None:
                out.append("failed")
            else:
                out.append("missing")
        return out

    def kmc(self, run_id: str) -> RunView:
        return _read_run(self.store.group_path("kmc", run_id))

    def theory(self, run_id: str) -> TheoryView:
        return _read_theory(self.store.group_path("theory", run_id))

    def run_ids(self, **coords) -> list[str]:
        """Ids of the runs whose axis values equal ``coords`` (all runs if none given)."""
        return [r["id"] for r in self.runs
                if all(r["coords"].get(k) == v for k, v in coords.items())]

    def dataset(self, observables: list[str] | None = None):
        """The collected :class:`xarray.Dataset` (see the module docstring)."""
        return _assemble(self, observables if observables is not None
                         else self.attrs.get("collect", {}).get("observables"))


def _coord_array(values: list):
    if all(isinstance(v, bool) for v in values):
        return np.array(values, dtype=bool)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=np.int64)
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.array(values, dtype=float)
    return np.array([v if isinstance(v, str) else json.dumps(v) for v in values], dtype=str)


def _axis_coords(sd: SweepData) -> dict:
    coords: dict = {}
    axes = sd.attrs["axes"]
    if sd.attrs["combine"] == "zip" and axes:
        dim = sd.dims[0]
        coords[dim] = np.arange(sd.shape[0])
        for a in axes:
            coords[a["name"]] = (dim, _coord_array(a["labels"]))
            if len(a["keys"]) > 1:
                for j, k in enumerate(a["keys"]):
                    coords[k] = (dim, _coord_array([v[j] for v in a["values"]]))
        return coords
    for a in axes:
        coords[a["name"]] = _coord_array(a["labels"])
        if len(a["keys"]) > 1:
            for j, k in enumerate(a["keys"]):
                coords[k] = (a["name"], _coord_array([v[j] for v in a["values"]]))
    return coords


def _assemble(sd: SweepData, names: list[str] | None):
    import xarray as xr

    n = len(sd.runs)
    shape, dims = sd.shape, sd.dims
    per_mode: dict[str, list[dict[str, Quantity]]] = {}
    status = {m: sd.status(m) for m in ("kmc", "theory")}
    labels: list[list[str]] = [[] for _ in range(n)]
    for mode in ("kmc", "theory"):
        rows: list[dict[str, Quantity]] = []
        for i, r in enumerate(sd.runs):
            if status[mode][i] != "done":
                rows.append({})
                continue
            view: RunView | TheoryView
            if mode == "kmc":
                view = sd.kmc(r["id"])
                labels[i] = view.case_labels
            else:
                view = sd.theory(r["id"])
            rows.append(_read_run_summary(view, names, mode))
        per_mode[mode] = rows
    data_vars: dict = {}
    extra_len: dict[str, int] = {}
    for rows in per_mode.values():
        for q in (q for row in rows for q in row.values()):
            for d, s in zip(q.dims, np.shape(q.values)):
                extra_len[d] = max(extra_len.get(d, 0), s)

    def grid(qs: list[Quantity | None], attr: str):
        q0 = next(q for q in qs if q is not None)
        ext = tuple(extra_len[d] for d in q0.dims)
        out = np.full((n,) + ext, np.nan)
        for i, q in enumerate(qs):
            v = getattr(q, attr) if q is not None else None
            if v is not None:
                v = np.asarray(v, float)
                out[(i,) + tuple(slice(0, s) for s in v.shape)] = v
        return (dims + q0.dims, out.reshape(shape + ext))

    for mode, suffix in (("kmc", ""), ("theory", "_theory")):
        rows = per_mode[mode]
        qnames = list(dict.fromkeys(k for row in rows for k in row))
        for qn in qnames:
            qs = [row.get(qn) for row in rows]
            q0 = next(q for q in qs if q is not None)
            data_vars[qn + suffix] = (*grid(qs, "values"),
                                      {"units": q0.units, "description": q0.description})
            if any(q is not None and q.se is not None for q in qs):
                data_vars[qn + "_se"] = (*grid(qs, "se"), {
                    "units": q0.units, "description": "standard error over replicas of: "
                    + q0.description})
    for mode, var in (("kmc", "status"), ("theory", "theory_status")):
        if any(s != "missing" for s in status[mode]) or (mode == "kmc" and not
                                                         any(s != "missing" for s in
                                                             status["theory"])):
            data_vars[var] = (dims, np.array(status[mode], dtype=str).reshape(shape),
                              {"description": f"{'kMC' if mode == 'kmc' else 'theory'} run "
                               "status: done, failed or missing (not run or not finished)"})
    errors = []
    for r in sd.runs:
        msgs = [f"{m}: {f['error']}" for m in ("kmc", "theory")
                if (f := sd.store.failure(m, r["id"])) is not None]
        errors.append("; ".join(msgs))
    if any(errors):
        data_vars["error"] = (dims, np.array(errors, dtype=str).reshape(shape),
                              {"description": "error of a failed run, after its retries"})
    seeds = [r.get("seed") for r in sd.runs]
    coords = _axis_coords(sd)
    if all(s is not None for s in seeds) and "seed" not in coords:
        data_vars["seed"] = (dims, np.array(seeds, dtype=np.int64).reshape(shape),
                             {"description": "[simulation] seed of the run"})
    data_vars["run_id"] = (dims, np.array([r["id"] for r in sd.runs], dtype=str).reshape(shape),
                           {"description": "run group in the sweep store (runs/<id>, theory/<id>)"})
    if "case" in extra_len and any(labels):
        lab = np.full((n, extra_len["case"]), "", dtype=object)
        for i, row in enumerate(labels):
            lab[i, : len(row)] = row
        data_vars["case_label"] = (dims + ("case",),
                                   lab.astype(str).reshape(shape + (extra_len["case"],)),
                                   {"description": "label of the engine's case"})
    for d, s in extra_len.items():
        coords[d] = np.arange(s) + _EXTRA_COORDS.get(d, 0)
    attrs: dict[str, str | int] = {"title": sd.attrs.get("title", ""), "sweep_hash": sd.attrs["sweep_hash"],
             "combine": sd.attrs["combine"], "runs": n,
             "axes": json.dumps(sd.attrs["axes"]), "base_config": json.dumps(sd.attrs["base_config"]),
             "mgmeso_version": sd.attrs["versions"].get("mgmeso", "")}
    return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def open_sweep(path: str | os.PathLike, observables: list[str] | None = None):
    """Collect a sweep store into an :class:`xarray.Dataset`.

    Parameters
    ----------
    path
        The sweep store (``mgmeso sweep ... --out STORE``).
    observables
        Names from :data:`mgmeso.sweep.observables.OBSERVABLES` (default: the sweep's
        ``[collect] observables``, else every one that applies).

    Raises
    ------
    UserError
        If ``path`` is not a sweep store or names an unknown observable.
    """
    if observables is not None:
        bad = [o for o in observables if o not in OBSERVABLES]
        if bad:
            raise UserError(f"unknown observable(s) {', '.join(bad)} (registered: "
                            f"{', '.join(OBSERVABLES)})")
    return SweepData(path).dataset(observables)


def sweep_table(ds) -> dict[str, np.ndarray]:
    """One row per run: the axis values and every variable (observable dimensions flattened
    into the column name, ``strain_end[segment=2]``; a case dimension of length one dropped)."""
    sweep_dims = [d for d in ds.dims if d not in RESERVED_DIMS]
    if "case" in ds.dims and ds.sizes["case"] == 1:
        ds = ds.isel(case=0, drop=True)
    stacked = ds.stack(_run=sweep_dims) if sweep_dims else ds.expand_dims(_run=[0])
    cols: dict[str, np.ndarray] = {}
    cols["run_id"] = np.asarray(stacked["run_id"].values)
    for name in list(stacked.coords):
        c = stacked.coords[name]
        if name == "_run" or c.dims != ("_run",):
            continue
        cols[name] = np.asarray(c.values)
    for name, v in stacked.data_vars.items():
        if name == "run_id":
            continue
        extra = [d for d in v.dims if d != "_run"]
        v = v.transpose("_run", *extra)
        if not extra:
            cols[name] = np.asarray(v.values)
            continue
        for idx in np.ndindex(*[v.sizes[d] for d in extra]):
            label = ",".join(f"{d}={ds[d].values[i]}" for d, i in zip(extra, idx))
            cols[f"{name}[{label}]"] = np.asarray(v.values[(slice(None),) + idx])
    return cols
