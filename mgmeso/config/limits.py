"""Limits beyond the range of single keys: what a kMC run can do on this machine (checked
before anything is allocated), and where the model's strains stop meaning anything.

A config can be valid for the analytical model and still be one that the lattice
kMC cannot run: a lattice that does not fit in memory (or whose site indices do
not fit the engine's 32-bit integers), or a temperature so low that the
Arrhenius time of the beta units overflows double precision. :func:`check_kmc`
finds these before a single array is allocated and says, for each, the value,
the limit and why (:class:`~mgmeso.errors.ConfigError`, exit code 2).

The memory estimate (:func:`estimate_memory`) counts the arrays a replica keeps
(:mod:`mgmeso.kmc.replica`: the ``Sites`` fields, the Kanter variables and local
defect fractions, the sum tree), the snapshots it stores, and the transient
arrays of its construction; ``tests/test_robust_kmc.py`` pins it to the bytes of
a real replica, so that the estimate follows the engine.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from ..constants import R_J_PER_MOL_K
from ..errors import ConfigError
from .tables import AUTO_COMPOSITION_MIN_SITES

__all__ = [
    "MAX_MEANINGFUL_STRAIN",
    "MAX_SITES",
    "SITE_BYTES",
    "SNAPSHOT_BYTES_PER_SITE",
    "MemoryEstimate",
    "available_memory_bytes",
    "check_kmc",
    "estimate_memory",
    "kmc_temperature_floor",
    "strain_warning",
]

#: bytes per site of the arrays every replica keeps for the whole run (kmc/replica.py):
#: five int8 fields (kind, elim, beta, smd, fp_size), two int32 (owner, fp_next), the float32
#: fields log_tb, log_S, chi, eps_p, last_smd, the float64 sum-tree leaves, the (N, 2) float32
#: event probabilities, and the float32 Kanter U, W and local defect fraction
SITE_BYTES = 5 * 1 + 2 * 4 + 5 * 4 + 8 + 2 * 4 + 3 * 4
#: the 'neighbourhood' hierarchy rule keeps its own float32 beta-time array
HIERARCHY_BYTES = 4
#: composition-rejection selection ([simulation] event_selection, kmc/composition.py): the int32
#: member list per site, and the class starts (int64) and weights (float64) of 2099 classes
SELECTION_BYTES = 4
SELECTION_FIXED_BYTES = (2099 + 3) * 8 + (2099 + 1) * 8
#: a stored snapshot: three int8, one int32 and four float32 fields per site (SNAPSHOT_FIELDS)
SNAPSHOT_BYTES_PER_SITE = 3 * 1 + 4 + 4 * 4
#: largest number of sites: the engine indexes sites (owner, fp_next, neighbours) with int32
MAX_SITES = 2**31 - 1
#: the slowest Arrhenius time the engine represents: exp() of a larger log overflows float64
MAX_LOG_TIME = math.log(1e300)
#: the interpreter, numpy/scipy/numba and the compiled kernels, whatever the lattice
BASE_BYTES = 300_000_000
_SUMTREE_BLOCK = 32
_CHUNK_SITES = 65536   # kmc/disorder.py: neighbourhood means are computed in chunks of sites
#: largest strain magnitude a config accepts (hold_strain, ramp_strain, ...) and that the model's
#: results are reported for without a warning
MAX_MEANINGFUL_STRAIN = 0.5


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes a kMC run needs (an estimate of its peak), and its parts."""

    n_sites: int
    replicas_in_memory: int
    per_replica_bytes: int
    transient_bytes: int
    total_bytes: int

    def describe(self) -> str:
        """Summarise the estimate in one human line (for messages and ``--dry-run``).

        Returns
        -------
        str
            Total, replicas held, bytes per replica, transient and base memory.
        """
        return (f"{_size(self.total_bytes)} ({self.replicas_in_memory} replica(s) in memory x "
                f"{_size(self.per_replica_bytes)} each for {self.n_sites:,} sites, plus "
                f"{_size(self.transient_bytes)} while a replica is built and "
                f"{_size(BASE_BYTES)} for the program itself)")


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.3g} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1000.0
    return f"{n:.3g} EB"


