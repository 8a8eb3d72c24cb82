"""``mgmeso compare CONFIG|RUN.zarr``: a kMC ensemble against its analytical counterpart.

``compare CONFIG`` runs the ensemble into ``DIR/run.zarr`` (kept: plot, export or compare it
again later) and compares that store; ``compare RUN.zarr`` compares an existing store
without running anything (``DIR`` defaults to the store's directory). Both evaluate the
analytical model that is the exact ensemble mean (see :mod:`mgmeso.compare`), write
``DIR/compare.csv`` and ``DIR/compare.png`` (ensemble mean with a +/- 1 SE band against the
theory) and print, per quantity, the largest deviation in standard errors against the
largest expected for that many points and replicas, with pass or FAIL (a warning below 8
replicas). DMA runs are compared by lock-in E', E'' per window.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.files import prepare_outputs
from ..io.table import Table
from .common import add_set_option, config_from_args, warn_if_jit_cold, workers_arg


def register(sub) -> None:
    p = sub.add_parser("compare", help="compare a kMC ensemble (run now from a config, or a run "
                       "store) with the analytical model")
    p.add_argument("source", metavar="CONFIG|RUN.zarr",
                   help="config TOML file (runs the ensemble into DIR/run.zarr) or a run store")
    p.add_argument("--out", metavar="DIR", help="output directory (default: for a config its "
                   "[output] dir or out/<config name>; for a store the store's directory)")
    p.add_argument("--seed", type=int, help="override [simulation] seed (config only)")
    p.add_argument("--replicas", type=int, help="override [simulation] replicas (config only)")
    p.add_argument("--workers", type=workers_arg, help="threads (default: min(replicas, CPUs))")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files "
                   "(and, for a config, DIR/run.zarr)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set_option(p)
    p.set_defaults(func=run)


def comparison_table(cmp) -> Table:
    from ..compare import COMPARED

    rows = []
    for c, label in enumerate(cmp.labels):
        cols = {"case": np.full(cmp.times[c].size, label), "time_s": cmp.times[c]}
        for n in COMPARED:
            cols[f"{n}_kmc"] = cmp.kmc_mean[c][n]
            cols[f"{n}_kmc_se"] = cmp.kmc_se[c][n]
            cols[f"{n}_theory"] = cmp.theory[c][n]
            cols[f"{n}_z"] = cmp.z[c][n]
        rows.append(Table(cols))
    if len(rows) == 1:
        rows[0].columns.pop("case")
    return Table.concat(rows)


def _is_store(path: Path) -> bool:
    return path.suffix == ".zarr" or (path.is_dir() and (path / "zarr.json").exists())


def run(args) -> int:
    from ..kmc.store import read_run

    src = Path(args.source)
    if _is_store(src):
        given = [a for a in ("seed", "replicas") if getattr(args, a) is not None]
        given += ["set"] if args.set else []
        if given:
            raise UserError(f"--{given[0]}: only with a config; {src} is a run store (its "
                            f"settings are fixed)")
        data = read_run(src)
        out_dir = Path(args.out) if args.out else src.resolve().parent
        paths = prepare_outputs(out_dir, ["compare.csv", "compare.png"], args.overwrite)
        how = f"store {src}"
    else:
        data, paths, how = _run_config(args)
    lines = _compare(data, paths[0], paths[1], how)
    for line in lines:
        print(line)
    for p in paths:
        print(f"wrote {p}")
    return 0


def _run_config(args):
    """Run the config's ensemble into DIR/run.zarr and open that store."""
    from ..config.limits import check_kmc
    from ..kmc.ensemble import checkpoint_dir, run_ensemble
    from ..kmc.store import read_run, write_run
    from .info_cmd import versions
    from .run_cmd import _check_store_paths

    args.config = args.source
    cfg = config_from_args(args)
    out_dir = cfg.output_dir(args.out)
    paths = prepare_outputs(out_dir, ["compare.csv", "compare.png"], args.overwrite)
    store = paths[0].parent / "run.zarr"
    _check_store_paths(store, "--out (its run.zarr)", args.overwrite, False)
    check_kmc(cfg, args.workers)
    warn_if_jit_cold(args.quiet)
    res = run_ensemble(cfg, store, workers=args.workers, progress=False if args.quiet else None)
    write_run(res, store, versions(), overwrite=args.overwrite,
              provenance={"written_by": "mgmeso compare"})
    shutil.rmtree(checkpoint_dir(store), ignore_errors=True)
    return read_run(store), paths + [store], f"{res.wall_s:.1f} s, kept in {store}"


def _compare(data, csv_path: Path, png_path: Path, how: str) -> list[str]:
    from ..compare import COMPARED, compare_run, replica_warning, verdict_lines, verdicts
    from ..kmc.analysis import is_dma
    from ..plotting.kmc_plots import plot_comparison

    cfg, setup = data.config, data.setup
    R = int(data.attrs["replicas"])
    head = [f"{cfg.title or data.attrs.get('title') or data.protocol + ' run ' + str(data.path)}",
            f"  kMC: {setup.lattice.name} L = {setup.lattice.L}, {R} replicas ({how})"]
    if is_dma(data):
        more, cols = _compare_dma(data, csv_path, png_path)
        lines = head + more
        vs = verdicts({"E'": [cols["E_storage_z"]], "E''": [cols["E_loss_z"]]}, R)
    else:
        cmp = compare_run(data)
        comparison_table(cmp).to_csv(csv_path)
        plot_comparison(cmp, setup, cfg, png_path)
        lines = head + [f"  theory: {cmp.model[0]}"]
        vs = verdicts({n: [z[n] for z in cmp.z] for n in COMPARED}, R)
    lines += ["  " + x for x in verdict_lines(vs, R)]
    w = replica_warning(R)
    if w:
        print(f"mgmeso: warning: {w}", file=sys.stderr)
    return lines


def _compare_dma(data, csv_path: Path, png_path: Path) -> tuple[list[str], dict]:
    """Lock-in E', E'' of the kMC against the exact and paper forms of the analytical model."""
    from ..compare import dma_comparison
    from ..kmc.analysis import dma_window_K
    from ..plotting.kmc_plots import plot_dma_comparison

    cols = dma_comparison(data)
    out = dict(cols)
    case = out.pop("case")
    if len(data.cases) > 1:
        out = {"case": np.asarray(data.cases, dtype=str)[case], **out}
    Table(out).to_csv(csv_path)
    plot_dma_comparison(cols, data, png_path)
    iso = data.protocol == "dma_isochronal"
    window = dma_window_K(data)
    how = f"{window:g} K windows" if iso else "each frequency (first cycle skipped)"
    return [f"  lock-in over {how}; theory: exact form (Eq. 25b with the exact Laplace-Carson "
            f"transform), averaged over each window"], cols
