"""Cluster labelling of site fields on the periodic lattices, with wrapping detection.

>>> from mgmeso.kmc.lattice import make_lattice
>>> lat = make_lattice("sc", 32)
>>> field = np.random.default_rng(0).random(lat.n_sites) < 0.35
>>> cl = label_clusters(field, lat)
>>> cl.n, cl.largest_fraction, cl.wraps_any
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..kmc.lattice import Lattice
from .kernels import backward_offsets, label_periodic
from .periodic_label import grid_embedding, label_on_grid

__all__ = ["Clusters", "label_clusters", "label_clusters_numba", "padded_offsets", "grid_shape"]


@dataclass(frozen=True)
class Clusters:
    """Clusters of a site field.

    Attributes
    ----------
    labels : int32[N]
        0 for empty sites, 1..n for the clusters (numbered by their first site).
    n : int
        Number of clusters.
    wraps : bool (n + 1, dim)
        ``wraps[c, a]``: cluster c wraps the periodic lattice along lattice vector a.
        Row 0 (empty sites) is False.
    n_sites : int
        Sites of the lattice.
    """

    labels: np.ndarray
    n: int
    wraps: np.ndarray
    n_sites: int

    @cached_property
    def sizes(self) -> np.ndarray:
        """int64 (n + 1,): sites per cluster (index 0: empty sites)."""
        return np.bincount(self.labels, minlength=self.n + 1)

    @property
    def occupied_fraction(self) -> float:
        """Fraction of the sites that are occupied."""
        return 1.0 - self.sizes[0] / self.n_sites

    @property
    def largest(self) -> int:
        """Label of the largest cluster (0 if there is none)."""
        return int(np.argmax(self.sizes[1:]) + 1) if self.n else 0

    @property
    def largest_fraction(self) -> float:
        """Sites of the largest cluster over all sites of the lattice."""
        return float(self.sizes[self.largest] / self.n_sites) if self.n else 0.0

    @property
    def wrapping_labels(self) -> np.ndarray:
        """Labels of the clusters that wrap along at least one axis."""
        return np.flatnonzero(self.wraps.any(axis=1))

    @property
    def wraps_any(self) -> bool:
        """True if some cluster wraps along some axis."""
        return bool(self.wraps.any())

    def wraps_axis(self) -> np.ndarray:
        """Report, per axis, whether some cluster wraps along it.

        Returns
        -------
        numpy.ndarray
            bool (dim,).
        """
        return np.asarray(self.wraps.any(axis=0))


def padded_offsets(lat: Lattice) -> np.ndarray:
    """All neighbour offsets of ``lat`` as int32 (nb, z, 4): (sx, sy, sz, b2).

    Parameters
    ----------
    lat : Lattice
        The lattice.

    Returns
    -------
    numpy.ndarray
        int32 (nb, z, 4); the z shift is 0 in 2D.
    """
    out = np.zeros((lat.nb, lat.z, 4), dtype=np.int32)
    out[:, :, : lat.dim] = lat.offsets[:, :, : lat.dim]
    out[:, :, 3] = lat.offsets[:, :, lat.dim]
    return out


def grid_shape(lat: Lattice) -> tuple[int, int]:
    """(L, Lz): cells along x, y and along z (1 in 2D) as the kernels see them.

    Parameters
    ----------
    lat : Lattice
        The lattice.

    Returns
    -------
    (int, int)
        ``(L, Lz)``.
    """
    return lat.L, (lat.L if lat.dim == 3 else 1)


_BACK: dict[bytes, np.ndarray] = {}


def label_clusters(field: np.ndarray, lat: Lattice) -> Clusters:
    """Label the clusters of a boolean site field, with periodic boundaries.

    The registered lattices are labelled by ``scipy.ndimage.label`` on their grid
    embedding, merged across the periodic faces (:mod:`.periodic_label`); a lattice
    whose bonds are not one 3^dim structure, or a box of L < 3, by the numba kernel
    :func:`.kernels.label_periodic`. Both give the same labels and wrapping.

    Parameters
    ----------
    field : bool array of N sites (flat, or shaped like ``lat.shape``)
    lat : Lattice

    Returns
    -------
    Clusters
    """
    occ = np.ascontiguousarray(np.asarray(field, dtype=bool).reshape(-1))
    if occ.size != lat.n_sites:
        raise ValueError(f"field has {occ.size} sites, the {lat.name} lattice with L = {lat.L} "
                         f"has {lat.n_sites}")
    emb = grid_embedding(lat)
    if emb is None:
        labels, n, wrapbits = label_clusters_numba(occ, lat)
    else:
        labels, n, wrapbits = label_on_grid(occ, lat, emb)
    wraps = np.stack([(wrapbits >> a) & 1 for a in range(lat.dim)], axis=1).astype(bool)
    return Clusters(labels=labels, n=int(n), wraps=wraps, n_sites=occ.size)


def label_clusters_numba(occ: np.ndarray, lat: Lattice) -> tuple[np.ndarray, int, np.ndarray]:
    """Labels, cluster count and wrap bits of a flat bool site field by the numba kernel.

    Parameters
    ----------
    occ : bool (N,)
        Occupied sites, contiguous.
    lat : Lattice
        The lattice (any registered geometry).

    Returns
    -------
    (labels, n, wrapbits)
        int32 (N,), int, uint8 (n + 1,) with bit a set when the cluster wraps along axis a.
    """
    key = lat.offsets.tobytes() + bytes(lat.offsets.shape)      # the geometry, not the name
    if key not in _BACK:
        _BACK[key] = backward_offsets(lat.offsets)
    N = occ.size
    L, Lz = grid_shape(lat)
    parent = np.empty(N, np.int32)
    labels = np.empty(N, np.int32)
    # zero-filled work arrays: numpy's calloc leaves untouched pages unmaterialised
    par2 = np.zeros(N, np.int32)
    img = np.zeros((N, 3), np.int32)
    wrap2 = np.zeros(N, np.uint8)
    newid = np.zeros(N, np.int32)
    n, wrapbits = label_periodic(occ, L, Lz, lat.nb, _BACK[key], parent, par2, img, wrap2,
                                 newid, labels)
    return labels, int(n), wrapbits
