"""``mgmeso plot RUN.zarr [--out FILE.png] [--window-K W]``: the figure of a run store.

Time-domain runs: every recorded observable against time (ensemble mean +/- 1 SE; panels
from the observable registry). DMA runs: E'/E_u, E''/E_u and tan delta against temperature
(isochronal) or frequency (isothermal) by lock-in per window, as ``mgmeso compare`` does.
The store is checked first (complete, every checksum; exit 2 naming the damage otherwise).
"""

from __future__ import annotations

from pathlib import Path

from ..io.files import check_writable


def register(sub) -> None:
    p = sub.add_parser("plot", help="plot a run store (time series, or E', E'', tan delta of a "
                       "DMA run)")
    p.add_argument("run", metavar="RUN.zarr", help="run store written by mgmeso run")
    p.add_argument("--out", metavar="FILE.png", help="figure file (default: next to the store)")
    p.add_argument("--window-K", type=float, default=None, help="lock-in window of a DMA scan "
                   "(default: the protocol's T_step_K, at least 0.5 K)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..kmc.analysis import is_dma
    from ..kmc.store import read_run
    from ..plotting import save

    out = Path(args.out) if args.out else Path(str(Path(args.run)).rstrip("/").removesuffix(".zarr")
                                               + ".png")
    check_writable({out: "--out"}, args.overwrite)
    data = read_run(Path(args.run))
    if is_dma(data):
        from ..plotting.dma_plots import plot_dma_run
        fig = plot_dma_run(data, window_K=args.window_K)
    else:
        from ..plotting.kmc_plots import plot_run
        fig = plot_run(data)
    save(fig, out, overwrite=args.overwrite)
    print(f"wrote {out}")
    return 0
