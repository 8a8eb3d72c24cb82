"""Replicas in forked worker processes: the per-sample Python layer on every core.

The event loop releases the interpreter lock, the per-sample Python layer (defect update,
observation, kernel calls) does not; in the sample-heavy configs (the training and aging
scans) that layer is most of a replica's time, so threads share one core for it. Worker
processes do not.

How a run goes (:func:`run_in_processes`, called by :func:`.ensemble.run_ensemble`):

* the parent builds every replica from its own seed stream (as with threads), then warms
  the jitted kernels up on a throwaway replica (:func:`warm_up`): compiled or loaded from
  numba's disk cache once, in the parent, so that the workers, **forked** from it, inherit
  the machine code instead of each compiling (empty cache) or loading (warm cache) it again;
* each worker runs whole replicas with the same ``work`` function as a thread would (the
  same kernel calls in the same order, the same checkpoints written to the same files) and
  returns the replica's :func:`.checkpoint.state_dict`, which the parent loads into its own
  copy of the replica: the state a resumed run continues from, so the parent's replica is
  the worker's bit for bit and the store written from it is the threaded run's;
* Ctrl-C: the workers ignore SIGINT; the parent sets a shared stop flag, every worker writes
  its checkpoint at its next kernel return and stops, and the parent raises as with
  threads. A worker whose parent dies (SIGKILL) is killed by the kernel
  (``PR_SET_PDEATHSIG``) and also stops when it finds itself re-parented, so no orphan keeps
  writing checkpoints that a resumed run owns.

Forking is used only where it is safe and pays (:func:`use_processes`): Linux, a process
with no other thread running (forking a threaded process can deadlock on a lock another
thread held), not inside a daemonic worker (a Dask or pool worker), at least two workers
and two replica runs, and a run large enough that the per-sample layer matters.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

__all__ = ["use_processes", "warm_up", "run_in_processes", "MIN_SAMPLES", "planned_samples", "orphaned"]

#: below this many planned samples over all replica runs a run stays on threads (the fork,
#: the warm-up and the state transfer cost about 0.1-0.3 s, a sample's Python layer about
#: 0.1-0.4 ms: a run with fewer samples gains less than that)
MIN_SAMPLES = 4000

_PR_SET_PDEATHSIG = 1

# what the forked workers run: set in the parent just before the pool forks them
_STATE: dict = {}


def planned_samples(setup) -> int:
    """Count the samples the programs plan over all replica runs (segments that end on an
    event count their planned samples only): the measure of the per-sample Python work.

    Parameters
    ----------
    setup : Setup
        The run's setup.

    Returns
    -------
    int
        The planned samples over all replica runs.
    """
    per_replica = sum(int(getattr(seg, "samples", 0) or 0) for prog in setup.programs
                      for seg in prog.segments)
    return per_replica * setup.sim.replicas


def use_processes(n_workers: int, n_tasks: int, samples: int) -> bool:
    """Whether to run the replicas in forked worker processes rather than threads.

    Parameters
    ----------
    n_workers : int
        Workers asked for.
    n_tasks : int
        Replica runs (replicas x cases).
    samples : int
        Planned samples over all replica runs (:func:`planned_samples`).

    Returns
    -------
    bool

    Notes
    -----
    ``MGMESO_REPLICA_WORKERS=threads`` in the environment keeps threads; ``=processes`` uses
    processes for any run size (where forking is possible at all).
    """
    mode = os.environ.get("MGMESO_REPLICA_WORKERS", "").strip().lower()
    if mode == "threads":
        return False
    if mode != "processes" and samples < MIN_SAMPLES:
        return False
    return (n_workers >= 2 and n_tasks >= 2 and sys.platform.startswith("linux")
            and "fork" in mp.get_all_start_methods() and not mp.current_process().daemon
            and _single_threaded())


def _single_threaded() -> bool:
    """No other thread runs in this process (a fork copies only the calling thread, and any
    lock another thread held stays locked in the child).
    """
    return threading.active_count() == 1


def warm_up(make_replica) -> None:
    """Compile (or load from the disk cache) the kernels a replica calls, on a throwaway one.

    Parameters
    ----------
    make_replica : callable
        ``make_replica()`` builds a fresh replica (its state is discarded afterwards).
    """
    rep = make_replica()
    for _ in range(3):        # segment start, first kernel calls and the first sample
        if rep.done:
            break
        rep.advance()
    rep.observe()
    if rep.dyn is not None:   # the defect kernels (the throwaway's state does not matter)
        rep.dyn.step(rep.S, rep.control(rep.t, 0), rep.K, rep.T, 0.0, rep.t + 1e-9)


def _init_worker(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent alone handles it (stop flag)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STATE["parent"] = parent
    try:      # die with the parent (SIGKILL of the driver): no orphan writes checkpoints
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def orphaned() -> bool:
    """Tell whether this is a worker whose parent has died (it was re-parented).

    Returns
    -------
    bool
        True in a worker whose parent has died.
    """
    parent = _STATE.get("parent")
    return parent is not None and os.getppid() != parent


def _run_task(i: int):
    work, tasks = _STATE["work"], _STATE["tasks"]
    rep = tasks[i][2]
    work(tasks[i], i)
    return rep.state_dict()


def run_in_processes(tasks, work, n_workers: int, stop, progress_shared, poll) -> list:
    """Run ``work(task, i)`` for every task in forked workers; the tasks' replicas are
    overwritten with the workers' final states.

    Parameters
    ----------
    tasks : list of tuple
        ``(case, replica, Replica, checkpoint path)``.
    work : callable
        ``work(task, i)``: runs the replica (raises on a stop).
    n_workers : int
        Worker processes.
    stop : multiprocessing Event
        Set by the parent to stop every worker (each saves its checkpoint first).
    progress_shared : object
        Shared memory the workers write their progress into (inherited at the fork).
    poll : callable
        Called about five times a second while the workers run (progress bar).

    Returns
    -------
    list
        Empty: the replicas are updated in place.
    """
    _STATE.update(work=work, tasks=tasks, shared=progress_shared)
    ctx = mp.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx,
                               initializer=_init_worker, initargs=(os.getpid(),))
    try:
        futures = {pool.submit(_run_task, i): i for i in range(len(tasks))}
        pending = set(futures)
        error = None
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            poll()
            for f in done:
                try:
                    state = f.result()
                except BaseException as exc:    # noqa: BLE001 - re-raised below
                    if error is None:
                        error = exc
                    continue
                tasks[futures[f]][2].load_state_dict(state)
        if error is not None:
            raise error
    except KeyboardInterrupt:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        _STATE.clear()
    return []
