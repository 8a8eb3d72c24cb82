"""Run all replicas of all cases of a config, with checkpoints, resume and a progress bar.

Seeds: ``SeedSequence(seed)`` spawns one child per case, each spawns one child
per replica, each replica spawns its disorder, dynamics, observation and
snapshot streams. Same seed, same result, bit for bit, whatever the number of
workers and whether they are threads or processes.

Workers: threads, or, for runs whose per-sample Python layer dominates (many samples, at
least two workers and two replica runs), worker processes forked from this one
(:mod:`.replica_pool`): the event loop releases the interpreter lock but the Python layer
does not, so threads share one core for it.

Checkpoints: every ``checkpoint_every_s`` wall seconds (and when a replica
finishes) each replica's full state is written atomically to
``<run>.ckpt/case<c>_rep<r>.npz`` (:func:`.checkpoint.save`: with a header naming the
case, replica, config and the checksum of the content); ``run.json`` there holds the config
hash. A run killed at any moment loses at most the work since the last checkpoint;
``resume=True`` checks every checkpoint, continues and gives the same bytes as an
uninterrupted run. A damaged checkpoint (unreadable, truncated, an array missing or of the
wrong shape, NaN in the state, another replica's file, content not matching its checksum)
stops the resume with a message naming the file and the problem; ``restart_damaged=True``
restarts those replicas from scratch instead.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..config import RunConfig
from ..config.dump import config_hash
from ..errors import UserError
from ..io.files import atomic_write
from ..program import program_span_s
from . import checkpoint, replica_pool
from .replica import Replica
from .setup import KmcSetup, make_setup

__all__ = ["EnsembleResult", "run_ensemble", "checkpoint_dir", "with_overrides", "Interrupted"]


class Interrupted(UserError):
    """The run was interrupted (Ctrl-C); every replica saved a checkpoint first."""


class _Stop(Exception):
    """Raised in a replica's worker when the run is stopped (after its checkpoint)."""


@dataclass
class EnsembleResult:
    """Finished replicas (``replicas[case][r]``) and the setup they ran."""

    setup: KmcSetup
    cfg: RunConfig
    replicas: list[list[Replica]]
    wall_s: float

    def stacked(self) -> np.ndarray:
        """All time series as one array (case, replica, sample, variable), NaN-padded where a
        replica recorded fewer samples (unloading ends at a replica-dependent time)."""
        tabs = [[r.table() for r in row] for row in self.replicas]
        n = max(t.shape[0] for row in tabs for t in row)
        data = np.full((len(tabs), len(tabs[0]), n, tabs[0][0].shape[1]), np.nan)
        for c, row in enumerate(tabs):
            for r, t in enumerate(row):
                data[c, r, : t.shape[0]] = t
        return data


def with_overrides(cfg: RunConfig, seed: int | None = None, replicas: int | None = None) -> RunConfig:
    """The config with CLI overrides of the seed and replica count."""
    sim = cfg.simulation
    if seed is not None:
        if seed < 0:
            raise UserError(f"--seed {seed}: must be a non-negative integer")
        sim = replace(sim, seed=seed)
    if replicas is not None:
        if replicas < 1:
            raise UserError(f"--replicas {replicas}: must be at least 1")
        sim = replace(sim, replicas=replicas)
    return replace(cfg, simulation=sim)


def checkpoint_dir(out: Path) -> Path:
    return Path(str(out) + ".ckpt")


def _seeds(setup: KmcSetup) -> list[list[np.random.SeedSequence]]:
    root = np.random.SeedSequence(setup.sim.seed)
    return [c.spawn(setup.sim.replicas) for c in root.spawn(setup.n_cases)]


