"""Periodic lattices: one registry entry per lattice type.

A lattice is ``L`` cells per axis with a basis of ``nb`` sites per cell
(sc, square, triangular: 1; bcc: 2; fcc: 4), so ``N = nb L^dim`` sites. Site
index ``i = cell * nb + b`` with the cell index row-major in (x, y[, z]).

Neighbours are the sites at the nearest-neighbour distance. Their offsets
(cell shift, target basis site) are computed once from the geometry and kept
in a small table; kernels apply them with periodic wrapping (:func:`neighbour`),
so no N x z neighbour table is stored (fcc would need 48 bytes per site).
:meth:`Lattice.neighbour_table` builds the full table with numpy for analysis
and tests.

Every lattice type is one :class:`LatticeType` entry in :data:`LATTICE_TYPES`
(name, cell vectors, basis, coordination number, published site-percolation
threshold with its source or ``None``). The config key ``[simulation] lattice``,
the percolation commands and the kMC read the names from there, so adding a
lattice is adding one entry (docs/percolation.md, "Adding a lattice").
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numba import njit

__all__ = ["Lattice", "LatticeType", "SiteThreshold", "LATTICE_TYPES", "LATTICES", "lattice_type",
           "lattice_names", "register_lattice", "make_lattice", "neighbour"]


@dataclass(frozen=True)
class SiteThreshold:
    """A published site-percolation threshold: value, its standard error (0: exact), source."""

    p_c: float
    error: float
    source: str


@dataclass(frozen=True)
class LatticeType:
    """One lattice type of the registry.

    Parameters
    ----------
    name : str
        Registry key, the value of ``[simulation] lattice`` and ``--lattice``.
    vectors : tuple of tuples, shape (dim, dim)
        Primitive cell vectors (rows), in units of the cell edge; dim is 2 or 3.
    basis : tuple of tuples, shape (nb, dim)
        Fractional positions of the basis sites in the cell.
    z : int
        Coordination number: the geometry must give every basis site exactly
        ``z`` neighbours at the nearest-neighbour distance (checked on
        registration, so a typo in ``basis`` cannot pass silently).
    site_threshold : SiteThreshold or None
        Published site-percolation threshold, its source starting with the
        author-year key of docs/references.md; ``None`` if there is none to cite
        (``mgmeso percolation threshold`` estimates one).
    """

    name: str
    vectors: tuple[tuple[float, ...], ...]
    basis: tuple[tuple[float, ...], ...]
    z: int
    site_threshold: SiteThreshold | None = None

    @property
    def dim(self) -> int:
        """Dimension of the lattice (2 or 3)."""
        return len(self.vectors)

    @property
    def nb(self) -> int:
        """Number of basis sites per cell."""
        return len(self.basis)

    @cached_property
    def offsets(self) -> np.ndarray:
        """int32 (nb, z, dim + 1): cell shift and target basis site of every neighbour."""
        return _offsets(np.array(self.vectors, dtype=float), np.array(self.basis, dtype=float))


def _offsets(vectors: np.ndarray, basis: np.ndarray) -> np.ndarray:
    dim = vectors.shape[0]
    nb = len(basis)
    cands = []
    for b in range(nb):
        rows = []
        for shift in itertools.product((-1, 0, 1), repeat=dim):
            for b2 in range(nb):
                d = (np.array(shift) + basis[b2] - basis[b]) @ vectors
                r = float(np.linalg.norm(d))
                if r > 1e-9:
                    rows.append((r, shift, b2))
        cands.append(rows)
    rmin = min(r for rows in cands for r, _, _ in rows)
    table = []
    for rows in cands:
        nn = [list(s) + [b2] for r, s, b2 in rows if abs(r - rmin) < 1e-9]
        table.append(nn)
    if len({len(t) for t in table}) != 1:
        raise ValueError("every basis site must have the same number of nearest neighbours")
    return np.array(table, dtype=np.int32)


_S3 = float(np.sqrt(3.0) / 2.0)
_LORENZ_ZIFF = "[Lorenz1998] Lorenz and Ziff, J. Phys. A 31, 8147 (1998)"

#: the lattice registry, name -> entry (add one with :func:`register_lattice`)
LATTICE_TYPES: dict[str, LatticeType] = {}


def register_lattice(entry: LatticeType) -> LatticeType:
    """Add a lattice type to :data:`LATTICE_TYPES` after checking its geometry.

    Raises
    ------
    ValueError
        If the name is taken, the dimension is not 2 or 3, the basis does not
        match it, or the nearest-neighbour count differs from ``entry.z``.

    Parameters
    ----------
    entry : LatticeType
        The new lattice type.

    Returns
    -------
    LatticeType
        ``entry`` itself.
    """
    if entry.name in LATTICE_TYPES:
        raise ValueError(f"lattice {entry.name!r} is already registered")
    if entry.dim not in (2, 3) or any(len(v) != entry.dim for v in entry.vectors + entry.basis):
        raise ValueError(f"lattice {entry.name!r}: vectors and basis must be 2D or 3D alike")
    z = entry.offsets.shape[1]
    if z != entry.z:
        raise ValueError(f"lattice {entry.name!r}: the geometry gives {z} nearest neighbours, "
                         f"the entry says z = {entry.z}")
    LATTICE_TYPES[entry.name] = entry
    return entry


for _entry in (
    LatticeType("square", ((1.0, 0.0), (0.0, 1.0)), ((0.0, 0.0),), 4,
                SiteThreshold(0.59274621, 1.3e-7,
                              "[Newman2000] Newman and Ziff, Phys. Rev. Lett. 85, 4104 (2000)")),
    LatticeType("triangular", ((1.0, 0.0), (0.5, _S3)), ((0.0, 0.0),), 6,
                SiteThreshold(0.5, 0.0, "exact; [Sykes1964] Sykes and Essam, J. Math. Phys. 5, 1117 (1964)")),
    LatticeType("sc", ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), ((0.0, 0.0, 0.0),), 6,
                SiteThreshold(0.3116077, 2e-7, "[Wang2013] Wang, Zhou, Zhang, Garoni and Deng, "
                              "Phys. Rev. E 87, 052107 (2013)")),
    LatticeType("bcc", ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
                ((0.0, 0.0, 0.0), (0.5, 0.5, 0.5)), 8, SiteThreshold(0.2459615, 1e-6, _LORENZ_ZIFF)),
    LatticeType("fcc", ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
                ((0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0)), 12,
                SiteThreshold(0.1992365, 1e-6, _LORENZ_ZIFF)),
):
    register_lattice(_entry)

#: names of the lattices shipped with mgmeso (:func:`lattice_names` also lists registered ones)
LATTICES = tuple(LATTICE_TYPES)


def lattice_names() -> tuple[str, ...]:
    """Names of all registered lattice types, in registration order.

    Returns
    -------
    tuple of str
        The names.
    """
    return tuple(LATTICE_TYPES)


def lattice_type(name: str) -> LatticeType:
    """Return the registry entry of ``name``.

    Parameters
    ----------
    name : str
        A registered lattice name.

    Returns
    -------
    LatticeType
        Its geometry, coordination number and site-percolation threshold.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the registered names and the
        nearest one.

    Examples
    --------
    >>> t = lattice_type("fcc")
    >>> t.dim, t.nb, t.z, t.site_threshold.p_c
    (3, 4, 12, 0.1992365)
    """
    try:
        return LATTICE_TYPES[name]
    except KeyError:
        near = difflib.get_close_matches(str(name), list(LATTICE_TYPES), n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise ValueError(f"unknown lattice {name!r}: must be one of "
                         f"{', '.join(LATTICE_TYPES)}{hint}") from None


@dataclass(frozen=True)
class Lattice:
    """Geometry of a periodic lattice."""

    name: str
    L: int
    dim: int
    nb: int
    vectors: np.ndarray = field(repr=False)      # (dim, dim) primitive cell vectors (rows)
    basis: np.ndarray = field(repr=False)        # (nb, dim) fractional positions
    offsets: np.ndarray = field(repr=False)      # int32 (nb, z, dim + 1): cell shift, target b

    @property
    def n_sites(self) -> int:
        """Number of sites ``nb L^dim``."""
        return self.nb * self.L**self.dim

    @property
    def z(self) -> int:
        """Coordination number."""
        return self.offsets.shape[1]

    @property
    def shape(self) -> tuple[int, ...]:
        """Array shape of a site field: (L,)*dim, plus nb if the basis has several sites."""
        return (self.L,) * self.dim + ((self.nb,) if self.nb > 1 else ())

    def cell_coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Integer cell coordinates (N, dim) and basis index (N,) of every site.

        Returns
        -------
        coords : numpy.ndarray
            int64 (N, dim).
        basis : numpy.ndarray
            int (N,).
        """
        idx = np.arange(self.n_sites)
        b = idx % self.nb
        cell = idx // self.nb
        coords = np.empty((self.n_sites, self.dim), dtype=np.int64)
        for a in range(self.dim - 1, -1, -1):
            coords[:, a] = cell % self.L
            cell //= self.L
        return coords, b

    def positions(self) -> np.ndarray:
        """Cartesian positions (N, dim) in units of the cell edge.

        Returns
        -------
        numpy.ndarray
            float64 (N, dim).
        """
        c, b = self.cell_coords()
        frac = c + self.basis[b]
        return frac @ self.vectors

    def neighbour_table(self) -> np.ndarray:
        """Full int32 table (N, z) of neighbour indices (periodic).

        Returns
        -------
        numpy.ndarray
            int32 (N, z).
        """
        c, b = self.cell_coords()
        out = np.empty((self.n_sites, self.z), dtype=np.int32)
        for k in range(self.z):
            off = self.offsets[b, k]            # (N, dim + 1)
            cc = (c + off[:, : self.dim]) % self.L
            cell = np.zeros(self.n_sites, dtype=np.int64)
            for a in range(self.dim):
                cell = cell * self.L + cc[:, a]
            out[:, k] = cell * self.nb + off[:, self.dim]
        return out


