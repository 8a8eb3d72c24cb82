"""Liquid-like sites for an observation window t_w (docs/model.md section 3).

Two definitions:

* **static** -- from the quenched disorder of a lattice drawn at temperature T,
  without running the kMC: a QPD site j is liquid-like when its alpha time
  ``tau_max_j = t0 (tau_beta_j/t0)^(1/chi_j)`` ([Hao2022] Eq. 11b) is shorter than
  t_w. ``tau_beta_j`` carries the Gumbel spread of [Hao2022] Eq. 24 exactly as in
  the kMC. ``chi_j = kappa f_j`` ([Hao2022] Eq. 10; f_j the local defect fraction)
  in 'local' heterogeneity, the uniform chi(T) in 'paper' heterogeneity. (The
  'paper' kMC gives every site the same tau_max; the static definition keeps each
  site's own tau_beta_j so that a map shows which sites relax first.) Elastic
  matrix sites are never liquid-like, so the fraction cannot exceed C_d(T).
* **dynamic** -- from a kMC snapshot: a site is liquid-like when it took part in
  an SMD event (as nucleus or footprint) during the last t_w before the snapshot.

The same random numbers are used at every temperature (the QPD set grows
monotonically with C_d(T)), so curves against T are smooth and a map at two
temperatures shows the same glass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.material import Material
from ..constants import R_J_PER_MOL_K
from ..kmc.disorder import Disorder, draw_disorder
from ..kmc.lattice import Lattice
from ..theory import kinetics

__all__ = ["StaticGlass", "static_glass", "dynamic_liquid_like"]


@dataclass(frozen=True)
class StaticGlass:
    """One drawn glass: quenched disorder and the model parameters that turn it into tau_max_j."""

    material: Material
    lattice: Lattice
    disorder: Disorder          # drawn at C_d of ``T_draw_K``: QPD set of every T <= T_draw
    u_kind: np.ndarray          # uniform numbers deciding QPD placement (C_d(T) thresholds them)
    heterogeneity: str
    chi_law: str
    T_ref_K: float | None       # energy-mode reference temperature (None: log-time mode)
    chi_radius: int
    hierarchy_beta_time: str = "site"   # 'site' or 'neighbourhood' (kMC [simulation] key)

    def qpd(self, T_K: float) -> np.ndarray:
        """bool[N]: QPD sites at temperature T (C_d(T) of [Hao2022] Eq. 1).

        Parameters
        ----------
        T_K : float
            Temperature (K).

        Returns
        -------
        numpy.ndarray
            bool (N,).
        """
        return self.u_kind < float(kinetics.defect_concentration(self.material, T_K))

    def log_tau_max(self, T_K: float) -> np.ndarray:
        """float64[N]: ln(tau_max_j / 1 s) of every site at T; +inf on matrix sites.

        Parameters
        ----------
        T_K : float
            Temperature (K).

        Returns
        -------
        numpy.ndarray
            float64 (N,).
        """
        mat = self.material
        kind = self.qpd(T_K)
        ln_tb_mean = math.log(mat.tau_beta0_s) + mat.U_beta_J_per_mol / (R_J_PER_MOL_K * T_K)
        factor = self.T_ref_K / T_K if self.T_ref_K else 1.0
        ln_tb = ln_tb_mean + self.disorder.log_tb.astype(float) * factor
        chi_T = float(kinetics.chi(mat, T_K, law=self.chi_law))
        ln_th = ln_tb
        if self.heterogeneity == "local":
            frac = _local_fraction(kind, self.lattice, self.chi_radius)
            chi: np.ndarray | float = np.clip(mat.kappa * frac + (chi_T - mat.chi_g), kinetics.CHI_MIN, 1.0)
            if self.hierarchy_beta_time == "neighbourhood":
                from ..kmc.disorder import neighbourhood_mean
                log_th = neighbourhood_mean(self.disorder.log_tb, self.lattice.neighbour_table(),
                                            self.chi_radius, include_self=True)
                ln_th = ln_tb_mean + log_th.astype(float) * factor
        else:
            chi = chi_T
        ln_tmax = np.maximum(np.log(kinetics.tau_max(mat, np.exp(ln_th), chi)), ln_tb)
        return np.where(kind, ln_tmax, np.inf)

    def liquid_like(self, T_K: float, window_s: float) -> np.ndarray:
        """bool[N]: sites with tau_max_j < t_w at temperature T.

        Parameters
        ----------
        T_K : float
            Temperature (K).
        window_s : float
            Observation window t_w (s).

        Returns
        -------
        numpy.ndarray
            bool (N,).
        """
        return self.log_tau_max(T_K) < math.log(window_s)

    def fraction(self, T_K: float, windows_s) -> np.ndarray:
        """Liquid-like fraction of all sites at T for each window (array like ``windows_s``).

        Parameters
        ----------
        T_K : float
            Temperature (K).
        windows_s : array_like
            Observation windows t_w (s).

        Returns
        -------
        numpy.ndarray
            Fractions in [0, 1], of the shape of ``windows_s``.
        """
        lt = self.log_tau_max(T_K)
        lt = np.sort(lt[np.isfinite(lt)])
        w = np.log(np.asarray(windows_s, dtype=float))
        return np.searchsorted(lt, w, side="left") / self.lattice.n_sites


_NBR_CACHE: dict[tuple, np.ndarray] = {}


def _local_fraction(kind: np.ndarray, lat: Lattice, radius: int) -> np.ndarray:
    from ..kmc.disorder import local_defect_fraction

    key = (lat.name, lat.L, lat.offsets.tobytes())
    if key not in _NBR_CACHE:
        _NBR_CACHE.clear()
        _NBR_CACHE[key] = lat.neighbour_table()
    return local_defect_fraction(kind.astype(np.int8), _NBR_CACHE[key], radius).astype(float)


def static_glass(material: Material, lattice: Lattice, seed: int | np.random.SeedSequence, *,
                 heterogeneity: str = "local", chi_law: str = "linear", disorder_mode: str = "log_time",
                 T_ref_K: float | None = None, chi_radius: int = 1,
                 hierarchy_beta_time: str = "site") -> StaticGlass:
    """Draw one glass for static liquid-like maps.

    The draw follows :func:`mgmeso.kmc.disorder.draw_disorder` (uncorrelated
    placement), with the placement uniforms kept so that C_d(T) can threshold them
    at any temperature.

    Parameters
    ----------
    material : Material
    lattice : Lattice
    seed : int or SeedSequence
    heterogeneity : {'local', 'paper'}
    chi_law : {'linear', 'defects'}
    disorder_mode : {'log_time', 'energy'}
        In 'energy' mode the Gumbel offsets scale as T_ref/T (docs/model.md E4).
    T_ref_K : float, optional
        Energy-mode reference temperature (default: the 1 Hz beta-peak temperature).
    chi_radius : int
        Graph radius of the local defect fraction.
    hierarchy_beta_time : {'site', 'neighbourhood'}
        'local' mode: tau_max_j from the site's own tau_beta_j or from the geometric mean over
        its chi neighbourhood (as the kMC's [simulation] key of the same name).
    hierarchy_beta_time : {'site', 'neighbourhood'}
        Beta time entering the site's hierarchy: its own, or the mean over its neighbourhood.

    Returns
    -------
    StaticGlass
        The glass, whose liquid-like sites can be asked for at any T and t_w.
    """
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss)
    n = lattice.n_sites
    u_kind = rng.random(n)
    dis = draw_disorder(lattice, lattice.neighbour_table(), 1.0, material.B_beta, rng,
                        0.0, chi_radius)
    if disorder_mode == "energy":
        if T_ref_K is None:
            from ..kmc.setup import beta_peak_temperature
            T_ref_K = beta_peak_temperature(material)
    else:
        T_ref_K = None
    return StaticGlass(material, lattice, dis, u_kind, heterogeneity, chi_law, T_ref_K, chi_radius,
                       hierarchy_beta_time)


def dynamic_liquid_like(last_smd_time_s: np.ndarray, snapshot_time_s: float,
                        window_s: float) -> np.ndarray:
    """bool[N]: sites that took part in an SMD event during the last ``window_s`` before the snapshot.

    Parameters
    ----------
    last_smd_time_s : float[N]
        Snapshot field ``last_smd_time`` (-1 where never).
    snapshot_time_s : float
        Time of the snapshot (s).
    window_s : float
        Observation window t_w (s).

    Returns
    -------
    numpy.ndarray
        bool (N,).
    """
    last = np.asarray(last_smd_time_s, dtype=float)
    return (last >= 0) & (last >= snapshot_time_s - window_s)
