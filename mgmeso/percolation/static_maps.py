"""Percolation studies of a config without the kMC: static liquid-like fraction, site maps and the
deformation map (the Python API of ``mgmeso percolation map CONFIG`` and ``... deformation``).

>>> from mgmeso import percolation                                    # doctest: +SKIP
>>> m = percolation.static_map("configs/la60_stepped_relaxation.toml", lattice="bcc", L=16)
>>> m.crossings_K          # t_w (s) -> T (K) where the fraction reaches p_c  # doctest: +SKIP
>>> m.write("out/maps")    # CSV, JSON and PNG files                  # doctest: +SKIP

Each study returns a frozen result object: the numbers as attributes and tables,
``summary()`` for the JSON file, ``site_maps()`` / ``title`` for the figures,
``write(out_dir)`` for all files at once. A lattice without a literature
threshold in the registry (:mod:`mgmeso.kmc.lattice`) gives a static map
without crossing temperatures unless ``p_c`` is passed; the deformation map
needs a threshold and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..io.files import prepare_outputs
from ..io.table import Table
from ..kmc.lattice import Lattice
from .clusters import Clusters, label_clusters
from .deformation_study import DeformationMap, deformation_map
from .liquid import StaticGlass
from .map_inputs import check_positive, config_glass, site_threshold, with_overrides
from .maps import first_crossing, static_curve

if TYPE_CHECKING:
    from ..config.loader import RunConfig

__all__ = ["SiteMap", "StaticMap", "DeformationMap", "static_map", "deformation_map",
           "config_glass", "with_overrides", "site_threshold", "check_positive"]


@dataclass(frozen=True)
class SiteMap:
    """One map of liquid-like sites: what :func:`~mgmeso.plotting.percolation_plots.plot_site_map`
    draws. ``liquid`` and ``qpd`` are bool[N] site fields of ``lattice``.
    """

    lattice: Lattice
    liquid: np.ndarray
    qpd: np.ndarray
    clusters: Clusters
    title: str = ""


def _analytical_delta(cfg, temps, window_s) -> Table:
    """delta(T) of the stepped-relaxation theory on the temperature grid, hold ``window_s``."""
    from ..config import SteppedRelaxation
    from ..theory import evaluate

    p = cfg.protocol.stepped_relaxation() or SteppedRelaxation()
    step = float(temps[1] - temps[0]) if len(temps) > 1 else 3.0
    p = replace(p, T_start_K=float(temps[0]), T_end_K=float(temps[-1]), T_step_K=step,
                hold_s=window_s, first_sample_s=min(p.first_sample_s, window_s / 10))
    return evaluate(replace(cfg, protocol=p)).tables["theory"]


@dataclass(frozen=True)
class StaticMap:
    """Result of :func:`static_map`.

    Attributes
    ----------
    config : RunConfig
        With the overrides applied.
    glass : StaticGlass
    p_c, p_c_source : float or None, str or None
        Site threshold used and where it comes from (literature source or 'given').
    windows_s : tuple of float
        Observation windows t_w (s).
    temperatures_K : float array
        Temperature grid of the curves.
    curves : dict t_w -> Table
        :func:`~mgmeso.percolation.maps.static_curve` per window.
    crossings_K : dict t_w -> float
        T where the liquid-like fraction reaches p_c (NaN: not on the grid or no p_c).
    first_wrapping_K : dict t_w -> float or None
        First grid temperature with a wrapping cluster.
    delta : Table
        Analytical stepped-relaxation delta(T) on the same grid, hold = first window.
    map_temperatures_K : tuple of float
        Temperatures of the site maps.
    """

    FILES = ("liquid_fraction.csv", "liquid_fraction.png", "liquid_fraction.json",
             "delta_analytical.csv")

    config: RunConfig
    glass: StaticGlass = field(repr=False)
    p_c: float | None
    p_c_source: str | None
    windows_s: tuple[float, ...]
    temperatures_K: np.ndarray = field(repr=False)
    curves: dict = field(repr=False)
    crossings_K: dict
    first_wrapping_K: dict
    delta: Table = field(repr=False)
    map_temperatures_K: tuple[float, ...]

    @property
    def delta_crossing_K(self) -> float | None:
        """T where the analytical delta(T) reaches p_c (None without p_c, NaN if never)."""
        if self.p_c is None:
            return None
        return first_crossing(self.delta["temperature_K"], self.delta["delta"], self.p_c)

    @property
    def title(self) -> str:
        """Figure title: material, lattice, size, heterogeneity and seed."""
        mat, sim = self.config.material, self.config.simulation
        return (f"{mat.name}: static liquid-like sites ($\\tau_{{max,j}} < t_w$), {sim.lattice} "
                f"L = {sim.L}, {sim.heterogeneity} heterogeneity, seed {sim.seed}")

    def site_map(self, T_K: float, window_s: float) -> SiteMap:
        """Liquid-like sites (``tau_max_j < t_w``) and their clusters at one temperature.

        Parameters
        ----------
        T_K : float
            Temperature (K).
        window_s : float
            Observation window t_w (s).

        Returns
        -------
        SiteMap
            What :func:`~mgmeso.plotting.percolation_plots.plot_site_map` draws.
        """
        g, sim = self.glass, self.config.simulation
        ll = g.liquid_like(T_K, window_s)
        cl = label_clusters(ll, g.lattice)
        thr = f"{sim.lattice} threshold {self.p_c:.3f}" if self.p_c is not None else "no threshold"
        title = (f"{self.config.material.name}, T = {T_K:g} K, $t_w$ = {window_s:g} s: liquid-like "
                 f"fraction {ll.mean():.3f} ({thr}); largest cluster {cl.largest_fraction:.3f}; "
                 f"{cl.wrapping_labels.size} wrapping cluster(s)")
        return SiteMap(g.lattice, ll, g.qpd(T_K), cl, title)

    def map_names(self) -> list[str]:
        """Return the file names of the site maps, one per window and temperature.

        Returns
        -------
        list of str
            ``map_<T>K_<t_w>s.png`` names.
        """
        return [f"map_{T:g}K_{tw:g}s.png" for tw in self.windows_s for T in self.map_temperatures_K]

    def summary(self) -> dict:
        """Return the numbers of ``liquid_fraction.json``.

        Returns
        -------
        dict
            Material, lattice, threshold, windows and the crossing temperatures.
        """
        mat, sim = self.config.material, self.config.simulation
        return {"material": mat.name, "lattice": sim.lattice, "L": sim.L,
                "n_sites": self.glass.lattice.n_sites, "heterogeneity": sim.heterogeneity,
                "seed": sim.seed, "p_c": self.p_c, "p_c_source": self.p_c_source,
                "windows_s": list(self.windows_s),
                "T_fraction_reaches_p_c_K": {str(k): v for k, v in self.crossings_K.items()},
                "T_first_wrapping_cluster_K": {str(k): v for k, v in self.first_wrapping_K.items()},
                "T_delta_analytical_reaches_p_c_K": self.delta_crossing_K}

    def write(self, out_dir, overwrite: bool = False) -> list[Path]:
        """Write the curves, delta(T), the summary and every figure into ``out_dir``.

        Parameters
        ----------
        out_dir : str or path-like
            Output directory (created when the first file is written).
        overwrite : bool
            Replace existing files (else an existing file is an error, before anything is written).

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        from ..plotting import save
        from ..plotting.percolation_plots import plot_liquid_curves, plot_site_map

        paths = prepare_outputs(out_dir, list(self.FILES) + self.map_names(), overwrite)
        Table.concat(list(self.curves.values())).to_csv(paths[0])
        self.delta.to_csv(paths[3])
        Table({}, self.summary()).write_meta(paths[2])
        save(plot_liquid_curves(self).figure, paths[1], overwrite=overwrite)
        k = len(self.FILES)
        for tw in self.windows_s:
            for T in self.map_temperatures_K:
                save(plot_site_map(self.site_map(T, tw)), paths[k], overwrite=overwrite)
                k += 1
        return paths


