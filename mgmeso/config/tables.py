"""The ``[theory]``, ``[simulation]`` and ``[output]`` tables."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import param

__all__ = ["TheoryOptions", "Simulation", "Output"]


@dataclass(frozen=True, kw_only=True)
class TheoryOptions:
    """Numerical and modelling options of the analytical model."""

    gumbel_points: int = param(
        241, doc="nodes of the discrete Gumbel distribution of beta times (seed 004 Eq. 24)",
        lo=1, hi=20001, why="1 node is a single Debye time; more than 20001 gains nothing")
    chi_law: str = param(
        "linear", doc="chi(T) above Tg: 'linear' (seed 004 Eq. 22b) or 'defects' "
        "(chi = kappa C_d(T), seed 004 Eqs. 1, 10)", choices=("linear", "defects"))
    nonlinear: str = param(
        "auto", doc="use tau_beta(sigma) and chi(eps_an) (seed 004 Eqs. 9, 22c): 'auto' turns them "
        "on for tension only", choices=("auto", "on", "off"))
    strain_term: bool = param(True, doc="include the a2 * eps_an term of chi in nonlinear runs")
    reordering_term: bool = param(False, doc="include the -b_vp * eps_vp reordering term of chi "
                                  "(seed 001 Eq. 21) in nonlinear runs")
    kww_modes_per_decade: int = param(
        6, doc="Debye modes per decade representing the stretched exponential in the hereditary "
        "(nonlinear) integrator", lo=2, hi=40, why="2-40 modes per decade")
    relaxation_points_per_decade: int = param(
        40, doc="time nodes per decade of the Volterra solver for stress relaxation",
        lo=5, hi=400, why="5-400 nodes per decade")


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """Lattice and kinetic Monte Carlo settings (used by ``mgmeso run``)."""

    lattice: str = param("sc", doc="lattice type",
                         choices=("square", "triangular", "sc", "bcc", "fcc"))
    L: int = param(32, doc="lattice side (sites per axis)", lo=2, hi=4096,
                   why="at least 2 sites per axis")
    seed: int = param(20261121, doc="master seed of numpy SeedSequence", lo=0, hi=2**63 - 1,
                      why="a non-negative 64-bit integer")
    replicas: int = param(1, doc="independent replicas (spawned seeds)", lo=1, hi=100000,
                          why="at least one replica")


@dataclass(frozen=True, kw_only=True)
class Output:
    """Where results go."""

    dir: str | None = param(None, doc="output directory (default: out/<config name>)")
    plot: bool = param(False, doc="also draw PNG figures (same as --plot)")
