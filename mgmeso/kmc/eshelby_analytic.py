"""Analytical Eshelby results the lattice propagator is tested against (docs/kmc_elastic.md 2.1, 4).

The far field of a one-site point inclusion (quadrupolar, 1/r^d) and the uniform interior
stress of a spherical or circular inclusion ([Eshelby1957]), in the engine's measure
``sigma_eq = 2 sigma_xy`` per unit tensor eigenstrain.
"""

from __future__ import annotations

import numpy as np

from .eshelby_spectrum import site_volume_cells
from .lattice import Lattice

__all__ = ["eshelby_interior", "far_field"]


def far_field(lat: Lattice, mu: float, nu: float, r: np.ndarray) -> np.ndarray:
    """Analytical far field ``sigma_eq`` (MPa per unit strain) of a one-site point inclusion.

    ``r``: (..., dim) Cartesian separations in cell units. 2D (plane strain):
    ``2 v mu cos(4 theta) / (pi (1 - nu) r^2)``; 3D: ``2 v F(n)/r^3`` with the quadrupolar
    pattern F of docs/kmc_elastic.md (l = 2 and l = 4 harmonics of the kernel); v is the
    site volume.

    Parameters
    ----------
    lat : Lattice
        The lattice (its dimension and site volume).
    mu : float
        Shear modulus (MPa).
    nu : float
        Poisson ratio.
    r : numpy.ndarray
        (..., dim): separations (cell units), non-zero.

    Returns
    -------
    numpy.ndarray
        The field, of shape ``r.shape[:-1]``.
    """
    r = np.asarray(r, dtype=float)
    v = site_volume_cells(lat)
    rr = np.linalg.norm(r, axis=-1)
    if lat.dim == 2:
        th = np.arctan2(r[..., 1], r[..., 0])
        return 2.0 * v * mu * np.cos(4.0 * th) / (np.pi * (1.0 - nu) * rr**2)
    x, y, z = (r[..., a] / rr for a in range(3))
    F = -mu * (7 * nu * (x**2 + y**2) - 14 * nu * z**2 + 12 * x**4 - 81 * x**2 * y**2
               + 9 * x**2 * z**2 - 5 * x**2 + 12 * y**4 + 9 * y**2 * z**2 - 5 * y**2
               - 3 * z**4 + 10 * z**2) / (14.0 * np.pi * (nu - 1.0))
    return 2.0 * v * F / rr**3


def eshelby_interior(dim: int, mu: float, nu: float) -> float:
    """Uniform interior ``sigma_eq`` per unit eigenstrain of a sphere (3D) or a circle (2D).

    [Eshelby1957]: 3D ``2 x (-2 mu (7 - 5 nu)/(15 (1 - nu)))``; plane strain
    ``2 x (-mu/(2 (1 - nu)))``. The factor 2 converts sigma_xy to sigma_eq.

    Parameters
    ----------
    dim : int
        2 or 3.
    mu : float
        Shear modulus (MPa).
    nu : float
        Poisson ratio.

    Returns
    -------
    float
        The interior stress per unit eigenstrain (MPa).
    """
    if dim == 3:
        return -4.0 * mu * (7.0 - 5.0 * nu) / (15.0 * (1.0 - nu))
    return -mu / (1.0 - nu)
