"""Inputs of the percolation studies of a config: checked value lists, the config with its
lattice, L and seed overridden, the site threshold to use, and the config's static glass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..kmc.lattice import lattice_type, make_lattice
from .liquid import StaticGlass, static_glass

if TYPE_CHECKING:
    from ..config.loader import RunConfig


def check_positive(values, name: str, hi: float) -> list[float]:
    """``values`` as floats, each finite, positive and at most ``hi`` (else a UserError).

    Parameters
    ----------
    values : iterable of float
        The values.
    name : str
        Their argument name in the message.
    hi : float
        The largest allowed value.

    Returns
    -------
    list of float
        The values.

    Raises
    ------
    UserError
        Naming the first bad value.
    """
    out = []
    for v in values or []:
        if not np.isfinite(v) or v <= 0 or v > hi:
            raise UserError(f"{name} = {v:g}: must be positive and at most {hi:g}")
        out.append(float(v))
    return out


def with_overrides(config, lattice: str | None = None, L: int | None = None,
                   seed: int | None = None) -> RunConfig:
    """Return the config (a RunConfig or a TOML path) with ``[simulation] lattice, L, seed`` replaced.

    Parameters
    ----------
    config : RunConfig or path-like
        The config.
    lattice : str, optional
        A registered lattice name.
    L : int, optional
        Cells per side.
    seed : int, optional
        Root seed.

    Returns
    -------
    RunConfig
        The validated config.
    """
    from ..config import load_config

    cfg = config if hasattr(config, "simulation") else load_config(config)
    changes: dict = {}
    if lattice is not None:
        try:
            changes["lattice"] = lattice_type(lattice).name
        except ValueError as exc:
            raise UserError(f"lattice: {exc}") from None
    if L is not None:
        if not 4 <= L <= 512:
            raise UserError(f"L = {L}: must be in [4, 512] (cells per side)")
        changes["L"] = L
    if seed is not None:
        if seed < 0:
            raise UserError(f"seed = {seed}: must be a non-negative integer")
        changes["seed"] = seed
    if changes:   # validated with the ranges of the config file
        from ..config.loader import with_values
        cfg = with_values(cfg, "simulation", changes, {k: f"--{k} {v}" for k, v in changes.items()})
    return cfg


def site_threshold(lattice: str, p_c: float | None = None) -> tuple[float | None, str | None]:
    """Return the site threshold and its source.

    Parameters
    ----------
    lattice : str
        A registered lattice name.
    p_c : float, optional
        A threshold given by the user (wins).

    Returns
    -------
    (float or None, str or None)
        ``p_c`` if given, else the registry's literature value, else ``(None, None)``.
    """
    if p_c is not None:
        if not 0.0 < p_c < 1.0:
            raise UserError(f"p_c = {p_c:g}: must be in (0, 1) (a site threshold is a probability)")
        return float(p_c), "given"
    lit = lattice_type(lattice).site_threshold
    return (lit.p_c, lit.source) if lit is not None else (None, None)


def config_glass(cfg: RunConfig) -> StaticGlass:
    """Draw the static glass of a config: its material, lattice, seed and disorder settings.

    Parameters
    ----------
    cfg : RunConfig
        The config.

    Returns
    -------
    StaticGlass
        The glass.
    """
    sim = cfg.simulation
    return static_glass(cfg.material, make_lattice(sim.lattice, sim.L), sim.seed,
                        heterogeneity=sim.heterogeneity, chi_law=cfg.theory.chi_law,
                        disorder_mode=sim.disorder, T_ref_K=sim.energy_reference_T_K,
                        chi_radius=sim.chi_radius, hierarchy_beta_time=sim.hierarchy_beta_time)
