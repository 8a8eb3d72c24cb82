"""``mgmeso export RUN.zarr --csv FILE``: the ensemble time series as CSV.

Columns: the time-domain columns of ``mgmeso theory`` (``time_s, stress_MPa, strain,
strain_elastic, strain_beta, strain_anelastic, strain_plastic, temperature_K``),
then the other recorded variables, then ``<name>_se`` (standard error of the
ensemble mean) for each, and ``case`` when the run has several cases.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..io.files import check_writable
from ..io.table import Table

THEORY_ORDER = ("time_s", "stress_MPa", "strain", "strain_elastic", "strain_beta",
                "strain_anelastic", "strain_plastic", "temperature_K")


def register(sub) -> None:
    p = sub.add_parser("export", help="write the ensemble time series of a run store as CSV")
    p.add_argument("run", metavar="RUN.zarr", help="run store written by mgmeso run")
    p.add_argument("--csv", required=True, metavar="FILE", help="CSV file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing file")
    p.set_defaults(func=run)


def run_table(data) -> Table:
    """Ensemble-mean time series of every case, with standard errors, as one table."""
    from ..kmc.replica import TIME_SERIES

    names = list(THEORY_ORDER) + [n for n, _, _ in TIME_SERIES if n not in THEORY_ORDER]
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


def run(args) -> int:
    from ..kmc.store import read_run

    data = read_run(Path(args.run))
    out = Path(args.csv)
    check_writable([out], args.overwrite)
    run_table(data).to_csv(out)
    print(f"wrote {out}")
    return 0