def _tree_bytes(n_sites: int) -> int:
    blocks = -(-n_sites // _SUMTREE_BLOCK)
    p = 1 << max(blocks - 1, 0).bit_length()
    return 2 * p * 8


def estimate_memory(n_sites: int, coordination: int, replicas: int, cases: int, snapshots: int,
                    *, dim: int = 3, hierarchy_neighbourhood: bool = False, defects: bool = False,
                    chi_radius: int = 1, workers: int = 1,
                    composition: bool | None = None) -> MemoryEstimate:
    """Peak memory of a kMC run (bytes).

    Parameters
    ----------
    n_sites : int
        Sites per replica (``nb L^dim``).
    coordination : int
        Neighbours per site (the construction builds an (N, z) int32 table).
    replicas, cases : int
        Every replica of every case is held in memory for the whole run.
    snapshots : int
        Stored snapshot times (each kept per replica, then copied once into the store).
    dim : int
        Lattice dimension (the neighbour table is built from (N, dim) int64 coordinates).
    hierarchy_neighbourhood, defects : bool
        Options that keep extra per-site arrays (defect dynamics keep the neighbour table).
    chi_radius : int
        Graph radius of neighbourhood averages: beyond 1 (or with the 'neighbourhood' rule)
        they are built in chunks of 65536 sites holding every path of up to that length.
    workers : int
        Threads that classify units at the same time (float64 rate arrays per site each).
    composition : bool or None
        Whether the replicas select events by composition-rejection (None: the default
        'auto' rule, from ``AUTO_COMPOSITION_MIN_SITES`` sites).

    Returns
    -------
    MemoryEstimate
        Bytes per replica, transient bytes while one is built, and the total peak.
    """
    per_site = SITE_BYTES + (HIERARCHY_BYTES if hierarchy_neighbourhood else 0)
    if defects:
        per_site += 4 * coordination
    per_replica = n_sites * (per_site + 2 * SNAPSHOT_BYTES_PER_SITE * snapshots) + _tree_bytes(n_sites)
    if composition is None:
        composition = n_sites >= AUTO_COMPOSITION_MIN_SITES
    if composition:
        per_replica += n_sites * SELECTION_BYTES + SELECTION_FIXED_BYTES
    # replicas are built one after the other: the neighbour table (int32, N x z) and the int64
    # cell coordinates it is computed from, then float64 draws narrowed to float32; running,
    # each thread's classification allocates float64 rates (measured: tests/test_robust_kmc.py)
    build = n_sites * (4 * coordination + 22 * dim)
    if chi_radius > 1 or hierarchy_neighbourhood:
        paths = sum(coordination**k for k in range(1, chi_radius + 1))
        # int32 indices, their sorted copy, float64 values and two boolean masks per path
        build += min(n_sites, _CHUNK_SITES) * paths * 27
    transient = max(build, n_sites * 33 * max(workers, 1))
    held = replicas * cases
    return MemoryEstimate(n_sites, held, per_replica, transient,
                          BASE_BYTES + held * per_replica + transient)


def available_memory_bytes() -> int | None:
    """Memory this process may still use: MemAvailable, capped by a cgroup limit (None: unknown).

    Returns
    -------
    int or None
        Bytes, or None when neither /proc/meminfo nor sysconf tells.
    """
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        used = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if limit != "max":
            room = int(limit) - used
            avail = room if avail is None else min(avail, room)
    except (OSError, ValueError):
        pass
    return avail


def kmc_temperature_floor(U_beta_J_per_mol: float, tau_beta0_s: float) -> float:
    """Lowest temperature (K) at which the mean beta time tau0 exp(U/RT) stays below 1e300 s.

    Parameters
    ----------
    U_beta_J_per_mol : float
        Mean beta activation energy (J/mol).
    tau_beta0_s : float
        Beta attempt time (s).

    Returns
    -------
    float
        The temperature floor (K) of the kMC for this material.
    """
    return U_beta_J_per_mol / (R_J_PER_MOL_K * (MAX_LOG_TIME - math.log(tau_beta0_s)))


def _program_temperatures(prog) -> list[float]:
    temps = [float(prog.temperature_K)]
    for seg in prog.segments:
        to = getattr(seg, "to_K", None)
        if to is not None:
            temps.append(float(to))
    return temps


def _temperature_keys(protocol, value: float) -> list[str]:
    """Keys of the protocol (and its segments) that hold ``value`` as an absolute temperature."""
    from .fields import field_specs

    keys = []
    objs = [("[protocol]", protocol)] + [(f"[[protocol.segments]] #{i + 1}", s)
                                          for i, s in enumerate(getattr(protocol, "segments", ()))]
    for where, obj in objs:
        for name, (_, spec) in field_specs(type(obj)).items():
            if spec.unit != "K" or spec.hi != 5000.0:
                continue
            v = getattr(obj, name)
            vals = v if isinstance(v, tuple) else (v,)
            for i, x in enumerate(vals):
                if isinstance(x, float) and x == value:
                    keys.append(f"{where} {name}" + (f"[{i}]" if isinstance(v, tuple) else ""))
    return keys


def check_kmc(cfg, workers: int | None = None) -> MemoryEstimate:
    """Refuse a kMC run that cannot work on this machine, before anything is allocated.

    Parameters
    ----------
    cfg : RunConfig
        The validated config.
    workers : int, optional
        Worker threads of the run (default: the CPU count, at most one per replica).

    Returns
    -------
    MemoryEstimate
        The memory estimate of the run.

    Raises
    ------
    ConfigError
        Naming the key, the value, the limit and why.
    """
    from ..kmc.lattice import make_lattice
    from ..kmc.setup import make_setup

    setup = make_setup(cfg)   # raises ConfigError for protocols the kMC does not run
    sim, mat = cfg.simulation, cfg.material
    src = str(cfg.path) if cfg.path else None
    errors: list[str] = []
    floor = kmc_temperature_floor(mat.U_beta_J_per_mol, mat.tau_beta0_s)
    seen = set()
    for prog in setup.programs:
        for T in _program_temperatures(prog):
            if T < floor and T not in seen:
                seen.add(T)
                keys = _temperature_keys(cfg.protocol, T) or ["the loading program's temperature"]
                errors.append(
                    f"{' and '.join(keys)} = {T:g} K: the kMC needs temperatures of at least "
                    f"{floor:.3g} K for this material (U_beta = {mat.U_beta_kJ_per_mol:g} kJ/mol, "
                    f"tau_beta0_s = {mat.tau_beta0_s:g}): below it the mean beta time "
                    f"tau_beta0 exp(U_beta/RT) exceeds 1e300 s, beyond double precision, and "
                    f"no unit could move in any run; the analytical model ('mgmeso theory') "
                    f"evaluates any positive temperature")
    lat = make_lattice(sim.lattice, sim.L)
    n = lat.n_sites
    if n > MAX_SITES:
        errors.append(
            f"[simulation] L = {sim.L}: a {sim.lattice} lattice of L = {sim.L} has {n:,} sites, "
            f"more than the {MAX_SITES:,} the engine can index (site indices are 32-bit); "
            f"the largest L for {sim.lattice} is {_max_L(lat)}")
    n_workers = min(workers or os.cpu_count() or 1, sim.replicas * setup.n_cases)
    est = estimate_memory(n, lat.z, sim.replicas, setup.n_cases, len(cfg.output.snapshot_times_s),
                          dim=lat.dim, defects=cfg.defects.enabled, chi_radius=sim.chi_radius,
                          hierarchy_neighbourhood=sim.hierarchy_beta_time == "neighbourhood",
                          workers=n_workers,
                          composition=sim.selection_for(n) == "composition")
    avail = available_memory_bytes()
    if not errors and avail is not None and est.total_bytes > avail:
        errors.append(
            f"[simulation] L = {sim.L}, replicas = {sim.replicas}: the run needs about "
            f"{est.describe()}, but only {_size(avail)} of memory are available; every replica "
            f"of every case ({setup.n_cases}) is held in memory for the whole run -- use a "
            f"smaller L or fewer replicas (or fewer snapshot_times_s)")
    if errors:
        raise ConfigError(errors, source=src)
    return est


def _max_L(lat) -> int:
    return int((MAX_SITES / lat.nb) ** (1.0 / lat.dim))


def strain_warning(time_s, strain, what: str = "strain") -> str | None:
    """Warn when a computed strain leaves the range where the model means anything.

    The QPD model is a small-strain theory: strain components add linearly and the stress acts
    on the undeformed cross-section. Beyond ``MAX_MEANINGFUL_STRAIN`` in magnitude (the largest
    strain a config accepts) a real sample would have necked, fractured or flowed, so such
    values are not a prediction (often they follow from a stress near sigma1, where the beta
    barrier vanishes, or from a long hold well above Tg).

    Parameters
    ----------
    time_s : array_like
        Times (s) of the strains, shape (n,).
    strain : array_like
        Strains (1), shape (n,); NaN is ignored.
    what : str
        Name of the quantity in the message.

    Returns
    -------
    str or None
        The warning (peak strain and the first time it exceeds ``MAX_MEANINGFUL_STRAIN``), or
        None if every strain is within range.
    """
    import numpy as np

    e = np.asarray(strain, dtype=float)
    t = np.asarray(time_s, dtype=float)
    big = np.abs(e) > MAX_MEANINGFUL_STRAIN
    if not np.any(big):
        return None
    i = int(np.argmax(big))
    peak = float(np.nanmax(np.abs(e)))
    return (f"the {what} reaches {peak:.3g} (first beyond {MAX_MEANINGFUL_STRAIN:g} at t = "
            f"{t[i]:.4g} s): the QPD model is a small-strain theory (strains add linearly, the "
            f"stress acts on the undeformed section), so beyond |strain| = "
            f"{MAX_MEANINGFUL_STRAIN:g} its numbers describe no real sample, which would have "
            f"necked, fractured or flowed; shorten the load or lower the stress or temperature")
