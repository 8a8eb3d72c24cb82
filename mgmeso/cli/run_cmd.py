"""``mgmeso run CONFIG [--out RUN.zarr] [--seed N] [--replicas N] [--resume] [--overwrite]``.

Runs the lattice kMC ensemble of a config and writes a zarr run store.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..config import load_config
from ..errors import UserError
from .info_cmd import versions


def register(sub) -> None:
    p = sub.add_parser("run", help="run the lattice kMC ensemble of a config")
    p.add_argument("config", help="config TOML file")
    p.add_argument("--out", metavar="RUN.zarr", help="run store (default: <output dir>/run.zarr)")
    p.add_argument("--seed", type=int, help="override [simulation] seed")
    p.add_argument("--replicas", type=int, help="override [simulation] replicas")
    p.add_argument("--workers", type=int, help="threads (default: min(replicas, CPUs))")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its checkpoints")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run store")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(func=run)


def default_store(cfg, out: str | None) -> Path:
    if out is not None:
        return Path(out)
    return cfg.output_dir() / "run.zarr"


def run(args) -> int:
    from ..kmc.ensemble import checkpoint_dir, run_ensemble, with_overrides
    from ..kmc.store import write_run

    cfg = with_overrides(load_config(args.config), args.seed, args.replicas)
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: must be at least 1")
    out = default_store(cfg, args.out)
    if out.exists() and not args.overwrite:
        raise UserError(f"output {out} already exists; pass --overwrite to replace it"
                        + (" (this run already finished)" if args.resume else ""))
    if not out.parent.exists():
        out.parent.mkdir(parents=True)
    result = run_ensemble(cfg, out, resume=args.resume, workers=args.workers,
                          progress=None if not args.quiet else False)
    write_run(result, out, versions(), overwrite=args.overwrite)
    shutil.rmtree(checkpoint_dir(out), ignore_errors=True)
    if not args.quiet:
        for line in summary_lines(result):
            print(line)
    print(f"wrote {out}")
    return 0


def summary_lines(result) -> list[str]:
    from ..kmc.replica import TS_INDEX

    setup = result.setup
    ev = sum(int(r.K.counts[5]) for row in result.replicas for r in row)
    lines = [f"{setup.lattice.name} lattice, L = {setup.lattice.L} ({setup.lattice.n_sites} sites), "
             f"{setup.sim.replicas} replica(s) x {setup.n_cases} case(s): {ev:.4g} events in "
             f"{result.wall_s:.1f} s ({ev / max(result.wall_s, 1e-9):.3g} events/s)"]
    for c, row in enumerate(result.replicas):
        finals = np.array([r.table()[-1] for r in row])
        m = finals.mean(axis=0)
        se = finals.std(axis=0, ddof=1) / np.sqrt(len(row)) if len(row) > 1 else np.zeros_like(m)

        def fmt(name):
            i = TS_INDEX[name]
            return f"{m[i]:.4g}" + (f" +/- {se[i]:.2g}" if len(row) > 1 else "")

        lines.append(f"  {setup.case_labels[c]}: at t = {m[TS_INDEX['time_s']]:.4g} s, strain "
                     f"{fmt('strain')} (beta {fmt('strain_beta')}, anelastic "
                     f"{fmt('strain_anelastic')}, plastic {fmt('strain_plastic')}), stress "
                     f"{fmt('stress_MPa')} MPa")
    return lines
