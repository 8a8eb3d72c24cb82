"""The sweep store: one zarr (v3) group holding every run of a sweep.

Layout of ``SWEEP.zarr``::

    zarr.json          root attributes (written once, when the store is created):
                       mgmeso_store = "sweep", format, title, sweep_hash, sweep (the SWEEP.toml
                       as data), base_config, axes, dims, shape, combine, run_index (per run:
                       id, coords, settings, config_hash, seed), collect, versions, provenance
    runs/<id>/         the kMC run store of run <id> (mgmeso.kmc.store.write_run), moved into
                       place only when complete: its existence means "done"
    theory/<id>/       the analytical model of run <id>: one group per table, one array per
                       column, the summary as attributes
    failed/<mode>-<id>/  a run that raised after its retries: error, traceback, attempts
    .checkpoints/      engine checkpoints of unfinished runs (<id>.ckpt) and per-run locks
    .driver.lock       held by the driver process while it runs

Each run is written by exactly one task into its own group, so no two workers
ever write the same chunk; the driver writes only the root (at creation) and the
``failed`` markers. A per-run file lock keeps a task that outlived a killed
driver (on a remote cluster) and its retry from writing the same run at once.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import platform
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import zarr

from ..errors import UserError
from .store_groups import _jsonable, sweep_versions

__all__ = ["MODES", "STORE_FORMAT", "SweepStore", "create_store", "open_store"]

STORE_FORMAT = 1
MODES = ("kmc", "theory")
_MODE_GROUP = {"kmc": "runs", "theory": "theory"}


class SweepStore:
    """Paths and status of a sweep store (no zarr handles kept open: workers use it too)."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # -- paths -------------------------------------------------------------------------------
    def group_path(self, mode: str, run_id: str) -> Path:
        """Return the group of a finished run.

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.

        Returns
        -------
        pathlib.Path
            ``runs/<id>`` or ``theory/<id>``.
        """
        return self.path / _MODE_GROUP[mode] / run_id

    def failed_path(self, mode: str, run_id: str) -> Path:
        """Return the record of a failed run.

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.

        Returns
        -------
        pathlib.Path
            ``failed/<mode>-<id>``.
        """
        return self.path / "failed" / f"{mode}-{run_id}"

    def checkpoint_base(self, run_id: str) -> Path:
        """Return the ``out`` argument of the engine for this run: checkpoints go to ``<it>.ckpt``.

        Parameters
        ----------
        run_id : str
            The run's id.

        Returns
        -------
        pathlib.Path
            The base path.
        """
        return self.path / ".checkpoints" / run_id

    # -- status ------------------------------------------------------------------------------
    def attrs(self) -> dict:
        """Return the root attributes of the store.

        Returns
        -------
        dict
            Sweep file, axes, run index, versions, provenance.
        """
        return dict(zarr.open_group(str(self.path), mode="r").attrs)

    def is_done(self, mode: str, run_id: str) -> bool:
        """Tell whether a run's group is complete.

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.

        Returns
        -------
        bool
            True if done.
        """
        return (self.group_path(mode, run_id) / "zarr.json").is_file()

    def failure(self, mode: str, run_id: str) -> dict | None:
        """Return the record of a failed run, if any.

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.

        Returns
        -------
        dict or None
            Error, traceback and attempts.
        """
        p = self.failed_path(mode, run_id) / "zarr.json"
        if not p.is_file():
            return None
        return dict(zarr.open_group(str(p.parent), mode="r").attrs)

    def has_checkpoint(self, run_id: str) -> bool:
        """Tell whether a run has engine checkpoints to resume from.

        Parameters
        ----------
        run_id : str
            The run's id.

        Returns
        -------
        bool
            True if there are.
        """
        return (Path(str(self.checkpoint_base(run_id)) + ".ckpt") / "run.json").is_file()

    # -- writing -----------------------------------------------------------------------------
    def write_failure(self, mode: str, run_id: str, info: dict) -> None:
        """Record a run that failed (driver only), atomically.

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.
        info : dict
            Error, traceback and attempts.
        """
        p = self.failed_path(mode, run_id)
        tmp = p.with_name(p.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        g = zarr.open_group(str(tmp), mode="w")
        g.attrs.update(_jsonable(info))
        shutil.rmtree(p, ignore_errors=True)
        tmp.rename(p)

    def clear_failure(self, mode: str, run_id: str) -> None:
        """Remove the record of a failed run (it is tried again).

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.
        """
        shutil.rmtree(self.failed_path(mode, run_id), ignore_errors=True)

    def remove_partial(self, mode: str, run_id: str) -> None:
        """Remove the temporary directories a killed writer of this run left behind (caller holds the lock).

        Parameters
        ----------
        mode : {'kmc', 'theory'}
            Which engine's group.
        run_id : str
            The run's id.
        """
        g = self.group_path(mode, run_id)
        for p in g.parent.glob(g.name + ".tmp*"):
            shutil.rmtree(p, ignore_errors=True)

    @contextlib.contextmanager
    def run_lock(self, run_id: str) -> Iterator[None]:
        """Exclusive lock of one run (blocks while another task holds it).

        Parameters
        ----------
        run_id : str
            The run's id.

        Yields
        ------
        None
            While the lock is held.
        """
        lock = self.path / ".checkpoints" / f"{run_id}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def driver_lock(self) -> Iterator[None]:
        """Held by the one driver allowed to run this sweep at a time.

        Yields
        ------
        None
            While the lock is held.

        Raises
        ------
        UserError
            If another driver holds it.
        """
        lock = self.path / ".driver.lock"
        fh = open(lock, "a+")  # noqa: SIM115 - held open for the whole session
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            who = fh.read().strip() or "another process"
            fh.close()
            raise UserError(f"{self.path}: another 'mgmeso sweep' ({who}) is running this sweep; "
                            "wait for it or stop it first") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def create_store(path: Path, sweep, overwrite: bool = False) -> SweepStore:
    """Create an empty sweep store (atomically: built beside ``path``, then moved).

    Parameters
    ----------
    path : pathlib.Path
        The store.
    sweep : Sweep
        The sweep (its attributes are written once).
    overwrite : bool
        Replace an existing store.

    Returns
    -------
    SweepStore
        The store.
    """
    path = Path(path)
    if path.exists():
        if not overwrite:
            raise UserError(f"sweep store {path} already exists; pass --resume to continue it or "
                            "--overwrite to replace it")
        if not _is_sweep_store(path):
            raise UserError(f"{path} exists and is not an mgmeso sweep store; not replacing it "
                            "(remove it yourself if you mean to)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    root = zarr.open_group(str(tmp), mode="w")
    for name in ("runs", "theory", "failed"):
        root.create_group(name)
    root.attrs.update(_jsonable({
        "mgmeso_store": "sweep",
        "format": STORE_FORMAT,
        "title": sweep.title,
        "sweep_hash": sweep.sweep_hash(),
        "sweep_file": str(sweep.path) if sweep.path else None,
        "sweep": sweep.doc,
        "base_config": sweep.base_doc,
        "base_config_file": str(sweep.base_path) if sweep.base_path else None,
        "axes": [a.as_dict() for a in sweep.axes],
        "combine": sweep.combine,
        "dims": list(sweep.dims),
        "shape": list(sweep.shape),
        "run_index": [r.record() for r in sweep.runs],
        "collect": sweep.collect,
        "versions": sweep_versions(),
        "provenance": {
            "created_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(), "platform": platform.platform(),
            "python": sys.executable, "cwd": os.getcwd(), "argv": sys.argv,
        },
    }))
    if path.exists():
        old = path.with_name(path.name + f".old{os.getpid()}")
        path.rename(old)
        tmp.rename(path)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(path)
    return SweepStore(path)


def _is_sweep_store(path: Path) -> bool:
    try:
        return zarr.open_group(str(path), mode="r").attrs.get("mgmeso_store") == "sweep"
    except Exception:  # noqa: BLE001 - zarr raises several types for a non-store directory
        return False


def open_store(path: str | os.PathLike, sweep=None) -> SweepStore:
    """Open an existing sweep store; with ``sweep``, check that it was made by that sweep.

    Raises
    ------
    UserError
        If ``path`` is not a sweep store, or belongs to a different sweep.

    Parameters
    ----------
    path : str or path-like
        The store.
    sweep : Sweep, optional
        The sweep it must belong to.

    Returns
    -------
    SweepStore
        The store.
    """
    p = Path(path)
    if not p.exists():
        raise UserError(f"sweep store {p} does not exist")
    if not _is_sweep_store(p):
        raise UserError(f"{p} is not an mgmeso sweep store (no mgmeso_store = 'sweep' in its "
                        "root attributes)")
    st = SweepStore(p)
    attrs = st.attrs()
    if attrs.get("format") != STORE_FORMAT:
        raise UserError(f"{p}: sweep store format {attrs.get('format')} (this mgmeso reads "
                        f"format {STORE_FORMAT})")
    if sweep is not None and attrs.get("sweep_hash") != sweep.sweep_hash():
        old = {r["id"]: r["config_hash"] for r in attrs.get("run_index", [])}
        changed = [r.id for r in sweep.runs if old.get(r.id) != r.record()["config_hash"]]
        what = (f"{len(changed)} of {len(sweep.runs)} run configs differ (first: "
                f"{', '.join(changed[:3])})" if changed else "the axes differ")
        raise UserError(f"{p} was made by a different sweep ({what}); resume it with the "
                        "SWEEP.toml that made it, or start again with --overwrite")
    return st


