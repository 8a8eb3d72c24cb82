"""``mgmeso run CONFIG [--out RUN.zarr] [--seed N] [--replicas N] [--set KEY=VALUE ...]
[--resume [--restart-damaged]] [--overwrite]``.

Runs the lattice kMC ensemble of a config and writes a zarr run store. ``--resume`` checks
every checkpoint and stops, naming the file and the problem, at a damaged one;
``--restart-damaged`` restarts those replicas from scratch instead. A partial store left by
a run killed while writing it (``RUN.zarr.tmp<pid>``) is removed. Before
anything is allocated the run is checked against this machine (memory, site
count, temperatures the engine can represent: :func:`mgmeso.config.limits.check_kmc`);
``--overwrite`` replaces only a run store, never a file or another directory.
Ctrl-C stops with exit code 130 after every replica saved a checkpoint.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from ..errors import UserError
from ..io.files import check_output_store
from .common import add_set_option, config_from_args, warn_if_jit_cold, workers_arg
from .info_cmd import versions


def register(sub) -> None:
    p = sub.add_parser("run", help="run the lattice kMC ensemble of a config")
    p.add_argument("config", help="config TOML file")
    p.add_argument("--out", metavar="RUN.zarr", help="run store (default: <output dir>/run.zarr)")
    p.add_argument("--seed", type=int, help="override [simulation] seed")
    p.add_argument("--replicas", type=int, help="override [simulation] replicas")
    p.add_argument("--workers", type=workers_arg, help="threads, or processes for runs with many samples "
                   "(default: min(replicas x cases, CPUs))")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its checkpoints (each is checked first)")
    p.add_argument("--restart-damaged", action="store_true",
                   help="with --resume: restart the replicas whose checkpoint is damaged from "
                   "scratch (same results: a replica's seed fixes its run) instead of stopping")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run store")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_set_option(p)
    p.set_defaults(func=run)


def default_store(cfg, out: str | None) -> Path:
    if out is not None:
        return Path(out)
    return cfg.output_dir() / "run.zarr"


def _check_store_paths(out: Path, arg: str, overwrite: bool, resume: bool) -> None:
    """The store and the paths the run writes beside it (checkpoints, the renamed old store)."""
    from ..kmc.ensemble import checkpoint_dir

    if resume and out.is_dir() and (out / "zarr.json").is_file() and not overwrite:
        raise UserError(f"output {out} already exists; pass --overwrite to replace it "
                        "(this run already finished)")
    check_output_store(out, overwrite, arg)
    # paths the run replaces beside the store: refuse if they hold anything mgmeso did not write
    ckpt, old = checkpoint_dir(out), out.with_name(out.name + ".old")
    for side, why, ours in ((ckpt, "its checkpoints",
                             lambda d: ((d / "run.json").is_file() or not any(d.iterdir())
                                        or any(d.glob("case*_rep*.npz*")))),
                            (old, "the old store while it is replaced",
                             lambda d: (d / "zarr.json").is_file())):
        if (side.exists() or side.is_symlink()) and not (side.is_dir() and ours(side)):
            raise UserError(f"{arg} {out}: {side} exists and was not written by mgmeso; the run "
                            f"needs that path for {why} and would remove it -- choose another "
                            f"{arg} or move it")


def run(args) -> int:
    from ..config.limits import check_kmc

    if args.restart_damaged and not args.resume:
        raise UserError("--restart-damaged: only with --resume (it says what to do with damaged "
                        "checkpoints of an interrupted run)")
    cfg = config_from_args(args)
    out = default_store(cfg, args.out)
    arg = "--out" if args.out is not None else "[output] dir"
    _check_store_paths(out, arg, args.overwrite, args.resume)
    check_kmc(cfg, args.workers)
    try:
        return _run(args, cfg, out)
    except KeyboardInterrupt:
        # a Ctrl-C outside the replicas' loop (while the setup is built or the store written):
        # say what is on disk; the replicas' own interrupt is handled by run_ensemble
        from ..kmc.ensemble import checkpoint_dir

        info = checkpoint_dir(out) / "run.json"
        where = (f"; checkpoints are in {info.parent}, continue with --resume" if info.is_file()
                 else "; nothing was written")
        print(f"mgmeso: interrupted{where}", file=sys.stderr)
        return 130


def _run(args, cfg, out: Path) -> int:
    from ..kmc.ensemble import checkpoint_dir, run_ensemble
    from ..kmc.integrity import remove_orphans
    from ..kmc.store import write_run

    for p in remove_orphans(out):
        print(f"mgmeso: note: removed {p}, the partial store of a run killed while writing it",
              file=sys.stderr)
    warn_if_jit_cold(args.quiet)
    result = run_ensemble(cfg, out, resume=args.resume, workers=args.workers,
                          progress=None if not args.quiet else False,
                          restart_damaged=args.restart_damaged)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_run(result, out, versions(), overwrite=args.overwrite,
              provenance={"resumed": bool(args.resume)})
    shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    report_store(out, args.quiet)
    print(f"wrote {out}")
    return 0


def report_store(out: Path, quiet: bool) -> None:
    """Strain warnings and (unless quiet) the summary of a store just written, read back
    through the one reader (which also checks it)."""
    from ..config.limits import strain_warning
    from ..kmc.analysis import summary_lines
    from ..kmc.store import read_run

    data = read_run(out)
    t = data.series("time_s")
    eps = data.series("strain")
    for c, label in enumerate(data.cases):
        w = strain_warning(t[c].ravel(), eps[c].ravel(), f"kMC strain ({label})")
        if w:
            print(f"mgmeso: warning: {w}", file=sys.stderr)
    if not quiet:
        for line in summary_lines(data):
            print(line)
