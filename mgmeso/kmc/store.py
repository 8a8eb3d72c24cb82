"""Zarr (v3) run stores: the layout, and the writer of a finished ensemble.

``xarray.open_zarr(RUN)`` (or :func:`mgmeso.open_run`) gives the root dataset at once:

* coordinates ``case`` (the case labels: ``ds.sel(case="creep")``), ``replica`` (0 .. R-1)
  and ``time_s(case, sample)``, the sample times: identical for all replicas of a case,
  so stored once per case. In a case whose sample times differ between replicas (an
  ``unload`` segment ends at each replica's own zero-stress crossing and shifts every
  later sample) ``time_s`` is the mean over the replicas that reached the sample, and the
  exact times are the variable ``replica_time_s(case, replica, sample)``, present only
  then (``time_s.attrs["replica_dependent_cases"]`` names those cases);
* one variable ``(case, replica, sample)`` per registered observable
  (:data:`mgmeso.kmc.observables.OBSERVABLES`, with its unit and description), NaN where
  a replica recorded fewer samples; chunks ``(1, replicas per chunk, samples)``, along
  replicas;
* the calibration of each replica and case as arrays (:data:`CALIBRATION`):
  ``unit_strain_beta(case, replica)``, ..., ``elimination_rate_per_s(case)``, ...;
* ``coalescence_size_counts(case, replica, footprint_sites)``.

Groups: ``snapshots`` (``xarray.open_zarr(RUN, group="snapshots")``): every registered
snapshot field ``(case, replica, snapshot, site)``, one snapshot per chunk, beside the site
coordinates ``x, y, z`` (cell units; z = 0 on planar lattices), the nominal snapshot times
``time_s(snapshot)`` and ``reached_time_s(case, replica, snapshot)`` (NaN: the replica never
got there). ``estimates``: the ensemble-mean estimators that are not one line of xarray:
for each observable with a lower-noise ``*_expected`` twin, ``<name>(case, sample)`` = the
replica mean of the twin and ``<name>_se``.

Fill values cannot pass for data: NaN for floats; for integers the dtype's minimum
(:data:`INT_FILL`: -128 for int8, -2147483648 for int32, -2**63 for int64), which no
field takes. Every chunk is written, also one of fill values only.

Root attributes: ``mgmeso_store = "kmc-run"``, ``schema_version``, ``mgmeso_version``,
``git_describe``, ``versions``, ``config`` (the resolved config as data), ``config_hash``,
``seed``, ``lattice``, ... and ``integrity`` (written last: the completeness marker and the
checksum of every array, :mod:`.integrity`). The facts of the run's making (``created_utc``,
``wall_time_s``, command line, host, config file) are in ``provenance.json`` at the store's
root, outside the data: two runs of the same config with the same seed give byte-identical
files everywhere else (every chunk, every ``zarr.json``, the root's too).

The store is written into ``<RUN>.tmp<pid>`` and moved into place only when complete; a
writer killed on the way leaves that directory, removed by the next write of ``RUN``.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import shutil
import socket
import subprocess
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from ..config.dump import config_dict, config_hash
from ..errors import UserError
from . import kernels as kn
from .ensemble import EnsembleResult
from .integrity import manifest, remove_orphans, tmp_name
from .observables import OBSERVABLES, SNAPSHOT_REGISTRY, TS_INDEX
from .reader import (ESTIMATES, PROVENANCE_FILE, SCHEMA_VERSION, SNAPSHOTS, RunData, StoreError,
                     ensemble_stats, open_run, open_run_zarr, read_run)

__all__ = ["write_run", "read_run", "open_run", "open_run_zarr", "RunData", "StoreError",
           "ensemble_stats", "CALIBRATION", "Calibration", "INT_FILL", "SCHEMA_VERSION",
           "git_describe"]

#: per integer dtype, the fill value (the dtype's minimum; no stored field takes it)
INT_FILL = {np.dtype(t).str: int(np.iinfo(t).min) for t in (np.int8, np.int16, np.int32, np.int64)}
_MAX_CHUNK_VALUES = 1 << 17        # ~1 MB of float64 per time-series chunk


@dataclass(frozen=True)
class Calibration:
    """One calibration value of a run, stored as an array over ``per``."""

    name: str
    unit: str
    description: str
    per: str                                   # "replica": (case, replica); "case"; "run": ()
    compute: Callable[[object, int, object], float]   # (setup, case, replica object)
    dtype: str = "f8"


#: the calibration values stored with every run (one entry per addition)
CALIBRATION: list[Calibration] = [
    Calibration("unit_strain_beta", "1", "strain of one beta unit per site: a unit flip "
                "changes the strain by this over the number of sites (calibrated to A_beta "
                "with the replica's QPD sites)", "replica", lambda s, c, r: r.calib.d_beta),
    Calibration("unit_strain_anelastic", "1", "the same for an SMD (anelastic) unit "
                "(calibrated to A_an)", "replica", lambda s, c, r: r.calib.d_an),
    Calibration("unit_strain_plastic", "1", "plastic strain deposited per annihilation and site "
                "(calibrated to A_vp, or A_an in the series rule)", "replica",
                lambda s, c, r: r.calib.d_p),
    Calibration("qpd_sites", "1", "QPD sites of the replica at the end of the run", "replica",
                lambda s, c, r: r.n_qpd, "i8"),
    Calibration("defect_fraction_reference", "1", "defect fraction C_d the unit strains are "
                "calibrated at (the analytical model's, at the program's start temperature)",
                "replica", lambda s, c, r: r.Cd_ref),
    Calibration("elimination_rate_per_s", "1/s", "units faster than this are in local "
                "equilibrium with the stress (inf: none is)", "case",
                lambda s, c, r: s.elim_rates_per_s[c]),
    Calibration("bias_saturation_stress_MPa", "MPa", "saturation stress sigma_sat of the linear "
                "bias law (NaN: the physical law, whose saturation stresses follow)", "run",
                lambda s, c, r: s.sig_sat_MPa if s.sim.bias_law == "linear" else np.nan),
    Calibration("sigma_sat_beta_MPa", "MPa", "saturation stress of a beta unit's bias at the "
                "replica's last temperature (inf: none)", "replica",
                lambda s, c, r: r.calib.sig_sat_beta),
    Calibration("sigma_sat_anelastic_MPa", "MPa", "the same for an SMD (anelastic) unit",
                "replica", lambda s, c, r: r.calib.sig_sat_an),
    Calibration("sigma_sat_plastic_MPa", "MPa", "the same for the plastic process",
                "replica", lambda s, c, r: r.calib.sig_sat_p),
    Calibration("energy_reference_T_K", "K", "reference temperature of the energy-mode "
                "disorder", "run", lambda s, c, r: s.T_ref_K),
]


@functools.lru_cache(maxsize=1)
def git_describe() -> str | None:
    """``git describe --always --dirty --tags`` of the mgmeso source tree (None if not a checkout)."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "describe", "--always", "--dirty", "--tags"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def _fill(dtype: np.dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return np.nan
    if dtype.kind in "iu":
        return INT_FILL[dtype.str] if dtype.str in INT_FILL else 0
    return None


