"""``mgmeso plot RUN.zarr [--out FILE.png]``: strain components and stress against time."""

from __future__ import annotations

from pathlib import Path

from ..io.files import check_writable


def register(sub) -> None:
    p = sub.add_parser("plot", help="plot strain components and stress of a run store")
    p.add_argument("run", metavar="RUN.zarr", help="run store written by mgmeso run")
    p.add_argument("--out", metavar="FILE.png", help="figure file (default: next to the store)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..kmc.store import read_run
    from ..plotting import save
    from ..plotting.kmc_plots import plot_run

    out = Path(args.out) if args.out else Path(str(Path(args.run)).removesuffix(".zarr") + ".png")
    check_writable([out], args.overwrite)
    save(plot_run(read_run(Path(args.run))), out, overwrite=args.overwrite)
    print(f"wrote {out}")
    return 0
