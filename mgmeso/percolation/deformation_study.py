"""The deformation map of a config (``mgmeso percolation deformation``): the lines of the static
liquid-like fraction reaching p_c over strain rate and temperature, as a result object (see
:mod:`mgmeso.percolation.static_maps`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..io.files import prepare_outputs
from ..io.table import Table
from .map_inputs import config_glass, site_threshold, with_overrides
from .maps import deformation_lines

if TYPE_CHECKING:
    from ..config.loader import RunConfig


@dataclass(frozen=True)
class DeformationMap:
    """Result of :func:`deformation_map`: ``table`` has ``strain_rate_per_s, window_s,
    T_static_K, T_spectral_K`` (NaN where the fraction does not reach p_c on the grid).
    """

    FILES = ("deformation_map.csv", "deformation_map.png", "deformation_map.json")

    config: RunConfig
    p_c: float
    p_c_source: str
    temperatures_K: np.ndarray = field(repr=False)
    table: Table = field(repr=False)

    @property
    def title(self) -> str:
        """Figure title: material, lattice, size and site threshold."""
        sim = self.config.simulation
        return (f"{self.config.material.name}: deformation map, {sim.lattice} L = {sim.L}, "
                f"site threshold {self.p_c:.4f}")

    def summary(self) -> dict:
        """Return the numbers of the deformation map's JSON file.

        Returns
        -------
        dict
            Material, lattice, threshold and its source, temperature range.
        """
        mat, sim = self.config.material, self.config.simulation
        return {"material": mat.name, "lattice": sim.lattice, "L": sim.L, "p_c": self.p_c,
                "p_c_source": self.p_c_source,
                "temperature_range_K": [self.temperatures_K[0], self.temperatures_K[-1]]}

    def write(self, out_dir, overwrite: bool = False) -> list[Path]:
        """Write the lines (CSV), the figure (PNG) and the summary (JSON) into ``out_dir``.

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
        from ..plotting.percolation_plots import plot_deformation_map

        paths = prepare_outputs(out_dir, self.FILES, overwrite)
        Table(self.table.columns).to_csv(paths[0])
        save(plot_deformation_map(self).figure, paths[1], overwrite=overwrite)
        Table({}, self.summary()).write_meta(paths[2])
        return paths


def deformation_map(config, *, rates_per_s=(1e-6, 1.0), n_rates: int = 13,
                    p_c: float | None = None, lattice: str | None = None,
                    L: int | None = None) -> DeformationMap:
    """Where liquid-like zones percolate in the (strain rate, T) plane, with ``t_w = 1/rate``.

    Parameters
    ----------
    config : RunConfig or path of a config TOML
    rates_per_s : (float, float)
        Lowest and highest strain rate (1/s), 0 < lo < hi <= 1e6; ``n_rates``
        rates log-spaced between them.
    p_c : float, optional
        Site threshold; default the registry's literature value (required for a
        lattice without one).
    lattice, L : optional
        Override ``[simulation]`` lattice and L.
    n_rates : int
        Number of strain rates.

    Returns
    -------
    DeformationMap
        Temperatures on a 2 K grid from 250 K to Tg + 200 K, which holds the whole
        beta and alpha loss that normalises the spectral line.
    """
    cfg = with_overrides(config, lattice, L)
    lo, hi = (float(r) for r in rates_per_s)
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi <= 1e6):
        raise UserError(f"rates_per_s = {lo:g} {hi:g}: need 0 < LO < HI <= 1e6 (1/s)")
    name = cfg.simulation.lattice
    pc, src = site_threshold(name, p_c)
    if pc is None or src is None:
        raise UserError(f"lattice {name!r} has no literature site-percolation threshold in the "
                        f"registry; give one (p_c, --p-c), e.g. the estimate of 'mgmeso percolation "
                        f"threshold --lattice {name}'")
    temps = np.arange(250.0, cfg.material.Tg_K + 200.0, 2.0)
    table = deformation_lines(config_glass(cfg), np.geomspace(lo, hi, n_rates), temps, pc,
                              cfg.theory.chi_law)
    return DeformationMap(cfg, pc, src, temps, table)
