"""The one reader of kMC run stores: checks, then opens (xarray, zarr or :class:`RunData`).

Every reader of a run store in mgmeso goes through :func:`read_run` (the CLI verbs, the
percolation maps, the sweep collector) or :func:`open_run` / :func:`open_run_zarr` (users).
Before anything is read the store is checked: it is an mgmeso run store of this schema,
it is complete, and every array matches its recorded checksum (:mod:`.integrity`). A store
that fails raises :class:`StoreError` (a user error: the CLI prints it and exits 2) naming
the store and what is wrong; nothing is read from it.

The layout is described in :mod:`mgmeso.kmc.store`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import zarr

from ..errors import UserError
from .integrity import orphans, verify_tree

__all__ = ["SCHEMA_VERSION", "StoreError", "RunData", "read_run", "open_run", "open_run_zarr",
           "check_store", "ensemble_stats", "stored_config", "PROVENANCE_FILE", "SNAPSHOTS",
           "ESTIMATES"]

#: version of the run-store layout (1: mgmeso <= 0.1.0 before the xarray layout; no attribute)
SCHEMA_VERSION = 2
PROVENANCE_FILE = "provenance.json"
SNAPSHOTS = "snapshots"
ESTIMATES = "estimates"


class StoreError(UserError):
    """A run store that is not one, is of another schema, incomplete or damaged."""

    def __init__(self, path, problems: list[str], hint: str = ""):
        self.path = Path(path)
        self.problems = list(problems)
        self.hint = hint
        super().__init__(problems)

    def format(self) -> str:
        """Format the message: the store, each problem, and the way out."""
        probs = getattr(self, "problems", self.messages)
        head = f"run store {self.path}"
        if len(probs) == 1:
            text = f"{head}: {probs[0]}"
        else:
            text = f"{head}: {len(probs)} problems:\n" + "\n".join(f"  - {p}" for p in probs)
        return text + (f"\n  {self.hint}" if getattr(self, "hint", "") else "")


_REBUILD = ("it was not used; run its config again with 'mgmeso run CONFIG --out STORE "
            "--overwrite' (a damaged store cannot be repaired)")


def ensemble_stats(x: np.ndarray, axis: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over ``axis`` (replicas), ignoring NaN; SE is NaN with < 2 values."""
    n = np.sum(np.isfinite(x), axis=axis)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=axis)
        sd = np.nanstd(x, axis=axis, ddof=1)
    se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, se


def check_store(path, verify: bool = True) -> dict:
    """Check that ``path`` is a complete, intact run store of this schema; its root metadata.

    Raises
    ------
    StoreError
        Naming the store and every problem found.
    """
    p = Path(path)
    if not p.exists():
        left = orphans(p)
        if left:
            raise StoreError(p, [f"does not exist; {left[0].name} beside it is the partial "
                                 f"store of a run killed while writing it"],
                             "continue that run with 'mgmeso run CONFIG --out STORE --resume' "
                             "(its checkpoints are in STORE.ckpt), or run it again")
        raise StoreError(p, ["does not exist"])
    if not p.is_dir():
        raise StoreError(p, ["is a file, not a run store (a run store is a directory written "
                             "by 'mgmeso run')"])
    zj = p / "zarr.json"
    if not zj.is_file():
        raise StoreError(p, ["is not a zarr store (no zarr.json in it)"])
    try:
        meta = json.loads(zj.read_bytes())
    except (OSError, ValueError) as exc:
        raise StoreError(p, [f"its root zarr.json is unreadable ({exc.__class__.__name__}: "
                             f"{str(exc)[:80]}): damaged or truncated"], _REBUILD) from None
    attrs = meta.get("attributes") if isinstance(meta, dict) else None
    if not isinstance(attrs, dict):
        raise StoreError(p, ["its root zarr.json holds no attributes: not an mgmeso run store, "
                             "or damaged"], _REBUILD)
    kind = attrs.get("mgmeso_store")
    if kind == "sweep":
        raise StoreError(p, ["is a sweep store, not a run store; open it with "
                             "mgmeso.open_sweep or 'mgmeso sweep'"])
    if kind != "kmc-run":
        raise StoreError(p, ["is a zarr store but not an mgmeso kMC run store"])
    version = attrs.get("schema_version")
    if version is None:
        raise StoreError(p, [f"was written by an older mgmeso (old schema: run-store schema 1, "
                             f"before the xarray layout); this mgmeso reads schema "
                             f"{SCHEMA_VERSION}"], "run its config again with this mgmeso, or "
                         "read it with the version that wrote it")
    if version != SCHEMA_VERSION:
        newer = ("a newer" if isinstance(version, int) and version > SCHEMA_VERSION
                 else "another")
        raise StoreError(p, [f"has run-store schema {version!r}; this mgmeso reads schema "
                             f"{SCHEMA_VERSION} (written by {newer} mgmeso)"],
                         "open it with the mgmeso version that wrote it")
    if verify:
        problems = verify_tree(p, meta)
        if problems:
            raise StoreError(p, problems, _REBUILD)
    return meta


