"""Run a sweep: create or reopen its store, submit the runs that are not done, record outcomes.

Resume: the store is the state. A run whose group exists is done and kept; a run
with engine checkpoints continues from them (the engine's own resume, bit for bit);
any other run starts. A run that raised in an earlier session is tried again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from .executors import Call
from .progress import SweepProgress, format_duration
from .spec import Run, Sweep
from .store import MODES, SweepStore, create_store, open_store
from .tasks import TASKS

__all__ = ["SweepReport", "prepare_store", "run_sweep"]


@dataclass
class SweepReport:
    """What a session of a sweep did."""

    store: Path
    mode: str
    total: int
    done_before: int
    done: list[str] = field(default_factory=list)
    failed: list[tuple[Run, str]] = field(default_factory=list)
    events: int = 0
    wall_s: float = 0.0
    executor: str = ""

    @property
    def n_failed(self) -> int:
        """Number of runs that failed in this session."""
        return len(self.failed)

    @property
    def complete(self) -> bool:
        """True when every run of the sweep is done."""
        return self.done_before + len(self.done) == self.total

    def lines(self) -> list[str]:
        """Summarise the session: counts, wall time, events and every failure.

        Returns
        -------
        list of str
            The lines to print.
        """
        what = "kMC runs" if self.mode == "kmc" else "theory runs"
        out = [f"{self.total} {what}: {self.done_before + len(self.done)} done "
               f"({self.done_before} kept from before, {len(self.done)} in this session), "
               f"{self.n_failed} failed; {format_duration(self.wall_s)} wall"
               + (f", {self.events:.4g} events ({self.events / max(self.wall_s, 1e-9):.3g} "
                  f"events/s)" if self.events else "")]
        for run, err in self.failed:
            out.append(f"  FAILED {run.id} [{run.label()}]: {err}")
        if self.failed:
            out.append("  (details in the store's failed/ group; rerun with --resume to try "
                       "the failed runs again)")
        out.append(f"store: {self.store}")
        return out


def _groups(runs: list[Run], mode: str) -> list[list[Run]]:
    """Tasks: one per kMC run; one per distinct analytical model (see tasks.theory_key)."""
    if mode == "kmc":
        return [[r] for r in runs]
    from .tasks import theory_key

    groups: dict[str, list[Run]] = {}
    for r in runs:
        assert r.cfg is not None        # validated runs have a config
        groups.setdefault(theory_key(r.cfg), []).append(r)
    return list(groups.values())


def prepare_store(sweep: Sweep, path: Path, mode: str, resume: bool, overwrite: bool) -> SweepStore:
    """Create the store, or reopen it for ``resume`` (checking it was made by this sweep).

    Parameters
    ----------
    sweep : Sweep
        The sweep.
    path : pathlib.Path
        The store.
    mode : {'kmc', 'theory'}
        Which engine runs.
    resume : bool
        Reopen an existing store.
    overwrite : bool
        Replace an existing store.

    Returns
    -------
    SweepStore
        The store.

    Raises
    ------
    UserError
        For ``resume`` with ``overwrite``, or a store of another sweep.
    """
    if mode not in MODES:
        raise ValueError(mode)
    path = Path(path)
    if resume and overwrite:
        raise UserError("--resume and --overwrite contradict each other: give one")
    if not path.exists():
        return create_store(path, sweep)
    if overwrite:
        return create_store(path, sweep, overwrite=True)
    st = open_store(path, sweep)
    if not resume:
        started = [r.id for r in sweep.runs if st.is_done(mode, r.id)
                   or st.failure(mode, r.id) is not None
                   or (mode == "kmc" and st.has_checkpoint(r.id))]
        if started:
            raise UserError(f"sweep store {path} already holds {mode} results of this sweep "
                            f"({len(started)} of {len(sweep.runs)} runs started); pass --resume "
                            "to continue it or --overwrite to start again")
    return st


def run_sweep(sweep: Sweep, path: Path | SweepStore, executor, *, mode: str = "kmc", resume: bool = False,
              overwrite: bool = False, retries: int | None = None,
              progress: SweepProgress | None = None, quiet: bool = False) -> SweepReport:
    """Run every run of ``sweep`` that is not done yet into the store at ``path``.

    Parameters
    ----------
    sweep
        The expanded, validated sweep (:func:`mgmeso.sweep.load_sweep`).
    path
        The sweep store (created if missing), or a store from :func:`prepare_store` (then
        ``resume`` and ``overwrite`` were applied already).
    executor
        Where runs execute (:func:`mgmeso.sweep.executors.make_executor`); not closed here.
    mode
        ``"kmc"`` (the lattice engine) or ``"theory"`` (the analytical model).
    resume
        Continue a store that holds results of this sweep.
    overwrite
        Replace an existing store.
    retries
        Extra attempts of a run that raises (default: the sweep's ``retries``).
    progress : SweepProgress, optional
        Progress display (default: a new one, unless ``quiet``).
    quiet : bool
        Print nothing.

    Returns
    -------
    SweepReport
        Counts, failures (each with its error), events and wall time of this session.
    """
    if isinstance(path, SweepStore):
        st = path
    else:
        st = prepare_store(sweep, path, mode, resume, overwrite)
    path = st.path
    retries = sweep.retries if retries is None else retries
    if retries < 0:
        raise UserError(f"--retries {retries}: must be 0 or more")
    with st.driver_lock():
        todo = [r for r in sweep.runs if not st.is_done(mode, r.id)]
        report = SweepReport(Path(path), mode, len(sweep.runs), len(sweep.runs) - len(todo),
                             executor=executor.description)
        prog = progress or SweepProgress(len(sweep.runs), report.done_before, quiet=quiet)
        by_key: dict[str, list[Run]] = {}
        calls = []
        fn = TASKS[mode]
        tag = sweep.sweep_hash()[:8]
        for r in todo:
            st.clear_failure(mode, r.id)
        for group in _groups(todo, mode):
            key = f"mgmeso-{mode}-{tag}-{group[0].id}"
            by_key[key] = group
            first = group[0].id if mode == "kmc" else [r.id for r in group]
            calls.append(Call(key, fn, (str(st.path), first, group[0].cfg,
                                        sweep.threads_per_run)))
        try:
            for out in executor.run(calls, retries):
                for run in by_key[out.key]:
                    if out.error is None:
                        report.done.append(run.id)
                        prog.run_done(run, out.result if run is by_key[out.key][0]
                                      else {"wall_s": 0.0})
                    else:
                        st.write_failure(mode, run.id, {
                            "id": run.id, "mode": mode, "coords": run.coords, "error": out.error,
                            "traceback": out.traceback, "attempts": retries + 1})
                        report.failed.append((run, out.error))
                        prog.run_failed(run, out.error)
                if out.error is None:
                    report.events += int(out.result.get("events", 0))
        finally:
            report.wall_s = prog.elapsed_s
            prog.close()
    return report
