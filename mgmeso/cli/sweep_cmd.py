"""``mgmeso sweep``: run a parameter sweep, or collect one.

    mgmeso sweep SWEEP.toml [--scheduler ADDRESS | --workers N] [--resume] [--out STORE]
                            [--theory] [--retries N] [--executor KIND] [--overwrite] [--check]
    mgmeso sweep --collect STORE [--csv FILE] [--out DIR] [--overwrite]

Exit codes: 0 every run done; 1 some runs failed (the summary names them); 2 bad
input; 130 interrupted (finished runs and checkpoints are kept: --resume).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import UserError

EXECUTORS = ("auto", "dask", "processes", "serial")


def register(sub) -> None:
    """Add the ``sweep`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser(
        "sweep", help="run a parameter sweep (SWEEP.toml) on Dask or local processes, or collect one",
        description="Run every point of a SWEEP.toml (a base config and axes) as one task, on a "
        "Dask LocalCluster, a Dask scheduler or local processes, into one resumable zarr store; "
        "or collect a store into a dataset (--collect).")
    p.add_argument("sweep", nargs="?", metavar="SWEEP.toml", help="the sweep file")
    p.add_argument("--collect", metavar="STORE", help="collect a sweep store instead of running")
    p.add_argument("--out", metavar="PATH", help="sweep store to write (default: out/<sweep "
                   "name>/sweep.zarr); with --collect: directory for the study analysis "
                   "(default: beside the store)")
    p.add_argument("--csv", metavar="FILE", help="with --collect: one row per run as CSV")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address "
                       "(tcp://host:8786); the workers must see the store's filesystem")
    where.add_argument("--workers", type=int, metavar="N",
                       help="local worker processes (default: one per core)")
    p.add_argument("--executor", choices=EXECUTORS, default=None,
                   help="auto (Dask if installed, else local processes; the default), dask, "
                        "processes, serial (in this process; the default with --theory)")
    p.add_argument("--theory", action="store_true",
                   help="evaluate the analytical model over the axes instead of the kMC")
    p.add_argument("--resume", action="store_true", help="continue the sweep in STORE: finished "
                   "runs are kept, interrupted ones continue from their checkpoints")
    p.add_argument("--retries", type=int, metavar="N",
                   help="extra attempts of a run that raises (default: [sweep] retries, 2)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing store or files")
    p.add_argument("--check", action="store_true",
                   help="expand and validate the runs, list them, run nothing")
    p.add_argument("--quiet", action="store_true", help="no progress lines, only the summary")
    p.set_defaults(func=run)


def default_store(sweep, out: str | None) -> Path:
    """Return the store of a sweep: ``--out``, else ``out/<sweep name>/sweep.zarr``.

    Parameters
    ----------
    sweep : Sweep
        The loaded sweep.
    out : str or None
        The ``--out`` argument.

    Returns
    -------
    pathlib.Path
        The store path.

    Raises
    ------
    UserError
        For an empty ``--out``.
    """
    if out is not None:
        if not str(out).strip():
            raise UserError("--out '': an empty path; give the sweep store's path")
        return Path(out)
    return Path("out") / sweep.name / "sweep.zarr"


def run(args) -> int:
    """Run a sweep, or collect one with ``--collect``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 every run done, 1 some runs failed.
    """
    if args.collect is not None:
        if args.sweep is not None:
            raise UserError("give either SWEEP.toml (to run) or --collect STORE, not both")
        for flag in ("scheduler", "workers", "executor", "retries"):
            if getattr(args, flag) is not None:
                raise UserError(f"--{flag} has no effect with --collect")
        if args.theory or args.resume or args.check:
            raise UserError("--theory, --resume and --check have no effect with --collect")
        return collect(args)
    if args.sweep is None:
        raise UserError("give a SWEEP.toml to run, or --collect STORE")
    if args.csv is not None:
        raise UserError("--csv is for --collect STORE")
    return run_sweep_cmd(args)


def _axes_text(sweep) -> str:
    if not sweep.axes:
        return "no axes"
    sep = " x " if sweep.combine == "product" else " zipped with "
    return sep.join(f"{a.name} ({len(a)})" for a in sweep.axes)


def run_sweep_cmd(args) -> int:
    """Run (or, with ``--check``, validate) every run of a SWEEP.toml into its store.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 every run done, 1 some runs failed.
    """
    from ..sweep import load_sweep
    from ..sweep.driver import prepare_store, run_sweep
    from ..sweep.executors import make_executor

    mode = "theory" if args.theory else "kmc"
    sweep = load_sweep(args.sweep, mode=mode)
    store = default_store(sweep, args.out)
    what = "analytical model" if args.theory else "kMC"
    print(f"sweep {sweep.name}: {len(sweep.runs)} {what} runs, {_axes_text(sweep)}")
    if args.check:
        for r in sweep.runs:
            print(f"  {r.id}: {r.label() or '(the base config)'}")
        print("all runs valid")
        return 0
    if args.retries is not None and args.retries < 0:
        raise UserError(f"--retries {args.retries}: must be 0 or more")
    st = prepare_store(sweep, store, mode, args.resume, args.overwrite)
    kind = args.executor or ("serial" if args.theory and args.workers is None
                             and args.scheduler is None else "auto")
    executor, note = make_executor(kind, workers=args.workers, scheduler=args.scheduler)
    try:
        if note:
            print(note)
        print(f"running on {executor.description}")
        if executor.dashboard:
            print(f"Dask dashboard: {executor.dashboard}")
        print(f"store: {store}")
        sys.stdout.flush()
        try:
            report = run_sweep(sweep, st, executor, mode=mode, retries=args.retries,
                               quiet=args.quiet)
        except KeyboardInterrupt:
            executor.close(cancel=True)
            executor = None
            print(f"mgmeso: interrupted; finished runs and checkpoints are kept in {store}, "
                  f"continue with: mgmeso sweep {args.sweep} --resume --out {store}",
                  file=sys.stderr)
            return 130
    finally:
        if executor is not None:
            executor.close()
    for line in report.lines():
        print(line)
    return 1 if report.n_failed else 0


def collect(args) -> int:
    """Collect a sweep store into a CSV table and the study's analysis.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    from ..io.files import check_writable
    from ..io.table import Table
    from ..sweep import analyses as _studies  # noqa: F401  (registers the study analyses)
    from ..sweep.analyses import ANALYSES
    from ..sweep.collect import SweepData, sweep_table

    sd = SweepData(args.collect)
    if args.csv:
        check_writable([Path(args.csv)], args.overwrite)
    ds = sd.dataset()
    n = len(sd.runs)
    for var in ("status", "theory_status"):
        if var in ds:
            vals = ds[var].values.ravel().tolist()
            counts = ", ".join(f"{vals.count(k)} {k}" for k in ("done", "failed", "missing")
                               if vals.count(k))
            print(f"{'kMC' if var == 'status' else 'theory'} runs: {n} ({counts})")
    dims = ", ".join(f"{d} = {s}" for d, s in ds.sizes.items())
    print(f"dataset: {dims}")
    print("variables: " + ", ".join(v for v in ds.data_vars))
    if args.csv:
        Table(sweep_table(ds)).to_csv(Path(args.csv))
        print(f"wrote {args.csv}")
    name = sd.attrs.get("collect", {}).get("analysis")
    if name:
        if name not in ANALYSES:
            raise UserError(f"the sweep names analysis {name!r}, which this mgmeso does not have "
                            f"(registered: {', '.join(ANALYSES)})")
        out = Path(args.out) if args.out else sd.path.parent / "analysis"
        opts = dict(sd.attrs.get("collect", {}).get("options", {}))
        for line in ANALYSES[name](sd, ds, out, opts, args.overwrite):
            print(line)
    elif args.out:
        raise UserError(f"--out {args.out}: this sweep names no [collect] analysis to write")
    return 0
