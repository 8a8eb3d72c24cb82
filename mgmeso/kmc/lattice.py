"""Periodic lattices: square and triangular (2D), simple cubic, bcc and fcc (3D).

A lattice is ``L`` cells per axis with a basis of ``nb`` sites per cell
(sc, square, triangular: 1; bcc: 2; fcc: 4), so ``N = nb L^dim`` sites. Site
index ``i = cell * nb + b`` with the cell index row-major in (x, y[, z]).

Neighbours are the sites at the nearest-neighbour distance. Their offsets
(cell shift, target basis site) are computed once from the geometry and kept
in a small table; kernels apply them with periodic wrapping (:func:`neighbour`),
so no N x z neighbour table is stored (fcc would need 48 bytes per site).
:meth:`Lattice.neighbour_table` builds the full table with numpy for analysis
and tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
from numba import njit

__all__ = ["Lattice", "make_lattice", "neighbour", "LATTICES"]

_S3 = np.sqrt(3.0) / 2.0

# primitive vectors of the (conventional) cell and fractional basis positions
_GEOMETRY = {
    "square": (np.eye(2), [(0.0, 0.0)]),
    "triangular": (np.array([[1.0, 0.0], [0.5, _S3]]), [(0.0, 0.0)]),
    "sc": (np.eye(3), [(0.0, 0.0, 0.0)]),
    "bcc": (np.eye(3), [(0.0, 0.0, 0.0), (0.5, 0.5, 0.5)]),
    "fcc": (np.eye(3), [(0.0, 0.0, 0.0), (0.0, 0.5, 0.5), (0.5, 0.0, 0.5), (0.5, 0.5, 0.0)]),
}
LATTICES = tuple(_GEOMETRY)


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
        return self.nb * self.L**self.dim

    @property
    def z(self) -> int:
        """Coordination number."""
        return self.offsets.shape[1]

    @property
    def shape(self) -> tuple[int, ...]:
        """Array shape of a site field: (L,)*dim, plus nb if the basis has several sites."""
        return (self.L,) * self.dim + ((self.nb,) if self.nb > 1 else ())

    def cell_coords(self) -> np.ndarray:
        """Integer cell coordinates (N, dim) and basis index (N,) of every site."""
        idx = np.arange(self.n_sites)
        b = idx % self.nb
        cell = idx // self.nb
        coords = np.empty((self.n_sites, self.dim), dtype=np.int64)
        for a in range(self.dim - 1, -1, -1):
            coords[:, a] = cell % self.L
            cell //= self.L
        return coords, b

    def positions(self) -> np.ndarray:
        """Cartesian positions (N, dim) in units of the cell edge."""
        c, b = self.cell_coords()
        frac = c + self.basis[b]
        return frac @ self.vectors

    def neighbour_table(self) -> np.ndarray:
        """Full int32 table (N, z) of neighbour indices (periodic)."""
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
    z = {len(t) for t in table}
    assert len(z) == 1, "every basis site must have the same coordination"
    return np.array(table, dtype=np.int32)


def make_lattice(name: str, L: int) -> Lattice:
    """Build a lattice by name (``square, triangular, sc, bcc, fcc``) with ``L`` cells per side."""
    if name not in _GEOMETRY:
        raise ValueError(f"unknown lattice {name!r}")
    if L < 3:
        raise ValueError("L must be at least 3 so that periodic images are distinct neighbours")
    vec, basis = _GEOMETRY[name]
    basis = np.array(basis, dtype=float)
    return Lattice(name, L, vec.shape[0], len(basis), vec, basis, _offsets(vec, basis))


@njit(cache=True)
def neighbour(site, k, L, dim, nb, offsets):
    """Index of the ``k``-th neighbour of ``site`` (periodic), from the offset table."""
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
