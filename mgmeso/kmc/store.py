"""Zarr (v3) run stores: write a finished ensemble, read it back.

Layout of ``RUN.zarr`` (every array has ``units``, ``description`` and
``_ARRAY_DIMENSIONS`` attributes and zarr v3 dimension names, so
``xarray.open_zarr`` reads it):

* ``<var>`` -- time series, dims ``(case, replica, sample)``; every registered observable
  (:mod:`mgmeso.kmc.observables`: ``time_s``, ``stress_MPa``, ``strain``, ``strain_elastic``,
  ``strain_beta``, ``strain_anelastic``, ``strain_plastic``, ``temperature_K``, ...), with
  its unit and description. Samples a replica did not reach (unloading ends at a
  replica-dependent time) are NaN.
* ``<var>_mean``, ``<var>_se`` -- ensemble mean and standard error over replicas,
  dims ``(case, sample)``.
* ``snapshots/time_s`` ``(case, replica, snapshot)`` and
  ``snapshots/<field>`` ``(case, replica, snapshot, site)`` for every registered snapshot
  field, one snapshot per chunk.
* ``site_position`` ``(site, axis)``: Cartesian positions in cell units.
* ``coalescence_size_counts`` ``(case, replica, footprint_sites)``: coalescence (plastic)
  events by the size of the merged footprints.
* root attributes: ``config`` (resolved, as data), ``config_hash``, ``seed``,
  ``replicas``, ``cases``, ``time_series`` (the variables, in recording order),
  ``lattice``, ``n_sites``, ``versions``,
  ``created_utc``, calibration values.

The store is written into a temporary directory and moved into place only
when complete.
"""

from __future__ import annotations

import datetime
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from ..config.dump import config_dict, config_hash
from ..errors import UserError
from . import kernels as kn
from .ensemble import EnsembleResult
from .observables import SNAPSHOT_FIELDS, TIME_SERIES

__all__ = ["write_run", "read_run", "RunData", "ensemble_stats"]


