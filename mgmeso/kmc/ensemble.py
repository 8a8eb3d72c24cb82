"""Run all replicas of all cases of a config, with checkpoints, resume and a progress bar.

Seeds: ``SeedSequence(seed)`` spawns one child per case, each spawns one child
per replica, each replica spawns its disorder, dynamics, observation and
snapshot streams. Same seed, same result, bit for bit, whatever the number of
worker threads.

Checkpoints: every ``checkpoint_every_s`` wall seconds (and when a replica
finishes) each replica's full state is written atomically to
``<run>.ckpt/case<c>_rep<r>.npz``; ``run.json`` there holds the config hash.
A run killed at any moment loses at most the work since the last checkpoint;
``resume=True`` continues it and gives the same bytes as an uninterrupted run.
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
from .replica import Replica
from .setup import KmcSetup, make_setup

__all__ = ["EnsembleResult", "run_ensemble", "checkpoint_dir", "with_overrides", "Interrupted"]


class Interrupted(UserError):
    """The run was interrupted (Ctrl-C); every replica saved a checkpoint first."""


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
        self.total = sum(_program_span(p) for p in setup.programs) * setup.sim.replicas
        self.bar = None
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=self.total, unit="s(sim)", unit_scale=True, dynamic_ncols=True,
                            desc=f"{total_tasks} replica runs", file=sys.stderr)

    def update(self, key, rep: Replica) -> None:
        with self.lock:
            self.events[key] = int(rep.K.counts[5])
            self.simtime[key] = min(rep.t, _program_span(rep.program))
            if self.bar is not None:
                done = sum(self.simtime.values())
                self.bar.n = min(done, self.total)
                ev = sum(self.events.values())
                dt = max(time.perf_counter() - self.t0, 1e-9)
                self.bar.set_postfix_str(f"events {ev:.3g}, {ev / dt:.3g} ev/s", refresh=False)
                self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _program_span(prog) -> float:
    """Nominal duration of a program (unloading estimated as zero)."""
    return max(program_span_s(prog), 1e-12)


def _save(path: Path, rep: Replica) -> None:
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **rep.state_dict())


def run_ensemble(cfg: RunConfig, out: Path | None = None, *, resume: bool = False,
                 progress: bool | None = None, workers: int | None = None) -> EnsembleResult:
    """Run (or resume) every replica of every case.

    Parameters
    ----------
    cfg
        Validated config (with overrides applied).
    out
        Run store path; checkpoints go to ``<out>.ckpt``. None: no checkpoints.
    resume
        Continue from the checkpoints of an interrupted run of the same config.
    progress
        Show a progress bar (default: only if stderr is a terminal).
    workers
        Threads (default: min(replicas x cases, CPU count)).
    """
    setup = make_setup(cfg)
    ckpt = checkpoint_dir(out) if out is not None else None
    h = config_hash(cfg)
    if ckpt is not None:
        info = ckpt / "run.json"
        if resume:
            if not info.exists():
                raise UserError(f"--resume: no checkpoint of an interrupted run at {ckpt}")
            if json.loads(info.read_text()).get("config_hash") != h:
                raise UserError(f"--resume: the checkpoint at {ckpt} belongs to a different config "
                                "(material, protocol or simulation settings changed); start again "
                                "with --overwrite")
        else:
            if ckpt.exists():
                shutil.rmtree(ckpt)
            ckpt.mkdir(parents=True)
            with atomic_write(info) as fh:
                json.dump({"config_hash": h, "config_file": str(cfg.path)}, fh)
    seeds = _seeds(setup)
    tasks = []
    reps: list[list[Replica]] = []
    for c in range(setup.n_cases):
        row = []
        for r in range(setup.sim.replicas):
            rep = Replica(setup, c, seeds[c][r])
            path = ckpt / f"case{c:03d}_rep{r:05d}.npz" if ckpt is not None else None
            if resume and path is not None and path.exists():
                with np.load(path) as d:
                    rep.load_state_dict(d)
            row.append(rep)
            tasks.append((c, r, rep, path))
        reps.append(row)
    if progress is None:
        progress = sys.stderr.isatty()
    bar = _Progress(setup, len(tasks), progress)
    every = setup.sim.checkpoint_every_s
    t_start = time.perf_counter()
    stop = threading.Event()

    class _Stop(Exception):
        pass

    def work(task):
        c, r, rep, path = task
        last = [time.perf_counter()]

        def on_chunk(rp):
            bar.update((c, r), rp)
            if path is not None and (stop.is_set() or time.perf_counter() - last[0] >= every):
                _save(path, rp)
                last[0] = time.perf_counter()
            if stop.is_set():
                raise _Stop

        rep.run(on_chunk)
        bar.update((c, r), rep)
        if path is not None:
            _save(path, rep)

    n_workers = workers or min(len(tasks), os.cpu_count() or 1)
    pool = ThreadPoolExecutor(max_workers=max(n_workers, 1))
    futures = [pool.submit(work, t) for t in tasks]
    try:
        for fut in futures:
            fut.result()
    except (KeyboardInterrupt, _Stop):
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
        where = f"; checkpoints are in {ckpt}, continue with --resume" if ckpt is not None else ""
        raise Interrupted(f"interrupted{where}") from None
    finally:
        pool.shutdown(wait=True)
        bar.close()
    return EnsembleResult(setup, cfg, reps, time.perf_counter() - t_start)
