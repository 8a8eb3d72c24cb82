"""What a replica records: the registry of time-series observables and of snapshot fields.

Each observable is one :class:`Observable` entry: name (with its unit in the name where it
has one), unit, description and how to compute it from an :class:`Observation` (the state
at a sample, computed once per sample). The registry's order is the column order of
:meth:`Replica.table`; the run store (:mod:`.store`), the CSV export and the ensemble
statistics iterate it, so a new observable is one :func:`register` call and appears in all
of them by itself. Snapshot fields (per-site arrays at the snapshot times) work the same way
(:class:`SnapshotField`, :func:`register_snapshot_field`).

Units in local equilibrium enter an observation with a fresh equilibrium draw of their
states (``strain``, ``stress_MPa``, ...) and, for the ``*_expected`` variables, at their
conditional mean (Rao-Blackwell: the same expectation, no observation noise).

Register new entries before replicas are built: a replica's rows have the columns the
registry had when they were recorded.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..segments import STRESS
from . import kernels as kn
from .bias import p_plus

__all__ = ["Observable", "Observation", "OBSERVABLES", "register", "unregister", "estimator",
           "TIME_SERIES", "TS_INDEX", "SnapshotField", "SNAPSHOT_REGISTRY",
           "register_snapshot_field", "unregister_snapshot_field", "SNAPSHOT_FIELDS",
           "observe", "snapshot", "Registry"]


class Registry(list):
    """An ordered list of named entries (``entry.name``), with live views of their metadata."""

    def __init__(self, what: str, entries, meta: tuple[str, ...]):
        super().__init__(entries)
        self.what = what
        self.meta = meta            # the attributes a view shows, in order

    def register(self, entry):
        """Append an entry (its name must be new).

        Parameters
        ----------
        entry : Observable or SnapshotField
            The entry.

        Returns
        -------
        Observable or SnapshotField
            ``entry`` itself.

        Raises
        ------
        ValueError
            If its name is registered already.
        """
        if entry.name in self.names():
            raise ValueError(f"{self.what} {entry.name!r} is already registered")
        self.append(entry)
        return entry

    def unregister(self, name: str) -> None:
        """Remove an entry (e.g. one a test registered).

        Parameters
        ----------
        name : str
            Name of the entry (nothing happens if none has it).
        """
        self[:] = [e for e in self if e.name != name]

    def names(self) -> list[str]:
        """Return the entries' names, in registry order.

        Returns
        -------
        list of str
            The names.
        """
        return [e.name for e in self]

    def view(self) -> Sequence:
        """Live sequence of ``tuple(getattr(entry, m) for m in meta)``.

        Returns
        -------
        Sequence
            A view that follows later registrations.
        """
        return _View(self)

    def positions(self) -> Mapping:
        """Live mapping name -> position.

        Returns
        -------
        Mapping
            A mapping that follows later registrations.
        """
        return _Index(self)


class _View(Sequence):
    def __init__(self, reg: Registry):
        self._reg = reg

    def __getitem__(self, i):
        e = self._reg[i]
        return tuple(getattr(e, m) for m in self._reg.meta)

    def __len__(self) -> int:
        return len(self._reg)


class _Index(Mapping):
    def __init__(self, reg: Registry):
        self._reg = reg

    def __getitem__(self, name: str) -> int:
        names = self._reg.names()
        if name not in names:
            raise KeyError(name)
        return names.index(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._reg.names())

    def __len__(self) -> int:
        return len(self._reg)


class Observation(NamedTuple):
    """The state of a replica at a sample, from which every observable is computed.

    A named tuple (immutable like a frozen dataclass, and built faster: one is built at every
    sample of every replica).
    """

    replica: Any                # the Replica (lattice state, counters, program position)
    t: float                    # s
    stress: float               # MPa, with the units in equilibrium drawn
    strain: float
    strain_elastic: float
    strain_beta: float
    strain_anelastic: float
    strain_plastic: float
    strain_x: float             # the same with the units in equilibrium at their mean
    stress_x: float
    strain_beta_x: float
    strain_anelastic_x: float
    temperature_K: float


@dataclass(frozen=True)
class Observable:
    """One recorded time-series variable."""

    name: str
    unit: str
    description: str
    compute: Callable[[Observation], Any]      # a number (stored as float)
    #: name of the lower-noise variable with the same expectation (compare with theory on it)
    expected: str | None = None


def _count(index: int):
    return lambda o: o.replica.K.counts[index]


_PLANE_SHARE: list = []     # (plane_share, TOP_FRACTION), imported at the first sample


def _localisation_index(o: Observation) -> float:
    if not _PLANE_SHARE:
        # lazy: mgmeso.analysis imports the lattice module of this package
        from ..analysis.localisation import TOP_FRACTION, plane_share
        _PLANE_SHARE[:] = [plane_share, TOP_FRACTION]
    plane_share, top = _PLANE_SHARE
    v = plane_share(o.replica.S.eps_p, o.replica.setup.lattice)
    # no plastic strain deposited yet: nothing is localised (the homogeneous value), so that
    # the series stays finite like every other
    return v if math.isfinite(v) else top


_EXP = "conditional mean (same expectation as {0}, no observation noise)"

#: the registry, in column order
OBSERVABLES = Registry("observable", [
    Observable("time_s", "s", "time since the start of the loading program", lambda o: o.t),
    Observable("stress_MPa", "MPa", "macroscopic stress", lambda o: o.stress,
               expected="stress_MPa_expected"),
    Observable("temperature_K", "K", "temperature", lambda o: o.temperature_K),
    Observable("strain", "1", "total strain", lambda o: o.strain, expected="strain_expected"),
    Observable("strain_elastic", "1", "elastic strain sigma/E_u", lambda o: o.strain_elastic),
    Observable("strain_beta", "1", "strain of the beta units", lambda o: o.strain_beta,
               expected="strain_beta_expected"),
    Observable("strain_anelastic", "1", "strain of the SMD (anelastic) units",
               lambda o: o.strain_anelastic, expected="strain_anelastic_expected"),
    Observable("strain_plastic", "1", "permanent (viscoplastic) strain", lambda o: o.strain_plastic),
    Observable("defect_fraction", "1", "fraction of sites that are QPDs",
               lambda o: o.replica.n_qpd / o.replica.N),
    Observable("active_smd", "1", "number of polarised SMDs",
               lambda o: np.count_nonzero(o.replica.S.smd)),
    Observable("chi_mean", "1", "mean correlation factor chi over QPD sites",
               lambda o: o.replica.equilibrium.chi_mean),
    Observable("events_beta", "1", "cumulative beta events", _count(kn.C_BETA)),
    Observable("events_smd", "1", "cumulative SMD (anelastic) events", _count(kn.C_SMD)),
    Observable("events_annihilation", "1", "cumulative SMD annihilations at rate 1/tau_max",
               _count(kn.C_ANN)),
    Observable("events_coalescence", "1", "cumulative coalescences (footprint contacts)",
               _count(kn.C_COAL)),
    Observable("events_total", "1", "cumulative events of all kinds", _count(kn.C_ALL)),
    Observable("segment", "1", "index of the loading segment", lambda o: o.replica.seg_index),
    Observable("strain_expected", "1", "total strain with the units in local equilibrium at "
               "their " + _EXP.format("strain"), lambda o: o.strain_x),
    Observable("stress_MPa_expected", "MPa", "stress with the units in local equilibrium at "
               "their conditional mean (the stress that drives the events)", lambda o: o.stress_x),
    Observable("strain_beta_expected", "1", "beta strain with the units in local equilibrium "
               "at their conditional mean", lambda o: o.strain_beta_x),
    Observable("strain_anelastic_expected", "1", "anelastic strain with the units in local "
               "equilibrium at their conditional mean", lambda o: o.strain_anelastic_x),
    Observable("localisation_index", "1", "share of the deposited plastic strain in the "
               "most-sheared 10 % of the lattice planes normal to x or y (0.1 homogeneous, 1 one "
               "plane, and 0.1 while none is deposited; docs/kmc_localisation.md)", _localisation_index),
], ("name", "unit", "description"))

#: add an observable as the last column; remove one
register, unregister = OBSERVABLES.register, OBSERVABLES.unregister


def estimator(name: str) -> str:
    """Return the variable to estimate ``name``'s ensemble mean with (itself, or its ``expected``).

    Parameters
    ----------
    name : str
        An observable's name.

    Returns
    -------
    str
        The estimator's name.

    Raises
    ------
    KeyError
        For an unregistered name.
    """
    for o in OBSERVABLES:
        if o.name == name:
            return o.expected or name
    raise KeyError(name)


#: time-series variables as (name, unit, description), and their column by name (live)
TIME_SERIES: Sequence = OBSERVABLES.view()
TS_INDEX: Mapping = OBSERVABLES.positions()


def observe(rep) -> np.ndarray:
    """One row of the registry's observables at the replica's current time.

    Parameters
    ----------
    rep : Replica
        The replica (its lattice, counters and current law).

    Returns
    -------
    numpy.ndarray
        float64 (n_observables,), in registry order.
    """
    K, mat = rep.K, rep.setup.material
    t = rep.t
    sigma, eps = rep._macro(t)
    cal = rep.calib
    # Python scalars (not numpy's): the same IEEE arithmetic, without numpy's per-operation cost
    sums = K.sums.tolist()
    s_beta, s_smd, s_pl = sums[kn.SUM_BETA], sums[kn.SUM_SMD], sums[kn.SUM_PLASTIC]
    N = rep.N
    # equilibrium probabilities of the +1 state of the beta and SMD units (the bias law)
    p_b = float(p_plus(sigma, cal.sig_sat_beta, cal.bias_law))
    p_a = float(p_plus(sigma, cal.sig_sat_an, cal.bias_law))
    nb, na = rep.equilibrium.counts
    xb = 2 * int(rep.obs_rng.binomial(nb, p_b)) - nb if nb else 0
    xa = 2 * int(rep.obs_rng.binomial(na, p_a)) - na if na else 0
    e_b = cal.d_beta * (s_beta + xb) / N
    e_a = cal.d_an * (s_smd + xa) / N
    e_p = cal.d_p * s_pl / N + float(K.frozen[0])
    # conditional means of the equilibrium units (Rao-Blackwell: same mean, less noise)
    eb_x = cal.d_beta * (s_beta + nb * (2 * p_b - 1)) / N
    ea_x = cal.d_an * (s_smd + na * (2 * p_a - 1)) / N
    if rep.law.control == STRESS:
        s_obs = s_x = sigma
        e_el = s_obs * mat.J_el_per_MPa
        eps = e_el + e_b + e_a + e_p
        eps_x = e_el + eb_x + ea_x + e_p
    else:
        e_el = eps - e_b - e_a - e_p
        s_obs = e_el / mat.J_el_per_MPa
        eps_x = eps
        s_x = (eps - eb_x - ea_x - e_p) / mat.J_el_per_MPa
    o = Observation(rep, t, s_obs, eps, e_el, e_b, e_a, e_p, eps_x, s_x, eb_x, ea_x,
                    rep.temperature_at(t))
    return np.array([ob.compute(o) for ob in OBSERVABLES], dtype=float)


# ---- snapshots ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SnapshotField:
    """One per-site array of a snapshot."""

    name: str
    dtype: str
    unit: str
    description: str
    compute: Callable[[Any, np.ndarray, np.ndarray], np.ndarray]   # (replica, beta, smd)


SNAPSHOT_REGISTRY = Registry("snapshot field", [
    SnapshotField("kind", "i1", "1", "1 = QPD site, 0 = elastic matrix", lambda r, b, a: r.S.kind.copy()),
    SnapshotField("beta_state", "i1", "1", "beta unit state -1/0/+1 (units in equilibrium drawn "
                  "at the snapshot)", lambda r, b, a: b.astype(np.int8)),
    SnapshotField("smd_state", "i1", "1", "SMD unit state -1/0/+1", lambda r, b, a: a.astype(np.int8)),
    SnapshotField("footprint", "i4", "1", "nucleus site of the SMD footprint covering the site, "
                  "-1 if none", lambda r, b, a: r.S.owner.copy()),
    SnapshotField("chi", "f4", "1", "local correlation factor chi_j", lambda r, b, a: r.S.chi.copy()),
    SnapshotField("local_strain", "f4", "1", "local inelastic strain: beta + SMD unit strain + "
                  "deposited plastic", lambda r, b, a: (r.calib.d_beta * b + r.calib.d_an * a)
                  .astype(np.float32) + r.S.eps_p),
    SnapshotField("plastic_strain", "f4", "1", "plastic strain deposited at the site",
                  lambda r, b, a: r.S.eps_p.copy()),
    SnapshotField("last_smd_time", "f4", "s", "time of the last SMD event the site took part in "
                  "(-1 never)", lambda r, b, a: r.S.last_smd.copy()),
    SnapshotField("local_stress", "f4", "MPa", "stress felt by a unit at the site: the applied "
                  "stress plus, with [simulation] elastic_interactions, the Eshelby field of the "
                  "other sites' eigenstrains (docs/kmc_elastic.md section 6)",
                  lambda r, b, a: _local_stress(r)),
], ("name", "dtype", "unit", "description"))

register_snapshot_field = SNAPSHOT_REGISTRY.register
unregister_snapshot_field = SNAPSHOT_REGISTRY.unregister
#: ``(name, dtype, unit, description)`` of every snapshot field (live)
SNAPSHOT_FIELDS: Sequence = SNAPSHOT_REGISTRY.view()


def _local_stress(rep) -> np.ndarray:
    """Local stress of every site (MPa), from a fresh field (the state is not touched)."""
    sigma, _ = rep._macro(rep.t)
    if rep.field is None:
        return np.full(rep.N, sigma, np.float32)
    return rep.field.local_stress(sigma).astype(np.float32)


def snapshot(rep) -> dict:
    """Return the site fields at the current time.

    Units in equilibrium are drawn now, from the snapshot stream, so that snapshots never
    change the time series.

    Parameters
    ----------
    rep : Replica
        The replica.

    Returns
    -------
    dict
        ``time_s`` and one (N,) array per registered snapshot field.
    """
    S = rep.S
    sigma, _ = rep._macro(rep.t)
    cal = rep.calib
    beta = S.beta.copy()
    eq_b = S.elim >= 1
    beta[eq_b] = np.where(rep.snap_rng.random(int(eq_b.sum()))
                          < float(p_plus(sigma, cal.sig_sat_beta, cal.bias_law)), 1, -1)
    smd = S.smd.copy()
    eq_a = S.elim >= 2
    smd[eq_a] = np.where(rep.snap_rng.random(int(eq_a.sum()))
                         < float(p_plus(sigma, cal.sig_sat_an, cal.bias_law)), 1, -1)
    out = {"time_s": rep.t}
    out.update({f.name: f.compute(rep, beta, smd) for f in SNAPSHOT_REGISTRY})
    return out
