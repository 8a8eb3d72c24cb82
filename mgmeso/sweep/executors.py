"""Where the runs execute: a Dask cluster (local or at an address), local processes, or serially.

All scheduling, retrying and result collection is done by the library underneath
(Dask futures with ``retries=``; :mod:`concurrent.futures` without Dask): an
executor only submits one call per run and yields the outcomes as they finish.

* :class:`DaskExecutor` -- a :class:`distributed.LocalCluster` (one single-threaded
  worker process per core by default) or any scheduler address; the same code path.
* :class:`ProcessExecutor` -- :class:`concurrent.futures.ProcessPoolExecutor` (spawned
  processes), used when Dask is not installed; retries are repeated attempts inside
  the worker process.
* :class:`SerialExecutor` -- in the calling process, one run after another (theory
  sweeps, debugging).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import importlib.util
import logging
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UserError

__all__ = [
    "Call",
    "DaskExecutor",
    "Executor",
    "Outcome",
    "ProcessExecutor",
    "RunFailed",
    "SerialExecutor",
    "have_dask",
    "make_executor",
]


@dataclass(frozen=True)
class Call:
    """One run's task: ``fn(*args)`` under the task key ``key``."""

    key: str
    fn: Callable
    args: tuple


@dataclass
class Outcome:
    """A finished call: its result, or the error it raised after all attempts."""

    key: str
    result: Any = None
    error: str | None = None
    traceback: str = ""


class RunFailed(Exception):
    """A run raised in every attempt (local executors; Dask reports the original error)."""


def have_dask() -> bool:
    """Tell whether Dask's ``distributed`` is installed.

    Returns
    -------
    bool
        True if it can be imported.
    """
    return importlib.util.find_spec("distributed") is not None


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _is_interrupt(exc: BaseException) -> bool:
    """Tell the engine's Ctrl-C (it saved its checkpoints): stop, do not retry."""
    from ..kmc.ensemble import Interrupted

    return isinstance(exc, Interrupted)


def _attempts(fn: Callable, retries: int, *args):
    """``fn(*args)``, tried ``retries + 1`` times; the last error is re-raised as RunFailed."""
    for attempt in range(retries + 1):
        try:
            return fn(*args)
        except Exception as exc:  # any error of a run is reported, not fatal
            if _is_interrupt(exc):
                raise
            if attempt == retries:
                tb = traceback.format_exc(limit=12)
                raise RunFailed(_error_text(exc), tb) from None


class Executor:
    """Where the runs of a sweep execute: what :func:`make_executor` returns.

    Attributes: ``name`` (the ``--executor`` choice), ``description`` (one line for the
    report), ``dashboard`` (a URL or None) and ``n_workers``.
    """

    name = ""
    description = ""
    dashboard: str | None = None
    n_workers = 1

    def run(self, calls: Sequence[Call], retries: int) -> Iterator[Outcome]:
        """Run the calls; yield one outcome per call as it finishes.

        Parameters
        ----------
        calls : sequence of Call
            One call per run.
        retries : int
            Extra attempts of a call that raises.

        Yields
        ------
        Outcome
            The result or the error of each call.
        """
        raise NotImplementedError

    def close(self, cancel: bool = False) -> None:
        """Release the workers.

        Parameters
        ----------
        cancel : bool
            Cancel pending calls instead of waiting for them.
        """
        raise NotImplementedError


class SerialExecutor(Executor):
    """Runs the calls in this process, in order (outcomes in the order of the calls)."""

    name = "serial"

    def __init__(self):
        self.description = "in this process, one run at a time"
        self.dashboard = None
        self.n_workers = 1

    def run(self, calls: Sequence[Call], retries: int) -> Iterator[Outcome]:
        """See `Executor.run`."""
        for c in calls:
            try:
                yield Outcome(c.key, result=_attempts(c.fn, retries, *c.args))
            except RunFailed as exc:
                yield Outcome(c.key, error=exc.args[0], traceback=exc.args[1])

    def close(self, cancel: bool = False) -> None:
        """Nothing to release.

        Parameters
        ----------
        cancel : bool
            Unused.
        """
        pass