def stored_config(cfgd: dict):
    """Rebuild the RunConfig of a store's resolved config (``attrs["config"]``)."""
    from ..config import parse_config

    def drop_none(x):
        if isinstance(x, dict):
            return {k: drop_none(v) for k, v in x.items() if v is not None}
        if isinstance(x, list):
            return [drop_none(v) for v in x]
        return x

    doc = drop_none({k: v for k, v in cfgd.items() if k not in ("config_file", "material_origin")})
    return parse_config(doc)


def _provenance(p: Path) -> dict:
    try:
        d = json.loads((p / PROVENANCE_FILE).read_text())
        return d if isinstance(d, dict) else {"unreadable": "not a JSON object"}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:   # run-time facts only: the data are intact
        return {"unreadable": f"{exc.__class__.__name__}: {str(exc)[:80]}"}


@dataclass
class RunData:
    """A checked run store opened for reading (numpy arrays; :meth:`dataset` for xarray)."""

    path: Path
    group: zarr.Group
    attrs: dict = field(repr=False)

    @property
    def cases(self) -> list[str]:
        """Case labels, in the order of the ``case`` dimension."""
        return list(self.attrs["cases"])

    @property
    def time_series(self) -> list[str]:
        """Names of the stored time-series variables, in the order they were recorded."""
        return list(self.attrs["time_series"])

    @property
    def protocol(self) -> str:
        """The protocol kind of the run (``creep``, ``dma_isochronal``, ...)."""
        return self.attrs["config"]["protocol"]["kind"]

    @property
    def provenance(self) -> dict:
        """``provenance.json``: when, where and by which command the run was made."""
        return _provenance(self.path)

    @cached_property
    def config(self):
        """The run's resolved config (a RunConfig)."""
        return stored_config(self.attrs["config"])

    @cached_property
    def setup(self):
        """The KmcSetup the run had."""
        from .setup import make_setup
        return make_setup(self.config)

    def _read(self, name: str, group: zarr.Group | None = None) -> np.ndarray:
        node = (self.group if group is None else group)[name]
        if not isinstance(node, zarr.Array):      # checked stores have arrays where expected
            raise StoreError(self.path, [f"{name!r} is a group, not an array"], _REBUILD)
        return np.asarray(node[...])

    def times(self) -> np.ndarray:
        """(case, sample) sample times (see the store layout for replica-dependent times)."""
        return self._read("time_s")

    def series(self, name: str) -> np.ndarray:
        """(case, replica, sample) array of a time-series variable (``time_s``: each replica's
        sample times, NaN where it recorded no sample).
        """
        if name != "time_s":
            if name not in self.time_series:
                raise UserError(f"{self.path}: no time series {name!r} in this run store "
                                f"(it has {', '.join(self.time_series)})")
            return self._read(name)
        if "replica_time_s" in self.group:
            return self._read("replica_time_s")
        t = self.times()
        ref = self._read(self.time_series[1] if len(self.time_series) > 1 else "time_s")
        out = np.broadcast_to(t[:, None, :], ref.shape).copy()
        out[~np.isfinite(ref)] = np.nan
        return out

    def mean(self, name: str) -> np.ndarray:
        """(case, sample) replica mean of a variable (NaN where no replica has the sample)."""
        if name == "time_s":
            return self.times()
        return ensemble_stats(self.series(name))[0]

    def se(self, name: str) -> np.ndarray:
        """(case, sample) standard error of the replica mean."""
        return ensemble_stats(self.series(name))[1]

    def calibration(self, name: str) -> np.ndarray:
        """Read a calibration array (:data:`mgmeso.kmc.store.CALIBRATION`), e.g. (case, replica)."""
        return self._read(name)

    def coalescence_counts(self) -> np.ndarray:
        """(case, replica, size) coalescences by merged footprint size."""
        return self._read("coalescence_size_counts")

    def has_snapshots(self) -> bool:
        """Whether the run took snapshots (the ``snapshots`` group)."""
        return SNAPSHOTS in self.group

    def snapshots(self, names=None) -> dict[str, np.ndarray]:
        """Read the snapshot fields ``names`` (default: all) as (case, replica, snapshot, site)
        arrays, and ``time_s`` (case, replica, snapshot; NaN where not reached).
        """
        sg = self.group[SNAPSHOTS]
        assert isinstance(sg, zarr.Group)
        have = list(self.attrs.get("snapshot_fields", []))
        names = have if names is None else list(names)
        missing = [n for n in names if n not in have]
        if missing:
            raise UserError(f"{self.path}: the snapshots have no field "
                            f"{', '.join(map(repr, missing))} (they have {', '.join(have)})")
        out = {"time_s": self._read("reached_time_s", sg)}
        out.update({n: self._read(n, sg) for n in names})
        return out

    def dataset(self, group: str | None = None, chunks=None):
        """Open the root (or ``group``: "snapshots", "estimates") as an xarray.Dataset."""
        return _dataset(self.path, group, chunks)


