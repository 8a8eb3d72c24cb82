"""Plain pieces of the sweep store: values made JSON-safe for zarr attributes, the versions a
sweep records, and tables written as a zarr group of arrays (one per column) and read back.
"""

from __future__ import annotations

import datetime
import functools
import os
import shutil
from pathlib import Path

import numpy as np
import zarr


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    if isinstance(obj, (datetime.date, datetime.time)):
        return obj.isoformat()
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    return str(obj)


def sweep_versions() -> dict:
    """Versions of mgmeso, its dependencies and the distributed stack.

    Read once per process: every task of a worker writes them, and reading the installed
    packages' metadata (a dozen ``importlib.metadata.version`` calls) took 0.1-0.2 s per run.

    Returns
    -------
    dict of str to str
        Package name -> version (a fresh copy).
    """
    return dict(_sweep_versions())


@functools.lru_cache(maxsize=1)
def _sweep_versions() -> dict:
    import importlib.metadata

    from ..cli.info_cmd import versions

    out = dict(versions())
    for name in ("dask", "distributed", "xarray"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def write_json_group(path: Path, tables: dict[str, dict[str, np.ndarray]], attrs: dict) -> None:
    """Write tables (name -> columns) and attributes as a new zarr group, atomically.

    Parameters
    ----------
    path : pathlib.Path
        The group.
    tables : dict
        Table name -> column name -> array.
    attrs : dict
        JSON-compatible attributes.
    """
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    g = zarr.open_group(str(tmp), mode="w")
    for tname, cols in tables.items():
        tg = g.create_group(tname)
        for cname, col in cols.items():
            a = np.asarray(col)
            dtype: np.dtype | type[str] = a.dtype
            if a.dtype.kind in "OUT":
                # text (e.g. the reason a fit was refused): zarr's variable-length UTF-8
                # strings, which have a v3 specification (fixed-length UTF-32 has none)
                a, dtype = a.astype(str), str
            a = a.reshape(-1)
            arr = tg.create_array(cname, shape=a.shape, dtype=dtype,
                                  chunks=(max(a.shape[0], 1),), dimension_names=("row",),
                                  attributes={"_ARRAY_DIMENSIONS": ["row"]})
            arr[...] = a
    g.attrs.update(_jsonable(attrs))
    shutil.rmtree(path, ignore_errors=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(path)


def read_json_group(path: Path) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """Tables and attributes of a group written by :func:`write_json_group`.

    Parameters
    ----------
    path : pathlib.Path
        The group.

    Returns
    -------
    (dict, dict)
        Tables (name -> columns) and attributes.
    """
    g = zarr.open_group(str(path), mode="r")
    tables = {}
    for tname, tg in g.groups():
        tables[tname] = {cname: np.asarray(a[...]) for cname, a in tg.arrays()}
    return tables, dict(g.attrs)
