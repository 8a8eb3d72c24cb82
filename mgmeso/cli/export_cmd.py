"""``mgmeso export RUN.zarr [--csv FILE] [--dma FILE]``: the ensemble time series as CSV,
and for DMA runs the lock-in table (``temperature_K, frequency_Hz, E_storage_MPa,
E_loss_MPa, tan_delta`` with standard errors).

Columns: the time-domain columns of ``mgmeso theory`` (``time_s, stress_MPa, strain,
strain_elastic, strain_beta, strain_anelastic, strain_plastic, temperature_K``),
then the other recorded variables (every observable the run store holds, in the
order of the observable registry), then ``<name>_se`` (standard error of the
ensemble mean) for each, and ``case`` when the run has several cases.
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


def run_table(data) -> Table:
    """Ensemble-mean time series of every case, with standard errors, as one table."""
    from ..theory.protocols import TIME_COLUMNS

    stored = data.time_series
    names = [n for n in TIME_COLUMNS if n in stored] + [n for n in stored if n not in TIME_COLUMNS]
    cols = {}
    n_case = len(data.cases)
    means = {n: data.mean(n) for n in names}
    ses = {n: data.se(n) for n in names}
    keep = np.isfinite(means["time_s"])
    for n in names:
        cols[n] = means[n][keep]
    for n in names:
        if n != "time_s":
            cols[f"{n}_se"] = ses[n][keep]
    if n_case > 1:
        cols["case"] = np.repeat(np.arange(n_case)[:, None], keep.shape[1], axis=1)[keep]
    return Table(cols)


def stored_setup(data):
    """The KmcSetup of a stored run, rebuilt from its resolved config."""
    from ..config import parse_config
    from ..kmc.setup import make_setup

    cfg = {k: v for k, v in data.attrs["config"].items() if k not in ("config_file", "material_origin")}

    def drop_none(d):
        return {k: drop_none(v) if isinstance(v, dict) else v for k, v in d.items() if v is not None}

    return make_setup(parse_config(drop_none(cfg)))


def run(args) -> int:
    from ..errors import UserError
    from ..kmc.store import read_run

    if not args.csv and not args.dma:
        raise UserError("export needs --csv FILE and/or --dma FILE")
    data = read_run(Path(args.run))
    check_writable({Path(p): a for p, a in ((args.csv, "--csv"), (args.dma, "--dma")) if p},
                   args.overwrite)
    dma = None
    if args.dma:
        from ..kmc.lockin import dma_table

        setup = stored_setup(data)
        if not data.attrs["config"]["protocol"]["kind"].startswith("dma"):
            raise UserError(f"--dma: {args.run} is a {data.attrs['config']['protocol']['kind']} run, "
                            f"not a DMA run")
        w = args.window_K or max(float(data.attrs["config"]["protocol"].get("T_step_K", 1.0)), 0.5)
        if not w > 0:
            raise UserError(f"--window-K {w:g}: must be positive")
        dma = Table(dma_table(data.series, setup, temperature_window_K=w))
    if args.csv:
        run_table(data).to_csv(Path(args.csv))
        print(f"wrote {args.csv}")
    if dma is not None:
        dma.to_csv(Path(args.dma))
        print(f"wrote {args.dma}")
    return 0
