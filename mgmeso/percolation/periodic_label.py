"""Periodic cluster labelling on top of ``scipy.ndimage.label``, with exact wrapping detection.

The lattice is embedded in a regular grid on which its nearest-neighbour bonds are one
``3^dim`` connectivity structure (:func:`grid_embedding`):

* sc, square, triangular (one site per cell): the grid is the site index layout itself
  (``i`` row-major in the cell coordinates); the structure holds the cell shifts of the
  neighbours (triangular: the two diagonal shifts (1, -1), (-1, 1) as well);
* bcc, fcc (cubic cell with a basis): a grid of ``2 L`` points per axis, site ``(cell, b)``
  at ``2 cell + 2 basis[b]``; the other grid points stay empty, and the structure (bcc:
  the 8 corners; fcc: the 12 edge midpoints) links exactly the neighbours.

``scipy.ndimage.label`` labels the open clusters (open boundaries). The bonds that cross
the box faces are then read off the face layers (a surface, not a volume), and the open
clusters they join are merged with ``scipy.sparse.csgraph.connected_components``. A
merged cluster wraps along axis a when some closed loop through it has a non-zero box
winding along a: every open cluster gets a box image (potential) from a spanning tree of
the face-bond graph (``csgraph.breadth_first_order``, potentials summed by pointer
jumping), and a bond whose two ends disagree with its image shift closes such a loop.
The loops of the tree's non-tree edges generate all loops, so this is exact.

Labels are numbered in the order of each cluster's first site (flat site index), as
:func:`mgmeso.percolation.kernels.label_periodic` numbers them; the two are pinned to each
other in the tests. A lattice whose bonds are not one such structure (a registered custom
lattice) returns None from :func:`grid_embedding`, and the caller uses the numba kernel.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from ..kmc.lattice import Lattice

__all__ = ["GridEmbedding", "grid_embedding", "label_on_grid"]


@dataclass(frozen=True)
class GridEmbedding:
    """A lattice as points of a regular grid whose bonds are one connectivity structure.

    Attributes
    ----------
    m : int
        Grid points per lattice cell along each axis (1 or 2).
    shape : tuple of int
        The grid, ``(m L,) * dim``.
    structure : bool ``(3,) * dim``
        The connectivity structure for ``scipy.ndimage.label``.
    half : int (h, dim)
        Every bond vector once (the first non-zero component positive).
    grid_index : int64 (N,) or None
        Flat grid index of every site (None: the grid is the site layout itself).
    """

    m: int
    shape: tuple[int, ...]
    structure: np.ndarray
    half: np.ndarray
    grid_index: np.ndarray | None


def _basis_grid(basis: np.ndarray) -> tuple[int, np.ndarray] | None:
    for m in (1, 2):
        pos = basis * m
        if np.allclose(pos, np.round(pos)):
            return m, np.round(pos).astype(np.int64)
    return None


@lru_cache(maxsize=8)
def _embedding(offsets_bytes: bytes, shape: tuple[int, ...], basis_bytes: bytes,
               L: int) -> GridEmbedding | None:
    offsets = np.frombuffer(offsets_bytes, dtype=np.int32).reshape(shape)
    nb, _, d1 = offsets.shape
    dim = d1 - 1
    basis = np.frombuffer(basis_bytes, dtype=np.float64).reshape(nb, dim)
    found = _basis_grid(basis)
    if found is None:
        return None
    m, pos = found
    # bond vectors on the grid, per basis site
    vecs = set()
    per_b = []
    for b in range(nb):
        vb = {tuple(int(v) for v in m * offsets[b, k, :dim] + pos[offsets[b, k, dim]] - pos[b])
              for k in range(offsets.shape[1])}
        per_b.append(vb)
        vecs |= vb
    if any(vb != vecs for vb in per_b) or any(abs(c) > 1 for v in vecs for c in v):
        return None
    # the structure must not join two sites that are not neighbours: a structure vector
    # from basis site b either lands off the lattice or on a listed neighbour
    basis_at = {tuple(int(c) for c in p): b for b, p in enumerate(pos)}
    for b in range(nb):
        for v in vecs:
            t = tuple((pos[b][a] + v[a]) % m for a in range(dim))
            if t in basis_at:
                b2 = basis_at[t]
                shift = tuple((pos[b][a] + v[a] - pos[b2][a]) // m for a in range(dim))
                if not any(tuple(int(c) for c in offsets[b, k, :dim]) == shift
                           and int(offsets[b, k, dim]) == b2 for k in range(offsets.shape[1])):
                    return None
    # every grid point of the lattice sites is a distinct point: a site index layout
    structure = np.zeros((3,) * dim, dtype=bool)
    structure[(1,) * dim] = True
    for v in vecs:
        structure[tuple(c + 1 for c in v)] = True
    half = np.array(sorted(v for v in vecs if next(c for c in v if c != 0) > 0), dtype=np.int64)
    gshape = (m * L,) * dim
    if nb == 1:
        return GridEmbedding(m, gshape, structure, half, None)
    cells = np.array(list(itertools.product(range(L), repeat=dim)), dtype=np.int64)  # row-major
    coords = (m * cells[:, None, :] + pos[None, :, :]).reshape(-1, dim)            # (N, dim)
    gidx = np.ravel_multi_index(tuple(coords.T), gshape).astype(np.int64)
    return GridEmbedding(m, gshape, structure, half, gidx)


def grid_embedding(lat: Lattice) -> GridEmbedding | None:
    """Return the grid embedding of ``lat``, or None if its bonds are not one 3^dim structure.

    Parameters
    ----------
    lat : Lattice
        The lattice (L >= 3: smaller boxes have neighbours that are periodic images of
        each other, and the numba kernel handles them).

    Returns
    -------
    GridEmbedding or None
        The embedding (cached per geometry and L).
    """
    if lat.L < 3:
        return None
    off = np.ascontiguousarray(lat.offsets, dtype=np.int32)
    basis = np.ascontiguousarray(lat.basis, dtype=np.float64)
    return _embedding(off.tobytes(), off.shape, basis.tobytes(), lat.L)


def _face_bonds(lab: np.ndarray, half: np.ndarray):
    """Bonds across the box faces between two occupied grid points.

    Returns int64 arrays ``(a, b, w)``: open labels of the two ends and the box image
    ``w`` (dim,) of b's end relative to a's (the bond goes from a in box 0 to b in box w).
    """
    dim = lab.ndim
    G = lab.shape[0]
    A, B, W = [], [], []
    for v in half:
        for ax in range(dim):
            if v[ax] == 0:
                continue
            src = lab.take(G - 1 if v[ax] > 0 else 0, axis=ax)
            tgt = lab.take(0 if v[ax] > 0 else G - 1, axis=ax)
            others = [a for a in range(dim) if a != ax]
            for k, a in enumerate(others):
                if v[a] != 0:
                    tgt = np.roll(tgt, -int(v[a]), axis=k)
            sel = (src > 0) & (tgt > 0)
            if not sel.any():
                continue
            idx = np.nonzero(sel)
            A.append(src[idx].astype(np.int64))
            B.append(tgt[idx].astype(np.int64))
            w = np.zeros((idx[0].size, dim), dtype=np.int64)
            w[:, ax] = 1 if v[ax] > 0 else -1
            for k, a in enumerate(others):
                if v[a] > 0:
                    w[:, a] = idx[k] + v[a] >= G
                elif v[a] < 0:
                    w[:, a] = -(idx[k] + v[a] < 0).astype(np.int64)
            W.append(w)
    if not A:
        return (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, dim), np.int64))
    return np.concatenate(A), np.concatenate(B), np.concatenate(W)


def _merge(a, b, w, dim):
    """Merge the open clusters joined by face bonds; return (nodes, component of each node,
    number of components, wrap bits (n_comp,) as uint8).
    """
    nodes, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
    K = nodes.size
    ia, ib = inv[: a.size], inv[a.size:]
    ncomp, comp = connected_components(
        coo_matrix((np.ones(a.size, np.int8), (ia, ib)), shape=(K, K)).tocsr(),
        directed=False)
    # spanning forest: a super-root K joined to the first node of every component
    _, first = np.unique(comp, return_index=True)
    ne = a.size
    # edge data: +(e + 1) for a -> b, -(e + 1) for b -> a, ne + 1 for the super-root's
    rows = np.concatenate([ia, ib, np.full(ncomp, K)])
    cols = np.concatenate([ib, ia, first])
    data = np.concatenate([np.arange(1, ne + 1), -np.arange(1, ne + 1), np.full(ncomp, ne + 1)])
    keep = rows != cols                          # self-loops do not enter the tree
    rows, cols, data = rows[keep], cols[keep], data[keep]
    _, pred = breadth_first_order(_no_sum_csr(rows, cols, data, K + 1), K, directed=True,
                                  return_predecessors=True)
    ww = np.vstack([w, np.zeros((1, dim), np.int64)])
    pred = pred.astype(np.int64)
    pred[K] = K
    d = np.zeros((K + 1, dim), np.int64)
    tree_edge = _edge_lookup(rows, cols, data, pred[:K], np.arange(K), K + 1)
    sign = np.sign(tree_edge)[:, None]
    d[:K] = sign * ww[np.abs(tree_edge) - 1]
    p = pred
    while np.any(p != K):                        # pointer jumping: d = image relative to root
        d = d + d[p]
        p = p[p]
    disc = d[ia] + w - d[ib]
    bits = np.zeros(ncomp, np.uint8)
    for ax in range(dim):
        hit = disc[:, ax] != 0
        if hit.any():
            bits[np.unique(comp[ia[hit]])] |= np.uint8(1 << ax)
    return nodes, comp, ncomp, bits


def _no_sum_csr(rows, cols, data, n):
    """CSR matrix of the directed edges keeping one entry per (row, col): the first."""
    key = rows * n + cols
    _, first = np.unique(key, return_index=True)
    from scipy.sparse import csr_matrix

    return csr_matrix((data[first], (rows[first], cols[first])), shape=(n, n))


def _edge_lookup(rows, cols, data, src, dst, n):
    """Return the data of the (first) edge src -> dst of each pair (the tree edges exist)."""
    key = rows * n + cols
    ukey, first = np.unique(key, return_index=True)
    pos = np.searchsorted(ukey, src * n + dst)
    return data[first][pos]


def label_on_grid(occ: np.ndarray, lat: Lattice, emb: GridEmbedding):
    """Label a flat site field through the grid embedding.

    Parameters
    ----------
    occ : bool (N,)
        Occupied sites.
    lat : Lattice
        The lattice.
    emb : GridEmbedding
        Its embedding (:func:`grid_embedding`).

    Returns
    -------
    (labels, n, wrapbits)
        int32 (N,) labels numbered by first site, the number of clusters, uint8 (n + 1,)
        bit a set when the cluster wraps along axis a.
    """
    dim = lat.dim
    if emb.grid_index is None:
        grid = occ.reshape(emb.shape)
    else:
        grid = np.zeros(int(np.prod(emb.shape)), dtype=bool)
        grid[emb.grid_index] = occ
        grid = grid.reshape(emb.shape)
    lab, n_open = ndimage.label(grid, structure=emb.structure, output=np.int32)
    flat = lab.reshape(-1) if emb.grid_index is None else lab.reshape(-1)[emb.grid_index]
    a, b, w = _face_bonds(lab, emb.half)
    rep = np.arange(n_open + 1, dtype=np.int64)        # representative open label of each
    bits_open = np.zeros(n_open + 1, np.uint8)
    if a.size:
        nodes, comp, ncomp, bits = _merge(a, b, w, dim)
        # the smallest open label of each component represents it (nodes are sorted)
        _, first = np.unique(comp, return_index=True)
        rep[nodes] = nodes[first][comp]
        bits_open[nodes[first]] = bits
    if emb.grid_index is None:
        # scipy numbers open clusters in raster order of the grid, which is the site order:
        # a component's first site is that of its smallest open label
        keep = rep == np.arange(n_open + 1)
        keep[0] = False
        newid = np.cumsum(keep, dtype=np.int32)
        fmap = newid[rep].astype(np.int32)
        fmap[0] = 0
        n = int(newid[-1]) if n_open else 0
        wrap = np.zeros(n + 1, np.uint8)
        wrap[newid[keep]] = bits_open[keep]
    else:
        # order the merged clusters by their first site in the flat (cell, basis) order
        occ_idx = np.flatnonzero(flat)
        first_site = np.full(n_open + 1, flat.size, dtype=np.int64)
        np.minimum.at(first_site, rep[flat[occ_idx]], occ_idx)
        roots = np.flatnonzero(rep == np.arange(n_open + 1))
        roots = roots[roots > 0]
        roots = roots[np.argsort(first_site[roots], kind="stable")]
        newid = np.zeros(n_open + 1, np.int32)
        newid[roots] = np.arange(1, roots.size + 1, dtype=np.int32)
        fmap = newid[rep]
        n = int(roots.size)
        wrap = np.zeros(n + 1, np.uint8)
        wrap[newid[roots]] = bits_open[roots]
    # relabel in place (flat is this function's own array): an element is read before it
    # is written, and mode="clip" keeps numpy from buffering a copy
    np.take(fmap.astype(np.int32, copy=False), flat, out=flat, mode="clip")
    return flat, n, wrap