def _array(group, name: str, data, dims, unit: str | None, desc: str, *, chunks=None,
           coords: str | None = None, dtype=None, extra: dict | None = None):
    """One array with its unit, description and dimension names (xarray reads them)."""
    shape = data if isinstance(data, tuple) else np.shape(data)
    dtype = np.dtype(dtype or np.asarray(data).dtype)
    is_str = dtype.kind in "UO"
    attrs = {"description": desc}
    if unit is not None:
        attrs["units"] = unit
    if coords:
        attrs["coordinates"] = coords
    if extra:
        attrs.update(extra)
    arr = group.create_array(name, shape=shape, dtype=str if is_str else dtype,
                             chunks=chunks or tuple(max(s, 1) for s in shape),
                             fill_value="" if is_str else _fill(dtype), dimension_names=dims,
                             attributes=attrs, config={"write_empty_chunks": True})
    if data is not None and not isinstance(data, tuple):
        arr[...] = np.asarray(data)
    return arr


def _labels(group, setup, n_rep: int) -> None:
    _array(group, "case", np.array(setup.case_labels, dtype=str), ("case",), None,
           "case label (one program of the protocol)")
    _array(group, "replica", np.arange(n_rep, dtype=np.int64), ("replica",), None,
           "replica index (its seed: SeedSequence(seed) -> case -> replica)")