class ProcessExecutor(Executor):
    """Local worker processes (concurrent.futures), when Dask is not installed; outcomes as the
    calls finish.
    """

    name = "processes"

    def __init__(self, workers: int | None = None):
        self.n_workers = workers or os.cpu_count() or 1
        self.pool = cf.ProcessPoolExecutor(max_workers=self.n_workers,
                                           mp_context=multiprocessing.get_context("spawn"))
        self.description = f"{self.n_workers} local processes (concurrent.futures)"
        self.dashboard = None

    def run(self, calls: Sequence[Call], retries: int) -> Iterator[Outcome]:
        """See `Executor.run`."""
        futs = {self.pool.submit(_attempts, c.fn, retries, *c.args): c.key for c in calls}
        for fut in cf.as_completed(futs):
            key = futs.pop(fut)
            try:
                yield Outcome(key, result=fut.result())
            except RunFailed as exc:
                yield Outcome(key, error=exc.args[0], traceback=exc.args[1])
            except cf.process.BrokenProcessPool as exc:
                yield Outcome(key, error=f"worker process died ({exc}); rerun with --resume")

    def close(self, cancel: bool = False) -> None:
        """Shut the pool down.

        Parameters
        ----------
        cancel : bool
            Cancel pending calls instead of waiting for them.
        """
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


class DaskExecutor(Executor):
    """Dask futures on a LocalCluster (default) or on the scheduler at ``address``; a call that
    raises is retried by Dask (``retries=``), outcomes as the calls finish.

    Parameters
    ----------
    address
        A scheduler address (``tcp://host:8786``); None starts a LocalCluster.
    workers
        LocalCluster worker processes (default: one per core), one thread each.
    client
        An existing :class:`distributed.Client` to use (not closed by :meth:`close`).
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int | None = None, client=None):
        from distributed import Client, LocalCluster

        self.cluster = None
        self._own_client = client is None
        if client is not None:
            self.client = client
            where = f"the Dask scheduler at {client.scheduler.address}"
        elif address is not None:
            try:
                self.client = Client(address, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise UserError(f"--scheduler {address}: cannot connect to a Dask scheduler "
                                f"({type(exc).__name__}: {exc})") from None
            where = f"the Dask scheduler at {address}"
        else:
            n = workers or os.cpu_count() or 1
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            where = "a Dask LocalCluster"
        info = self.client.scheduler_info()
        self.n_workers = len(info.get("workers", {}))
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
        self.description = f"{where} ({self.n_workers} workers, {threads} threads)"
        self.dashboard = self.client.dashboard_link if "dashboard" in info.get("services", {}) \
            else None

    def run(self, calls: Sequence[Call], retries: int) -> Iterator[Outcome]:
        """See `Executor.run`."""
        from distributed import as_completed

        futs = {self.client.submit(c.fn, *c.args, key=c.key, retries=retries, pure=False): c.key
                for c in calls}
        self._futures = list(futs)
        for fut in as_completed(list(futs)):
            key = futs[fut]
            if fut.status == "finished":
                yield Outcome(key, result=fut.result())
            elif fut.status == "error":
                exc = fut.exception()
                tb = "".join(traceback.format_tb(fut.traceback())) if fut.traceback() else ""
                yield Outcome(key, error=_error_text(exc), traceback=tb)
            else:
                yield Outcome(key, error=f"task {fut.status} (lost by the scheduler)")
            fut.release()

    def close(self, cancel: bool = False) -> None:
        """Close the client (and the cluster this executor started).

        Parameters
        ----------
        cancel : bool
            Cancel the pending futures first.
        """
        if cancel and getattr(self, "_futures", None):
            with contextlib.suppress(Exception):     # the scheduler may already be gone
                self.client.cancel(self._futures)
        if self._own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_executor(kind: str = "auto", workers: int | None = None,
                  scheduler: str | None = None) -> tuple[Any, str | None]:
    """Return the executor to use, and a note to print (why it is not Dask, if it is not).

    Parameters
    ----------
    kind : {'auto', 'dask', 'processes', 'serial'}
        ``auto``: Dask if installed, else local processes.
    workers : int, optional
        Worker processes (default: the CPU count).
    scheduler : str, optional
        Address of a running Dask scheduler.

    Returns
    -------
    (executor, str or None)
        The executor and the note.

    Raises
    ------
    UserError
        For contradicting or impossible choices.
    """
    if workers is not None and workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1")
    if scheduler is not None and kind not in ("auto", "dask"):
        raise UserError(f"--scheduler needs the Dask executor (got --executor {kind})")
    if kind in ("auto", "dask") and not have_dask():
        if kind == "dask" or scheduler is not None:
            raise UserError("Dask is not installed: pip install mgmeso[dask] (or run without "
                            "--scheduler to use local processes)")
        return ProcessExecutor(workers), ("Dask is not installed (pip install mgmeso[dask]): "
                                          "running in local processes with concurrent.futures")
    if kind in ("auto", "dask"):
        return DaskExecutor(address=scheduler, workers=workers), None
    if kind == "processes":
        return ProcessExecutor(workers), None
    if kind == "serial":
        return SerialExecutor(), None
    raise UserError(f"--executor {kind}: allowed values are auto, dask, processes, serial")
