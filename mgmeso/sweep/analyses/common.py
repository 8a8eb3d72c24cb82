"""Helpers shared by the study analyses: guarded outputs, means over the replica axis."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import OutputExistsError
from ..observables import mean_se as mean_se  # the one estimator, also under this name

__all__ = ["Outputs", "replica_mean"]


class Outputs:
    """Files an analysis writes into ``out``; an existing file needs ``overwrite``."""

    def __init__(self, out: Path, overwrite: bool):
        self.out = Path(out)
        self.overwrite = overwrite
        self.written: list[Path] = []

    def path(self, name: str) -> Path:
        """Return the path of an output file, refusing to overwrite without ``overwrite``.

        The directory is created and the path recorded as written.

        Parameters
        ----------
        name : str
            File name in the output directory.

        Returns
        -------
        pathlib.Path
            The path.

        Raises
        ------
        OutputExistsError
            If the file exists and ``overwrite`` is false.
        """
        p = self.out / name
        if p.exists() and not self.overwrite:
            raise OutputExistsError(f"{p} already exists; pass --overwrite to replace it")
        self.out.mkdir(parents=True, exist_ok=True)
        self.written.append(p)
        return p

    def lines(self) -> list[str]:
        """Return one ``wrote <path>`` line per output file.

        Returns
        -------
        list of str
            The lines.
        """
        return [f"wrote {p}" for p in self.written]


def replica_mean(da, dim: str = "replica"):
    """Mean over the replica axis of the runs' means and its standard error (std/sqrt(n)).

    Parameters
    ----------
    da : xarray.DataArray
        Per-run values.
    dim : str
        The replica dimension.

    Returns
    -------
    (xarray.DataArray, xarray.DataArray)
        Mean and standard error (NaN with fewer than two replicas).
    """
    if dim not in da.dims:
        return da, da * np.nan
    n = da.count(dim)
    m = da.mean(dim)
    se = da.std(dim, ddof=1) / np.sqrt(n)
    return m, se.where(n > 1)


def per_replica(sd, ds) -> list:
    """Pair every finished run of ``ds`` with each engine replica inside it.

    These are the independent samples of a study.

    Parameters
    ----------
    sd : SweepData
        The collected sweep.
    ds : xarray.Dataset
        The sweep dataset or a selection of it.

    Returns
    -------
    list of (view, int)
        Run view and replica index.

    Raises
    ------
    UserError
        When no run has finished.
    """
    out: list = []
    for rid, status in zip(np.ravel(ds.run_id.values), np.ravel(ds.status.values)):
        if str(status) != "done":
            continue
        view = sd.kmc(str(rid))
        n_rep = view.series("time_s").shape[1]
        out.extend((view, r) for r in range(n_rep))
    if not out:
        from ...errors import UserError
        raise UserError(f"{sd.path}: no finished kMC runs to analyse")
    return out


def compare_reference(sd, options: dict, cols: dict, key: str, names) -> list[str]:
    """Compare a table with an earlier one (``options["reference"]``, a CSV path relative to
    the sweep file): z = (new - old) / sqrt(se_new^2 + se_old^2) per value. Criterion: every
    |z| below the two-sided 5 % family-wise threshold for the number of values compared
    (Bonferroni).

    Parameters
    ----------
    sd : SweepData
        The collected sweep.
    options : dict
        ``[collect.options]``; ``reference`` names the earlier CSV.
    cols : dict
        The new table.
    key : str
        Column that matches rows of the two tables.
    names : iterable of str
        Value columns compared (each with a ``_se`` column).

    Returns
    -------
    list of str
        Lines with the z-scores and the verdict (empty without a reference).
    """
    ref = options.get("reference")
    if not ref:
        return []
    from scipy.stats import norm

    path = Path(ref)
    if not path.is_absolute() and sd.attrs.get("sweep_file"):
        path = Path(sd.attrs["sweep_file"]).parent / path
    if not path.is_file():
        return [f"reference {path}: not found, no comparison"]
    import csv
    with open(path, newline="", encoding="utf-8") as fh:
        old = list(csv.DictReader(fh))
    zs, lines = [], []
    for i, k in enumerate(cols[key]):
        row = next((r for r in old if r[key] == str(k)), None)
        if row is None:
            continue
        for n in names:
            if n not in row or n + "_se" not in row:
                continue
            a, sa = float(cols[n][i]), float(cols[n + "_se"][i])
            b, sb = float(row[n]), float(row[n + "_se"])
            z = (a - b) / np.hypot(sa, sb) if np.hypot(sa, sb) > 0 else np.nan
            zs.append(z)
            lines.append(f"  {k} {n}: {a:.5g} +/- {sa:.2g} (now) vs {b:.5g} +/- {sb:.2g} "
                         f"(reference): z = {z:+.2f}")
    if not zs:
        return [f"reference {path}: no common values"]
    zcrit = float(norm.ppf(1 - 0.025 / len(zs)))
    worst = float(np.nanmax(np.abs(zs)))
    verdict = "agree" if worst < zcrit else "DISAGREE"
    head = (f"against {path}: {len(zs)} values, max |z| = {worst:.2f} (5 % family-wise "
            f"threshold {zcrit:.2f}): {verdict}")
    return [head, *lines]
