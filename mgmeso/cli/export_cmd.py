"""``mgmeso export RUN.zarr [--csv FILE] [--dma FILE]``: the ensemble time series as CSV,
and for DMA runs the lock-in table.

The store is checked first (complete, every checksum; exit 2 naming the damage otherwise).
Columns of ``--csv``: ``case`` (the case label) first when the run has several cases; the
time-domain columns of ``mgmeso theory`` (``time_s, stress_MPa, strain, strain_elastic,
strain_beta, strain_anelastic, strain_plastic, temperature_K``); the other recorded
variables (every observable the store holds, in the order of the observable registry);
then ``<name>_se`` (standard error of the replica mean) for each. ``--dma``: ``case`` (if
several), then the columns ``mgmeso theory`` writes for the protocol that the lock-in
gives (``time_s`` for a scan, ``temperature_K, frequency_Hz, E_storage_MPa, E_loss_MPa,
tan_delta``), their ``<name>_se``, ``n_replicas`` and ``window_K``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.files import check_writable
from ..io.table import Table


def register(sub) -> None:
    p = sub.add_parser("export", help="write the ensemble time series of a run store as CSV")
    p.add_argument("run", metavar="RUN.zarr", help="run store written by mgmeso run")
    p.add_argument("--csv", metavar="FILE", help="CSV file of the ensemble time series")
    p.add_argument("--dma", metavar="FILE", help="CSV file of the lock-in E', E'', tan delta (DMA "
                   "runs): columns as mgmeso theory, with standard errors")
    p.add_argument("--window-K", type=float, default=None, help="lock-in window of a scan "
                   "(default: the protocol's T_step_K, at least 0.5 K)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(func=run)


def _with_case(cols: dict, case_index: np.ndarray, labels: list[str]) -> dict:
    if len(labels) < 2:
        return cols
    return {"case": np.asarray(labels, dtype=str)[case_index], **cols}


def run_table(data) -> Table:
    """Replica means of every time series of every case, with standard errors, as one table."""
    from ..theory.protocols import TIME_COLUMNS

    stored = data.time_series
    names = [n for n in TIME_COLUMNS if n in stored] + [n for n in stored if n not in TIME_COLUMNS]
    means = {n: data.mean(n) for n in names}
    keep = np.isfinite(means["time_s"])
    cols = {n: means[n][keep] for n in names}
    for n in names:
        if n != "time_s":
            cols[f"{n}_se"] = data.se(n)[keep]
    case = np.repeat(np.arange(keep.shape[0])[:, None], keep.shape[1], axis=1)[keep]
    return Table(_with_case(cols, case, data.cases))


_DMA_FIRST = ("time_s", "temperature_K", "frequency_Hz", "E_storage_MPa", "E_loss_MPa", "tan_delta")


def dma_export_table(data, window_K: float | None = None) -> Table:
    """The lock-in table of a DMA store in the theory's column order, SEs as ``<name>_se``."""
    from ..kmc.analysis import dma_run_table

    d = dma_run_table(data, window_K)
    first = [k for k in _DMA_FIRST if k in d and not (k == "time_s"
                                                     and data.protocol == "dma_isothermal")]
    rest = [k for k in d if k not in first and k not in ("case", "time_s")]
    cols = {k: d[k] for k in first + rest}
    return Table(_with_case(cols, d["case"], data.cases))


def run(args) -> int:
    from ..errors import UserError
    from ..kmc.store import read_run

    if not args.csv and not args.dma:
        raise UserError("export needs --csv FILE and/or --dma FILE")
    data = read_run(Path(args.run))
    check_writable({Path(p): a for p, a in ((args.csv, "--csv"), (args.dma, "--dma")) if p},
                   args.overwrite)
    dma = dma_export_table(data, args.window_K) if args.dma else None
    if args.csv:
        run_table(data).to_csv(Path(args.csv))
        print(f"wrote {args.csv}")
    if dma is not None:
        dma.to_csv(Path(args.dma))
        print(f"wrote {args.dma}")
    return 0