def sample_times(t: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Per case the sample times (case, sample) and the cases whose replicas disagree."""
    out = t[:, 0].copy()
    dependent = []
    for c in range(t.shape[0]):
        if not all(np.array_equal(t[c, 0], t[c, r], equal_nan=True) for r in range(t.shape[1])):
            dependent.append(c)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                out[c] = np.nanmean(t[c], axis=0)
    return out, dependent


def _time_series(g, result: EnsembleResult, data: np.ndarray) -> None:
    setup = result.setup
    n_case, n_rep, n_s = data.shape[:3]
    t = data[..., TS_INDEX["time_s"]]
    t_case, dependent = sample_times(t)
    o_time = OBSERVABLES[TS_INDEX["time_s"]]
    extra = {"replica_dependent_cases": [setup.case_labels[c] for c in dependent]}
    note = ("" if not dependent else "; in the replica_dependent_cases the mean over the replicas "
            "that reached the sample (exact times: replica_time_s)")
    _array(g, "time_s", t_case, ("case", "sample"), o_time.unit, o_time.description + note,
           extra=extra)
    rc = min(n_rep, max(1, _MAX_CHUNK_VALUES // max(n_s, 1)))
    chunks = (1, rc, max(n_s, 1))
    dims = ("case", "replica", "sample")
    if dependent:
        _array(g, "replica_time_s", t, dims, o_time.unit, "sample time of each replica",
               chunks=chunks)
    for i, ob in enumerate(OBSERVABLES):
        if ob.name == "time_s":
            continue
        extra = {"estimator": ob.expected} if ob.expected else None
        _array(g, ob.name, data[..., i], dims, ob.unit, ob.description, chunks=chunks,
               coords="time_s", extra=extra)
    est = g.create_group(ESTIMATES, attributes={"description": (
        "ensemble-mean estimates of the observables that have a lower-noise twin (the units in "
        "local equilibrium at their conditional mean): <name> is the replica mean of the twin, "
        "<name>_se its standard error. Other means and SEs are one line of xarray: "
        "ds[name].mean('replica')")})
    _array(est, "case", np.array(setup.case_labels, dtype=str), ("case",), None, "case label")
    _array(est, "time_s", t_case, ("case", "sample"), o_time.unit, o_time.description + note)
    for ob in OBSERVABLES:
        if not ob.expected:
            continue
        mean, se = ensemble_stats(data[..., TS_INDEX[ob.expected]])
        desc = (f"estimate of the ensemble mean of {ob.name} ({ob.description}): the replica "
                f"mean of {ob.expected} (same expectation, no observation noise)")
        _array(est, ob.name, mean, ("case", "sample"), ob.unit, desc, coords="time_s")
        _array(est, f"{ob.name}_se", se, ("case", "sample"), ob.unit,
               f"standard error of {ob.name} (replica standard deviation of {ob.expected} / "
               f"sqrt(replicas that reached the sample))", coords="time_s")


def _calibration(g, result: EnsembleResult) -> None:
    setup, reps = result.setup, result.replicas
    for cal in CALIBRATION:
        if cal.per == "replica":
            x = np.array([[cal.compute(setup, c, r) for r in row] for c, row in enumerate(reps)],
                         dtype=cal.dtype)
            dims = ("case", "replica")
        elif cal.per == "case":
            x = np.array([cal.compute(setup, c, row[0]) for c, row in enumerate(reps)],
                         dtype=cal.dtype)
            dims = ("case",)
        else:
            x = np.array(cal.compute(setup, 0, reps[0][0]), dtype=cal.dtype)
            dims = ()
        _array(g, cal.name, x, dims, cal.unit, cal.description)
    hist = np.array([[r.K.counts[kn.C_HIST:] for r in row] for row in reps], dtype=np.int64)
    _array(g, "coalescence_size_counts", hist, ("case", "replica", "footprint_sites"), "1",
           "coalescence events by the size of the merged footprints (sites; index = size, the "
           "last bin holds that size or more), whole run")


def _snapshots(g, result: EnsembleResult) -> None:
    setup, reps = result.setup, result.replicas
    times = setup.snapshot_times_s
    if not times:
        return
    n_case, n_rep, n_snap, N = len(reps), len(reps[0]), len(times), setup.lattice.n_sites
    sg = g.create_group(SNAPSHOTS, attributes={"description": "per-site fields at the snapshot "
                                               "times"})
    _labels(sg, setup, n_rep)
    pos = setup.lattice.positions().astype(np.float32)
    for k, axis in enumerate("xyz"):
        col = pos[:, k] if k < pos.shape[1] else np.zeros(N, np.float32)
        _array(sg, axis, col, ("site",), "cell", f"{axis} position of the site (cell edge units)")
    _array(sg, "time_s", np.array(times, dtype=float), ("snapshot",), "s",
           "snapshot time ([output] snapshot_times_s)")
    reached = np.full((n_case, n_rep, n_snap), np.nan)
    for c, row in enumerate(reps):
        for r, rep in enumerate(row):
            for k, snap in enumerate(rep.snapshots):
                reached[c, r, k] = snap["time_s"]
    _array(sg, "reached_time_s", reached, ("case", "replica", "snapshot"), "s",
           "time the replica took the snapshot (NaN: the replica ended before it)",
           coords="time_s")
    dims = ("case", "replica", "snapshot", "site")
    for f in SNAPSHOT_REGISTRY:
        arr = _array(sg, f.name, (n_case, n_rep, n_snap, N), dims, f.unit, f.description,
                     chunks=(1, 1, 1, max(N, 1)), coords="time_s x y z", dtype=f.dtype)
        fill = np.full(N, _fill(np.dtype(f.dtype)), dtype=f.dtype)
        for c, row in enumerate(reps):
            for r, rep in enumerate(row):
                for k in range(n_snap):
                    arr[c, r, k] = rep.snapshots[k][f.name] if k < len(rep.snapshots) else fill


def _root_attrs(result: EnsembleResult, versions: dict) -> dict:
    from .. import __version__

    setup = result.setup
    cfgd = config_dict(result.cfg)
    for k in ("config_file", "material_origin"):      # where it was read from: provenance
        cfgd.pop(k, None)
    return {
        "mgmeso_store": "kmc-run",
        "schema_version": SCHEMA_VERSION,
        "mgmeso_version": __version__,
        "git_describe": git_describe(),
        "versions": versions,
        "title": result.cfg.title,
        "config": cfgd,
        "config_hash": config_hash(result.cfg),
        "protocol": result.cfg.protocol.kind,
        "seed": setup.sim.seed,
        "replicas": setup.sim.replicas,
        "cases": list(setup.case_labels),
        "time_series": OBSERVABLES.names(),
        "snapshot_fields": SNAPSHOT_REGISTRY.names(),
        "calibration": [c.name for c in CALIBRATION],
        "lattice": setup.lattice.name,
        "L": setup.lattice.L,
        "n_sites": setup.lattice.n_sites,
        "bias_law": setup.sim.bias_law,
        "fill_values": {"float": "NaN", **{np.dtype(k).name: v for k, v in INT_FILL.items()}},
    }


def _provenance(result: EnsembleResult, extra: dict | None) -> dict:
    import platform

    return {
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "wall_time_s": result.wall_s,
        "command_line": list(sys.argv),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python_executable": sys.executable,
        "working_directory": os.getcwd(),
        "config_file": str(result.cfg.path) if result.cfg.path else None,
        "material_origin": result.cfg.material_origin,
        **(extra or {}),
    }


def _write(tmp: Path, result: EnsembleResult, versions: dict, provenance: dict | None) -> None:
    g = zarr.open_group(str(tmp), mode="w", zarr_format=3)
    _labels(g, result.setup, len(result.replicas[0]))
    _time_series(g, result, result.stacked())
    _calibration(g, result)
    _snapshots(g, result)
    g.attrs.update(json.loads(json.dumps(_root_attrs(result, versions))))
    # the checksums of what was written, and of the attributes as they read back
    attrs = json.loads((tmp / "zarr.json").read_text())["attributes"]
    g.attrs["integrity"] = manifest(tmp, attrs)
    with warnings.catch_warnings():
        # consolidated metadata is not in the v3 spec yet; zarr and xarray read it
        warnings.simplefilter("ignore")
        zarr.consolidate_metadata(str(tmp))
    (tmp / PROVENANCE_FILE).write_text(json.dumps(_provenance(result, provenance), indent=1,
                                                  default=str) + "\n")


def write_run(result: EnsembleResult, out: Path, versions: dict | None = None,
              overwrite: bool = False, provenance: dict | None = None) -> Path:
    """Write a finished ensemble to ``out`` (a directory ending in .zarr), atomically.

    Parameters
    ----------
    result
        The finished ensemble.
    out
        Store path; an existing store is replaced only with ``overwrite``.
    versions
        Versions of mgmeso and its dependencies (root attribute ``versions``; default: those
        of this installation, as ``mgmeso info`` lists them).
    provenance
        Extra run-time facts for ``provenance.json`` (outside the data's checksums).
    """
    out = Path(out)
    if versions is None:
        from ..cli.info_cmd import versions as installed
        versions = installed()
    if out.exists() and not overwrite:
        raise UserError(f"output {out} already exists; pass --overwrite to replace it")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(out)
    tmp = tmp_name(out)
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write(tmp, result, versions, provenance)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
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