def ensemble_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over axis 1 (replicas), ignoring NaN; SE is NaN with < 2 values."""
    n = np.sum(np.isfinite(x), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(x, axis=1)
        sd = np.nanstd(x, axis=1, ddof=1)
    se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), np.nan)
    return mean, se


def _array(group, name, data, dims, unit, desc, chunks=None):
    arr = group.create_array(name, shape=data.shape, dtype=data.dtype,
                             chunks=chunks or data.shape, dimension_names=dims,
                             attributes={"units": unit, "description": desc,
                                         "_ARRAY_DIMENSIONS": list(dims)})
    arr[...] = data
    return arr


def write_run(result: EnsembleResult, out: Path, versions: dict, overwrite: bool = False) -> Path:
    """Write a finished ensemble to ``out`` (a directory ending in .zarr), atomically."""
    out = Path(out)
    if out.exists() and not overwrite:
        raise UserError(f"output {out} already exists; pass --overwrite to replace it")
    tmp = out.with_name(out.name + f".tmp{np.random.default_rng().integers(1 << 30)}")
    setup = result.setup
    reps = result.replicas
    n_case, n_rep = len(reps), len(reps[0])
    data = result.stacked()
    g = zarr.open_group(str(tmp), mode="w")
    for i, (name, unit, desc) in enumerate(TIME_SERIES):
        x = data[..., i]
        _array(g, name, x, ("case", "replica", "sample"), unit, desc)
        mean, se = ensemble_stats(x)
        _array(g, f"{name}_mean", mean, ("case", "sample"), unit, f"ensemble mean of: {desc}")
        _array(g, f"{name}_se", se, ("case", "sample"), unit,
               f"standard error of the ensemble mean of: {desc}")
    hist = np.array([[r.K.counts[kn.C_HIST:] for r in row] for row in reps], dtype=np.int64)
    _array(g, "coalescence_size_counts", hist, ("case", "replica", "footprint_sites"), "1",
           "coalescence events by the size of the merged footprints (sites; index = size, the "
           "last bin holds that size or more), whole run")
    pos = setup.lattice.positions().astype(np.float32)
    _array(g, "site_position", pos, ("site", "axis"), "cell", "Cartesian site positions")
    n_snap = len(setup.snapshot_times_s)
    if n_snap:
        sg = g.create_group("snapshots")
        N = setup.lattice.n_sites
        times = np.full((n_case, n_rep, n_snap), np.nan)
        for c in range(n_case):
            for r in range(n_rep):
                for k, snap in enumerate(reps[c][r].snapshots):
                    times[c, r, k] = snap["time_s"]
        _array(sg, "time_s", times, ("case", "replica", "snapshot"), "s", "snapshot time")
        for name, dtype, unit, desc in SNAPSHOT_FIELDS:
            arr = sg.create_array(name, shape=(n_case, n_rep, n_snap, N), dtype=dtype,
                                  chunks=(1, 1, 1, N),
                                  dimension_names=("case", "replica", "snapshot", "site"),
                                  attributes={"units": unit, "description": desc,
                                              "_ARRAY_DIMENSIONS": ["case", "replica", "snapshot",
                                                                    "site"]})
            for c in range(n_case):
                for r in range(n_rep):
                    for k, snap in enumerate(reps[c][r].snapshots):
                        arr[c, r, k] = snap[name]
    r0 = reps[0][0]
    g.attrs.update({
        "mgmeso_store": "kmc-run",
        "config": config_dict(result.cfg),
        "config_hash": config_hash(result.cfg),
        "seed": setup.sim.seed,
        "replicas": n_rep,
        "cases": list(setup.case_labels),
        "time_series": [name for name, _, _ in TIME_SERIES],
        "lattice": setup.lattice.name,
        "L": setup.lattice.L,
        "n_sites": setup.lattice.n_sites,
        "bias_law": setup.sim.bias_law,
        "bias_saturation_stress_MPa": setup.sig_sat_MPa if setup.sim.bias_law == "linear" else None,
        # at the replica's last temperature (the physical law's follow T; None: no such process)
        "sigma_sat_MPa_case0_rep0": {k: (float(v) if np.isfinite(v) else None) for k, v in (
            ("beta", r0.calib.sig_sat_beta), ("anelastic", r0.calib.sig_sat_an),
            ("plastic", r0.calib.sig_sat_p))},
        "elimination_rate_per_s": setup.elim_rate_per_s if np.isfinite(setup.elim_rate_per_s) else None,
        "energy_reference_T_K": setup.T_ref_K,
        "unit_strain_beta_case0_rep0": r0.d_beta,
        "unit_strain_anelastic_case0_rep0": r0.d_an,
        "versions": versions,
        "wall_time_s": result.wall_s,
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    })
    old = None
    if out.exists():
        old = out.with_name(out.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        out.rename(old)
    tmp.rename(out)
    if old is not None:
        shutil.rmtree(old)
    return out


@dataclass
class RunData:
    """A run store opened for reading."""

    path: Path
    group: zarr.Group

    @property
    def attrs(self) -> dict:
        return dict(self.group.attrs)

    @property
    def cases(self) -> list[str]:
        return list(self.group.attrs["cases"])

    @property
    def time_series(self) -> list[str]:
        """Names of the stored time-series variables, in the order they were recorded."""
        names = self.group.attrs.get("time_series")
        if names is None:       # stores written before the list was kept
            names = [n for n, _, _ in TIME_SERIES if n in self.group]
        return list(names)

    def series(self, name: str) -> np.ndarray:
        """(case, replica, sample) array of a time-series variable."""
        return np.asarray(self.group[name][...])

    def mean(self, name: str) -> np.ndarray:
        return np.asarray(self.group[f"{name}_mean"][...])

    def se(self, name: str) -> np.ndarray:
        return np.asarray(self.group[f"{name}_se"][...])


def read_run(path: Path) -> RunData:
    """Open a run store written by :func:`write_run`.

    Raises
    ------
    UserError
        If ``path`` is not an mgmeso run store.
    """
    p = Path(path)
    if not p.exists():
        raise UserError(f"run store {p} does not exist")
    try:
        g = zarr.open_group(str(p), mode="r")
    except Exception as exc:  # zarr raises several types for a non-store directory
        raise UserError(f"{p} is not a zarr run store ({exc.__class__.__name__}: {exc})") from None
    if g.attrs.get("mgmeso_store") != "kmc-run":
        raise UserError(f"{p} is a zarr store but not an mgmeso kMC run")
    return RunData(p, g)
