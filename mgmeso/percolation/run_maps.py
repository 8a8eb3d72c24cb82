"""Percolation of a kMC run: dynamic liquid-like zones in the snapshots of a run store (the
Python API of ``mgmeso percolation map RUN.zarr``).

>>> from mgmeso import percolation                                    # doctest: +SKIP
>>> d = percolation.dynamic_map("out/run.zarr", windows_s=[10.0])     # doctest: +SKIP
>>> d.series                # liquid-like fraction, clusters, footprints per snapshot  # doctest: +SKIP
>>> d.write("out/run_percolation")                                    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.files import prepare_outputs
from ..io.table import Table
from ..kmc.lattice import Lattice, make_lattice
from .clusters import label_clusters
from .liquid import dynamic_liquid_like
from .maps import active_footprints, run_cluster_series
from .static_maps import SiteMap, check_positive

__all__ = ["DynamicMap", "dynamic_map"]

_SNAPSHOT_FIELDS = ("time_s", "last_smd_time", "footprint", "smd_state", "kind")


def _snapshots(run, path) -> tuple[dict, np.ndarray | None]:
    """Snapshot fields (case, replica, snapshot[, site]) and the coalescence-size counts
    (case, replica, size) of a run store, through the store's reader
    (:class:`mgmeso.kmc.reader.RunData`)."""
    if not run.has_snapshots():
        raise UserError(f"{path}: the run has no snapshots; set [output] snapshot_times_s in the "
                        f"config and run it again")
    fields = run.snapshots([k for k in _SNAPSHOT_FIELDS if k != "time_s"])
    return fields, run.coalescence_counts()


@dataclass(frozen=True)
class DynamicMap:
    """Result of :func:`dynamic_map`.

    Attributes
    ----------
    name : str
        File name of the store (for titles).
    lattice : Lattice
    cases : list of str
    windows_s : tuple of float
    snapshots : dict
        ``time_s`` (case, replica, snapshot) and ``last_smd_time, footprint,
        smd_state, kind`` (case, replica, snapshot, site).
    series : Table
        ``case, replica, time_s, window_s, liquid_fraction, largest_cluster_fraction,
        n_clusters, n_wrapping_clusters, wraps_x, ..., footprint_fraction,
        footprint_largest_cluster_fraction``: every reached snapshot of every
        replica, for each window.
    coalescence_counts : int array (case, replica, size)
        Coalescences by merged footprint size (zeros of size 1 if the store has none).
    """

    name: str
    lattice: Lattice = field(repr=False)
    cases: list
    windows_s: tuple[float, ...]
    snapshots: dict = field(repr=False)
    series: Table = field(repr=False)
    coalescence_counts: np.ndarray = field(repr=False)

    def replica_series(self, case: int = 0, replica: int = 0,
                       window_s: float | None = None) -> Table:
        """Rows of ``series`` of one case, replica and window (default: the first window)."""
        s = self.series
        tw = self.windows_s[0] if window_s is None else window_s
        sel = (s["case"] == case) & (s["replica"] == replica) & (s["window_s"] == tw)
        return Table({k: v[sel] for k, v in s.columns.items()})

    def coalescence_table(self) -> Table:
        """``footprint_sites, coalescences_case0, ...``: counts summed over replicas."""
        h = self.coalescence_counts
        return Table({"footprint_sites": np.arange(h.shape[2]),
                      **{f"coalescences_case{c}": h[c].sum(axis=0) for c in range(h.shape[0])}})

    def site_map(self, case: int, window_s: float) -> SiteMap:
        """Sites with an SMD event within ``window_s`` before the last snapshot of replica 0."""
        f, lat = self.snapshots, self.lattice
        s = int(np.nanargmax(f["time_s"][case, 0]))
        ts = float(f["time_s"][case, 0, s])
        ll = dynamic_liquid_like(f["last_smd_time"][case, 0, s], ts, window_s)
        cl = label_clusters(ll, lat)
        fp = active_footprints(f["footprint"][case, 0, s], f["smd_state"][case, 0, s])
        title = (f"{self.cases[case]}: t = {ts:.4g} s, $t_w$ = {window_s:g} s, sites with an SMD "
                 f"event in $t_w$: {ll.mean():.3f}; largest cluster {cl.largest_fraction:.3f}; "
                 f"{cl.wrapping_labels.size} wrapping; polarised footprints cover {fp.mean():.3f}")
        return SiteMap(lat, ll, f["kind"][case, 0, s] == 1, cl, title)

    def file_names(self) -> list[str]:
        return ["cluster_series.csv", "cluster_series.png", "coalescence_sizes.csv"] + [
            f"map_case{c}_w{tw:g}s.png" for c in range(len(self.cases)) for tw in self.windows_s]

    def summary(self) -> dict:
        """Shape of the run, means over replicas at the last snapshot (first window) and, per
        case, the number, mean and largest merged footprint of the coalescences."""
        s = self.series
        t = self.snapshots["time_s"]
        last = (s["time_s"] == np.nanmax(s["time_s"])) & (s["window_s"] == self.windows_s[0])
        sizes = np.arange(self.coalescence_counts.shape[2])
        per_case = []
        for c in range(t.shape[0]):
            h = self.coalescence_counts[c].sum(axis=0)
            n = int(h.sum())
            per_case.append({"case": c, "coalescences": n,
                             "mean_footprint_sites": float((sizes * h).sum() / n) if n else None,
                             "largest_footprint_sites": int(sizes[h > 0].max()) if n else None})
        return {"store": self.name, "cases": t.shape[0], "replicas": t.shape[1],
                "snapshots": t.shape[2], "window_s": self.windows_s[0],
                "last_liquid_fraction": float(np.mean(s["liquid_fraction"][last])),
                "last_largest_cluster_fraction": float(np.mean(s["largest_cluster_fraction"][last])),
                "coalescence": per_case}

    def write(self, out_dir, overwrite: bool = False) -> list[Path]:
        """Write the series, the coalescence sizes and every figure into ``out_dir``."""
        from ..plotting import save
        from ..plotting.percolation_plots import plot_run_clusters, plot_site_map

        paths = prepare_outputs(out_dir, self.file_names(), overwrite)
        self.series.to_csv(paths[0])
        save(plot_run_clusters(self), paths[1], overwrite=overwrite)
        self.coalescence_table().to_csv(paths[2])
        k = 3
        for c in range(len(self.cases)):
            for tw in self.windows_s:
                save(plot_site_map(self.site_map(c, tw)), paths[k], overwrite=overwrite)
                k += 1
        return paths


def dynamic_map(run, *, windows_s=None) -> DynamicMap:
    """Dynamic liquid-like zones, clusters and footprints in the snapshots of a kMC run.

    Parameters
    ----------
    run : path of a run store, or :class:`mgmeso.kmc.reader.RunData`
        Written by ``mgmeso run`` with ``[output] snapshot_times_s``.
    windows_s : sequence of float, optional
        Observation windows t_w (s); a site is liquid-like when it took part in an
        SMD event within t_w before the snapshot. Default: a tenth of the last
        snapshot time.

    Returns
    -------
    DynamicMap
    """
    from ..kmc.reader import RunData, read_run

    data = run if isinstance(run, RunData) else read_run(Path(run))
    path = Path(data.path)
    fields, counts = _snapshots(data, path)
    times = fields["time_s"]
    cfgd = data.attrs["config"]
    try:
        lat = make_lattice(cfgd["simulation"]["lattice"], int(cfgd["simulation"]["L"]))
    except ValueError as exc:
        raise UserError(f"{path}: the run's {exc}; register its lattice first") from None
    windows = check_positive(windows_s, "window_s", 1e12) or [float(np.nanmax(times)) / 10.0]
    n_case, n_rep, _ = times.shape
    tables = []
    for c in range(n_case):
        for r in range(n_rep):
            for tw in windows:
                t = run_cluster_series(fields, lat, tw, c, r)
                if len(t):
                    t.columns = {"case": np.full(len(t), c), "replica": np.full(len(t), r),
                                 **t.columns}
                    tables.append(t)
    if not tables:
        raise UserError(f"{path}: no snapshot was reached by any replica")
    if counts is None:
        counts = np.zeros((n_case, n_rep, 1), np.int64)
    cases = list(data.attrs.get("cases", ["?"] * n_case))
    return DynamicMap(path.name, lat, cases, tuple(windows), fields, Table.concat(tables), counts)