def _ladder(cfg, temps_map) -> np.ndarray:
    """Default temperature grid: the stepped-relaxation steps (else 300 K in 3 K steps) up to at
    least Tg + 80 K and the highest map temperature.
    """
    p = cfg.protocol.stepped_relaxation()
    lo, step = (p.T_start_K, p.T_step_K) if p else (300.0, 3.0)
    hi = max(p.T_end_K if p else 0.0, cfg.material.Tg_K + 80.0, *(temps_map or [0.0]))
    return np.arange(lo, hi + 0.5 * step, step)


def static_map(config, *, windows_s=None, temperatures_K=None, p_c: float | None = None,
               lattice: str | None = None, L: int | None = None,
               seed: int | None = None) -> StaticMap:
    """Compute the static liquid-like fraction against T and maps of the liquid-like sites of a config.

    Parameters
    ----------
    config : RunConfig or path of a config TOML
        Material, ``[simulation]`` lattice, L, seed, heterogeneity and disorder;
        a stepped-relaxation protocol sets the default window and grid.
    windows_s : sequence of float, optional
        Observation windows t_w (s). Default: the stepped-relaxation hold, else 1800 s.
    temperatures_K : sequence of float, optional
        Temperatures of the site maps. Default: 20 K below, at and 15 K above the
        crossing of the first window (Tg - 50, Tg, Tg + 50 K without one).
    p_c : float, optional
        Site threshold to use instead of the registry's literature value (needed
        for crossings on a lattice without one).
    lattice, L, seed : optional
        Override ``[simulation]`` lattice, L (4-512), seed.

    Returns
    -------
    StaticMap
    """
    cfg = with_overrides(config, lattice, L, seed)
    stepped = cfg.protocol.stepped_relaxation()
    windows = check_positive(windows_s, "window_s", 1e12) or [
        stepped.hold_s if stepped is not None else 1800.0]
    temps_map = check_positive(temperatures_K, "temperatures_K", 5000.0)
    temps = _ladder(cfg, temps_map)
    pc, src = site_threshold(cfg.simulation.lattice, p_c)
    glass = config_glass(cfg)
    curves = {tw: static_curve(glass, temps, tw) for tw in windows}
    crossings = {tw: first_crossing(temps, c["liquid_fraction"], pc) if pc is not None
                   else float("nan")
                 for tw, c in curves.items()}
    wrap_T = {tw: (float(temps[np.flatnonzero(c["n_wrapping_clusters"] > 0)[0]])
                   if (c["n_wrapping_clusters"] > 0).any() else None) for tw, c in curves.items()}
    if not temps_map:
        Tx, Tg = crossings[windows[0]], cfg.material.Tg_K
        temps_map = ([round(Tx - 20.0), round(Tx), round(Tx + 15.0)] if np.isfinite(Tx)
                     else [Tg - 50.0, Tg, Tg + 50.0])
    return StaticMap(cfg, glass, pc, src, tuple(windows), temps, curves, crossings, wrap_T,
                     _analytical_delta(cfg, temps, windows[0]),
                     tuple(float(T) for T in temps_map))