class _Progress:
    """Aggregate progress of all replicas (a tqdm bar on a terminal, silent otherwise)."""

    def __init__(self, setup: KmcSetup, total_tasks: int, enabled: bool):
        self.lock = threading.Lock()
        self.t0 = time.perf_counter()
        self.events = {}
        self.simtime = {}
        self.spans = {id(p): _program_span(p) for p in setup.programs}
        self.t_drawn = -1.0
        self.total = sum(_program_span(p) for p in setup.programs) * setup.sim.replicas
        self.bar = None
        if enabled:
            from tqdm import tqdm

            class _Bar(tqdm):
                monitor_interval = 0   # no monitor thread: the bar is redrawn here, and the
                # replica workers may be forked from this process (no fork with threads)

            self.bar = _Bar(total=self.total, unit="s(sim)", unit_scale=True, dynamic_ncols=True,
                            desc=f"{total_tasks} replica runs", file=sys.stderr)

    def update(self, key, rep: Replica, final: bool = False) -> None:
        if self.bar is None:        # nothing shown: called after every kernel call, so no work
            return
        with self.lock:
            self.set(key, rep.K.counts[5], min(rep.t, self.spans[id(rep.program)]))
            self.draw(final)

    def set(self, key, events: float, simtime: float) -> None:
        """Record one replica run's events and simulated time (drawn by :meth:`draw`)."""
        if self.bar is not None:
            self.events[key] = int(events)
            self.simtime[key] = simtime

    def draw(self, final: bool = False) -> None:
        """Redraw the bar (at most 5 times a second unless ``final``)."""
        if self.bar is not None:
            now = time.perf_counter()
            # the terminal is redrawn at most 5 times a second (a redraw costs more than the
            # events between two samples of a DMA scan)
            if not final and now - self.t_drawn < 0.2:
                return
            self.t_drawn = now
            done = sum(self.simtime.values())
            self.bar.n = min(done, self.total)
            ev = sum(self.events.values())
            dt = max(now - self.t0, 1e-9)
            self.bar.set_postfix_str(f"events {ev:.3g}, {ev / dt:.3g} ev/s", refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _program_span(prog) -> float:
    """Nominal duration of a program (unloading estimated as zero)."""
    return max(program_span_s(prog), 1e-12)


def _read_info(info: Path) -> tuple[dict | None, str | None]:
    """``run.json`` of a checkpoint directory, or the reason it cannot be used."""
    try:
        text = info.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"cannot be read ({exc.__class__.__name__})"
    if not text.strip():
        return None, "is empty"
    try:
        d = json.loads(text)
    except ValueError:
        return None, "is not valid JSON (damaged or truncated)"
    if not isinstance(d, dict) or not isinstance(d.get("config_hash"), str):
        return None, "holds no config_hash (not written by mgmeso, or damaged)"
    return d, None


def _write_info(info: Path, h: str, cfg: RunConfig) -> None:
    with atomic_write(info) as fh:
        json.dump({"config_hash": h, "checkpoint_schema": checkpoint.CHECKPOINT_SCHEMA,
                   "config_file": str(cfg.path)}, fh)


_RESTART_HINT = ("continue the intact replicas and restart the damaged ones from scratch with "
                 "--resume --restart-damaged (same results: a replica's seed fixes its run), or "
                 "start again with --overwrite")


def _prepare_checkpoints(ckpt: Path, h: str, cfg: RunConfig, resume: bool,
                         restart_damaged: bool, notify) -> None:
    """Check (resume) or create (new run) the checkpoint directory and its run.json."""
    info = ckpt / "run.json"
    if not resume:
        if ckpt.exists():
            shutil.rmtree(ckpt)
        ckpt.mkdir(parents=True)
        _write_info(info, h, cfg)
        return
    if not ckpt.is_dir() or not (info.exists() or any(ckpt.glob("case*_rep*.npz"))):
        raise UserError(f"--resume: no checkpoint of an interrupted run at {ckpt}")
    # temporary files of checkpoints being written when the run was killed
    for tmp in ckpt.glob(".case*_rep*.npz.*.tmp"):
        tmp.unlink(missing_ok=True)
    d, why = _read_info(info) if info.exists() else (None, "is missing")
    if d is None:
        if not restart_damaged:
            raise UserError([f"--resume: {info} {why}; " + _RESTART_HINT])
        notify(f"{info} {why}: rewritten (each checkpoint file is checked on its own)")
        _write_info(info, h, cfg)
    elif d["config_hash"] != h:
        raise UserError(f"--resume: the checkpoint at {ckpt} belongs to a different config "
                        "(material, protocol or simulation settings changed); start again "
                        "with --overwrite")


def _restore_all(reps, paths, h: str, restart_damaged: bool, notify, setup) -> None:
    """Restore every replica that has a checkpoint; damaged ones stop the run (or restart)."""
    damaged = []
    for c, row in enumerate(reps):
        for r in range(len(row)):
            path = paths[c][r]
            if path is None or not (path.exists() or path.is_symlink()):
                continue
            try:
                checkpoint.restore(path, row[r], r, h)
            except checkpoint.CheckpointDamaged as exc:
                damaged.append((c, r, exc))
    if damaged and not restart_damaged:
        msgs = [m for _, _, e in damaged for m in e.messages]
        raise UserError(msgs + [_RESTART_HINT], str(damaged[0][2].path.parent))
    for c, r, exc in damaged:
        # a failed restore may have changed the replica: build it again from its seed (a
        # fresh SeedSequence: spawning advances the one the first replica used)
        reps[c][r] = Replica(setup, c, _seeds(setup)[c][r])
        aside = exc.path.with_name(exc.path.name + ".damaged")
        if exc.path.exists() or exc.path.is_symlink():
            if aside.is_dir() and not aside.is_symlink():
                shutil.rmtree(aside)
            exc.path.replace(aside)
        notify(f"case {c} replica {r} restarts from scratch ({'; '.join(exc.problems)}); the "
               f"damaged file is kept as {aside.name}")


def _notify_stderr(msg: str) -> None:
    print(f"mgmeso: note: {msg}", file=sys.stderr, flush=True)


class _ThreadRunner:
    """Replica runs on a pool of threads (the event loop releases the interpreter lock).

    The runners share one interface: ``stop`` (an event set to stop every replica after its
    checkpoint), ``report(i, key, replica, final)`` (progress of task ``i``, called by the
    task's worker) and ``run(work, where, make_replica)`` (``work(task, i)`` for every task;
    Ctrl-C or a stop raises :class:`Interrupted` with ``where`` appended to its message).
    """

    def __init__(self, tasks, bar, n_workers: int):
        self.tasks, self.bar, self.n_workers = tasks, bar, n_workers
        self.stop = threading.Event()

    def report(self, i, key, rp, final=False) -> None:
        self.bar.update(key, rp, final)

    def run(self, work, where: str, make_replica) -> None:
        pool = ThreadPoolExecutor(max_workers=self.n_workers)
        futures = [pool.submit(work, t) for t in self.tasks]
        try:
            for fut in futures:
                fut.result()
        except (KeyboardInterrupt, _Stop):
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            raise Interrupted(f"interrupted{where}") from None
        finally:
            pool.shutdown(wait=True)
            self.bar.close()


class _ProcessRunner:
    """Replica runs in worker processes forked from this one (:mod:`.replica_pool`); the
    interface of :class:`_ThreadRunner`. The workers write the events and simulated time of
    their task into shared memory, which the driver reads for the progress bar."""

    def __init__(self, tasks, bar, n_workers: int):
        import multiprocessing as mp
        ctx = mp.get_context("fork")
        self.tasks, self.bar, self.n_workers = tasks, bar, n_workers
        self.stop = ctx.Event()
        self.shared = ctx.Array("d", 2 * len(tasks), lock=False)

    def report(self, i, key, rp, final=False) -> None:
        self.shared[2 * i] = float(rp.K.counts[5])
        self.shared[2 * i + 1] = min(rp.t, self.bar.spans[id(rp.program)])
        if replica_pool.orphaned():       # the driver was killed: stop, write nothing
            os._exit(1)

    def poll(self) -> None:
        for i, (c, r, _, _) in enumerate(self.tasks):
            self.bar.set((c, r), self.shared[2 * i], self.shared[2 * i + 1])
        self.bar.draw()

    def run(self, work, where: str, make_replica) -> None:
        try:
            replica_pool.warm_up(make_replica)
            replica_pool.run_in_processes(self.tasks, work, self.n_workers, self.stop,
                                          self.shared, self.poll)
        except (KeyboardInterrupt, _Stop):
            raise Interrupted(f"interrupted{where}") from None
        finally:
            self.poll()
            self.bar.draw(final=True)
            self.bar.close()


def run_ensemble(cfg: RunConfig, out: Path | None = None, *, resume: bool = False,
                 progress: bool | None = None, workers: int | None = None,
                 restart_damaged: bool = False, notify=None) -> EnsembleResult:
    """Run (or resume) every replica of every case.

    Parameters
    ----------
    cfg
        Validated config (with overrides applied).
    out
        Run store path; checkpoints go to ``<out>.ckpt``. None: no checkpoints.
    resume
        Continue from the checkpoints of an interrupted run of the same config. Every
        checkpoint is checked first (:func:`.checkpoint.restore`); a damaged one stops the
        run with a message naming it.
    progress
        Show a progress bar (default: only if stderr is a terminal).
    workers
        Workers (default: min(replicas x cases, CPU count)): threads, or forked processes for
        a run with many samples (:func:`.replica_pool.use_processes`).
    restart_damaged
        With ``resume``: restart replicas whose checkpoint is damaged from scratch (their
        seeds fix their runs, so the result is the same) instead of stopping.
    notify
        ``notify(message)`` for what was restarted (default: a note on stderr).
    """
    setup = make_setup(cfg)
    ckpt = checkpoint_dir(out) if out is not None else None
    h = config_hash(cfg)
    notify = notify or _notify_stderr
    if ckpt is not None:
        _prepare_checkpoints(ckpt, h, cfg, resume, restart_damaged, notify)
    seeds = _seeds(setup)
    reps = [[Replica(setup, c, seeds[c][r]) for r in range(setup.sim.replicas)]
            for c in range(setup.n_cases)]
    paths = [[ckpt / f"case{c:03d}_rep{r:05d}.npz" if ckpt is not None else None
              for r in range(setup.sim.replicas)] for c in range(setup.n_cases)]
    if resume and ckpt is not None:
        _restore_all(reps, paths, h, restart_damaged, notify, setup)
    tasks = [(c, r, reps[c][r], paths[c][r]) for c in range(setup.n_cases)
             for r in range(setup.sim.replicas)]
    if progress is None:
        progress = sys.stderr.isatty()
    every = setup.sim.checkpoint_every_s
    n_workers = max(workers or min(len(tasks), os.cpu_count() or 1), 1)
    # checked before the progress bar starts its monitor thread (no fork with threads)
    procs = replica_pool.use_processes(n_workers, len(tasks), replica_pool.planned_samples(setup))
    bar = _Progress(setup, len(tasks), progress)
    t_start = time.perf_counter()
    runner = (_ProcessRunner if procs else _ThreadRunner)(tasks, bar, n_workers)

    def work(task, i=0):
        c, r, rep, path = task
        last = [time.perf_counter()]

        def on_chunk(rp):
            runner.report(i, (c, r), rp)
            if path is not None and (runner.stop.is_set() or
                                     time.perf_counter() - last[0] >= every):
                checkpoint.save(path, rp, r, h)
                last[0] = time.perf_counter()
            if runner.stop.is_set():
                raise _Stop

        rep.run(on_chunk)
        runner.report(i, (c, r), rep, True)
        if path is not None:
            checkpoint.save(path, rep, r, h)

    where = f"; checkpoints are in {ckpt}, continue with --resume" if ckpt is not None else ""
    runner.run(work, where, lambda: Replica(setup, 0, _seeds(setup)[0][0]))
    return EnsembleResult(setup, cfg, reps, time.perf_counter() - t_start)
