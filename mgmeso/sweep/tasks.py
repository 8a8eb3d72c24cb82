"""The work of one run, as executed on a worker (a Dask task or a local process).

A task calls the engine only through its public entry points
(:func:`mgmeso.kmc.ensemble.run_ensemble` + :func:`mgmeso.kmc.store.write_run`,
:func:`mgmeso.theory.evaluate`) and writes only its own group of the sweep store.
It returns a small dict (events, wall time) for the driver's progress line.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..config import RunConfig
from .store import SweepStore
from .store_groups import sweep_versions, write_json_group

__all__ = ["TASKS", "kmc_task", "theory_task"]


def _run_engine(cfg: RunConfig, ckpt_base, resume: bool, threads: int):
    """Call the engine (one place, so tests can make a run fail)."""
    from ..kmc.ensemble import run_ensemble

    return run_ensemble(cfg, ckpt_base, resume=resume, progress=False, workers=threads)


def _events(result) -> int:
    """Events of all replicas of all cases of a finished ensemble."""
    from ..kmc.replica import TS_INDEX

    data = result.stacked()[..., TS_INDEX["events_total"]]
    return int(np.nansum(np.nanmax(data, axis=-1)))


def kmc_task(store: str, run_id: str, cfg: RunConfig, threads: int = 1) -> dict[str, Any]:
    """Run (or continue from its checkpoints) the kMC ensemble of one run into its group.

    Parameters
    ----------
    store : str
        Path of the sweep store.
    run_id : str
        The run's id.
    cfg : RunConfig
        The run's config.
    threads : int
        Engine threads.

    Returns
    -------
    dict
        Id, events, wall time and whether it resumed or was skipped.
    """
    from ..kmc.ensemble import checkpoint_dir
    from ..kmc.store import write_run

    st = SweepStore(store)
    base = st.checkpoint_base(run_id)
    with st.run_lock(run_id):
        if st.is_done("kmc", run_id):       # finished by an earlier task (a retry, an orphan)
            shutil.rmtree(checkpoint_dir(base), ignore_errors=True)
            return {"id": run_id, "events": 0, "wall_s": 0.0, "resumed": False, "skipped": True}
        st.remove_partial("kmc", run_id)
        resume = st.has_checkpoint(run_id)
        t0 = time.perf_counter()
        result = _run_engine(cfg, base, resume, threads)
        write_run(result, st.group_path("kmc", run_id), sweep_versions())
        shutil.rmtree(checkpoint_dir(base), ignore_errors=True)
        return {"id": run_id, "events": _events(result), "wall_s": time.perf_counter() - t0,
                "resumed": resume, "skipped": False}


def theory_key(cfg: RunConfig) -> str:
    """Hash of what the analytical model reads (material, protocol, [theory]): runs that
    differ only in kMC settings (seed, lattice, replicas) share one evaluation.

    Parameters
    ----------
    cfg : RunConfig
        The run's config.

    Returns
    -------
    str
        16 hex digits of the hash of material, protocol and ``[theory]``.
    """
    import hashlib
    import json

    from ..config.dump import config_dict

    d = config_dict(cfg)
    d = {k: d[k] for k in ("material", "protocol", "theory")}
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


def theory_task(store: str, run_ids: list[str], cfg: RunConfig, threads: int = 1) -> dict[str, Any]:
    """Evaluate the analytical model once and write it to the ``theory/<id>`` group of each
    run in ``run_ids`` (runs with the same material, protocol and [theory] table).

    Parameters
    ----------
    store : str
        Path of the sweep store.
    run_ids : list of str
        The runs that share this evaluation.
    cfg : RunConfig
        Their config (any of them).
    threads : int
        Unused (the model runs in one thread).

    Returns
    -------
    dict
        Ids, wall time, events (0) and whether every run was done already.
    """
    from ..config.dump import config_dict, config_hash
    from ..theory import evaluate

    st = SweepStore(store)
    t0 = time.perf_counter()
    res = None
    for run_id in run_ids:
        with st.run_lock(f"theory-{run_id}"):
            if st.is_done("theory", run_id):
                continue
            if res is None:
                res = evaluate(cfg)
            tables = {name: dict(t.columns) for name, t in res.tables.items()}
            write_json_group(st.group_path("theory", run_id), tables, {
                "mgmeso_store": "theory-run", "kind": res.kind, "summary": res.summary,
                "config": config_dict(cfg), "config_hash": config_hash(cfg),
                "table_columns": {name: list(t.names) for name, t in res.tables.items()},
                "versions": sweep_versions()})
    return {"id": run_ids[0], "ids": list(run_ids), "events": 0,
            "wall_s": time.perf_counter() - t0, "resumed": False, "skipped": res is None}


TASKS: dict[str, Callable[..., dict[str, Any]]] = {"kmc": kmc_task, "theory": theory_task}