def _dataset(p: Path, group, chunks):
    import xarray as xr

    try:
        ds = xr.open_zarr(str(p), group=group, consolidated=True, chunks=chunks)
    except (KeyError, FileNotFoundError, zarr.errors.GroupNotFoundError):
        raise StoreError(p, [f"has no group {group!r} (groups: the root, {SNAPSHOTS!r} if the "
                             f"run took snapshots, {ESTIMATES!r})"]) from None
    ds.attrs["provenance"] = _provenance(p)
    return ds


def read_run(path, verify: bool = True) -> RunData:
    """Check and open a run store written by :func:`mgmeso.kmc.store.write_run`.

    Raises
    ------
    StoreError
        If ``path`` is not a complete, intact mgmeso run store of this schema.
    """
    p = Path(path)
    meta = check_store(p, verify)
    g = zarr.open_group(str(p), mode="r", use_consolidated=True)
    return RunData(p, g, dict(meta["attributes"]))


def open_run(path, group: str | None = None, *, chunks=None, verify: bool = True):
    """Open a run store as an :class:`xarray.Dataset`, after checking it.

    Parameters
    ----------
    path
        The store (``RUN.zarr``).
    group
        None: the root (time series, calibration); ``"snapshots"``: the per-site fields;
        ``"estimates"``: the lower-noise ensemble-mean estimators.
    chunks
        Passed to :func:`xarray.open_zarr` (None: lazy arrays without Dask; ``{}``: Dask
        arrays of the stored chunks).
    verify
        Check the checksums first (reads every file once).

    ``ds.attrs["provenance"]`` holds ``provenance.json`` (when and where the run was made).
    """
    p = Path(path)
    check_store(p, verify)
    return _dataset(p, group, chunks)


def open_run_zarr(path, verify: bool = True) -> zarr.Group:
    """Open a run store as a read-only :class:`zarr.Group` (consolidated metadata), after
    checking it.
    """
    p = Path(path)
    check_store(p, verify)
    return zarr.open_group(str(p), mode="r", use_consolidated=True)