def make_lattice(name: str, L: int) -> Lattice:
    """Build a registered lattice (``square, triangular, sc, bcc, fcc``, ...).

    Parameters
    ----------
    name : str
        A registered lattice name.
    L : int
        Cells per side, at least 3.

    Returns
    -------
    Lattice
        The periodic lattice with its neighbour offset table.

    Raises
    ------
    ValueError
        For an unknown name or ``L < 3``.

    Examples
    --------
    >>> lat = make_lattice("square", 4)
    >>> lat.n_sites, lat.z, lat.neighbour_table().shape
    (16, 4, (16, 4))
    """
    t = lattice_type(name)
    if L < 3:
        raise ValueError("L must be at least 3 so that periodic images are distinct neighbours")
    return Lattice(name, L, t.dim, t.nb, np.array(t.vectors, dtype=float),
                   np.array(t.basis, dtype=float), t.offsets.copy())


@njit(cache=True)
def neighbour(site, k, L, dim, nb, offsets):
    """Index of the ``k``-th neighbour of ``site`` (periodic), from the offset table.

    Parameters
    ----------
    site : int
        Site index.
    k : int
        Neighbour number, ``0 <= k < z``.
    L, dim, nb : int
        Cells per edge, dimension and sites per cell.
    offsets : numpy.ndarray
        int (nb, z, dim + 1): cell shift and target basis site of each neighbour.

    Returns
    -------
    int
        The neighbour's site index.
    """
    b = site % nb
    cell = site // nb
    if dim == 3:
        z = cell % L
        y = (cell // L) % L
        x = cell // (L * L)
        x = (x + offsets[b, k, 0]) % L
        y = (y + offsets[b, k, 1]) % L
        z = (z + offsets[b, k, 2]) % L
        return ((x * L + y) * L + z) * nb + offsets[b, k, 3]
    y = cell % L
    x = cell // L
    x = (x + offsets[b, k, 0]) % L
    y = (y + offsets[b, k, 1]) % L
    return (x * L + y) * nb + offsets[b, k, 2]
