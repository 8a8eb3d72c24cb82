"""Numba kernels of periodic cluster labelling and wrapping detection (docs/model.md section 3).

Sites are indexed as in :mod:`mgmeso.kmc.lattice`: ``i = cell * nb + b`` with the
cell row-major in (x, y, z). 2D lattices are passed as 3D with ``Lz = 1`` and no
z shifts, so one kernel serves all five lattices.

A cluster *wraps* along axis a when it contains a closed path whose unwrapped
displacement has a non-zero component along a (it connects a site with its own
periodic image). Detection follows Machta et al. / Newman and Ziff: every
union-find node carries the displacement to its parent; two sites that are
already in one cluster close a loop, and a non-zero loop displacement is a
winding. Displacements are counted in cells along the lattice vectors; the
basis offsets cancel around any loop.

Two algorithms share these ideas:

* :func:`label_periodic` labels one site field. Pass 1 is a raster scan that
  links each occupied site to its occupied *backward* neighbours inside the box
  (no potentials are needed: an open cluster is embedded in the box). Bonds
  that cross the box boundary are kept aside. Pass 2 merges the open clusters
  through those bonds with a small union-find whose nodes are open-cluster roots
  and whose potentials are image vectors (which copy of the box). Pass 3 writes
  consecutive labels. The extra cost of periodicity is proportional to the box
  surface, not its volume.
* :func:`wrap_onsets` (Newman-Ziff) adds sites one at a time in a given order and
  records, for each axis, how many sites were occupied when the first wrapping
  cluster appeared.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["label_periodic", "wrap_onsets", "backward_offsets"]


def backward_offsets(offsets: np.ndarray) -> np.ndarray:
    """Half of the neighbour offsets: those pointing to sites earlier in raster order.

    Parameters
    ----------
    offsets : int32 (nb, z, dim + 1)
        Neighbour table of a lattice (cell shift, target basis site).

    Returns
    -------
    int32 (nb, h, 4)
        Per basis site: (sx, sy, sz, b2), padded to 3D. Basis sites can have
        different numbers of backward neighbours (bcc: 7 and 1); unused rows have
        ``b2 = -1``. Together they hold each bond of a cell exactly once.
    """
    nb, z, d1 = offsets.shape
    dim = d1 - 1
    per_basis = []
    for b in range(nb):
        rows = []
        for k in range(z):
            s = [int(v) for v in offsets[b, k, :dim]]
            b2 = int(offsets[b, k, dim])
            nz = [v for v in s if v != 0]
            earlier = (nz[0] < 0) if nz else (b2 < b)
            if earlier:
                rows.append(s + [0] * (3 - dim) + [b2])
        per_basis.append(rows)
    assert sum(len(r) for r in per_basis) == nb * z // 2
    h = max(len(r) for r in per_basis)
    out = np.zeros((nb, h, 4), dtype=np.int32)
    out[:, :, 3] = -1
    for b, rows in enumerate(per_basis):
        if rows:
            out[b, : len(rows)] = rows
    return out


@njit(cache=True, inline="always")
def _wrap(c, n):
    """Coordinate c (one step outside [0, n) at most) folded into the box, and the box image
    it came from (-1, 0 or +1).
    """
    if c < 0:
        return c + n, -1
    if c >= n:
        return c - n, 1
    return c, 0


@njit(cache=True, inline="always")
def _find(parent, i):
    """Root of i with path halving."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _find_image(par2, img, r):
    """Root of open-cluster root r in the boundary union-find, and r's image vector.

    ``par2[r] == 0`` means r is its own root (the array starts as zeros so that it
    can be allocated lazily); otherwise the parent is ``par2[r] - 1``.
    """
    ix, iy, iz = 0, 0, 0
    x = r
    while par2[x] != 0:
        ix += img[x, 0]
        iy += img[x, 1]
        iz += img[x, 2]
        x = par2[x] - 1
    root = x
    # path compression: point every node on the path at the root, with its full image
    x = r
    cx, cy, cz = ix, iy, iz
    while par2[x] != 0:
        nxt = par2[x] - 1
        ox, oy, oz = img[x, 0], img[x, 1], img[x, 2]
        if nxt != root:
            par2[x] = root + 1
            img[x, 0] = cx
            img[x, 1] = cy
            img[x, 2] = cz
        cx -= ox
        cy -= oy
        cz -= oz
        x = nxt
    return root, ix, iy, iz


@njit(cache=True, nogil=True)
def label_periodic(occ, L, Lz, nb, back, parent, par2, img, wrap2, newid, labels):
    """Label the clusters of a boolean site field on a periodic lattice.

    Parameters
    ----------
    occ : bool[N]
        Site field, ``N = nb * L * L * Lz``.
    L, Lz : int
        Cells along x and y, and along z (1 for 2D lattices).
    nb : int
        Basis sites per cell.
    back : int32 (nb, h, 4)
        Backward offsets from :func:`backward_offsets`.
    parent : int32[N]
        Work array (any content).
    par2, img, wrap2, newid : numpy.ndarray
        int32[N], int32 (N, 3), uint8[N], int32[N]: work arrays that must be all zero
        (allocate with ``numpy.zeros``; untouched
        pages are never materialised).
    labels : int32[N]
        Output: 0 for empty sites, 1..n for the clusters, numbered in order of
        their first site.

    Returns
    -------
    n : int
        Number of clusters.
    wrap : uint8[n + 1]
        Bit a set when cluster ``label`` wraps along axis a (index 0 unused).
    """
    h = back.shape[1]
    nbmax = 4 * (L * Lz + L * L) * nb * h + 4 * nb * h    # crossings happen at the 0-faces only
    bi = np.empty(nbmax, np.int32)
    bj = np.empty(nbmax, np.int32)
    bw = np.empty((nbmax, 3), np.int8)
    nbnd = 0
    # index step of each backward offset for cells away from the faces
    delta = np.empty((nb, h), np.int64)
    for b in range(nb):
        for k in range(h):
            delta[b, k] = (((back[b, k, 0] * L + back[b, k, 1]) * Lz + back[b, k, 2]) * nb
                           + back[b, k, 3] - b)
    # pass 1: open clusters by a raster scan over backward neighbours
    i = 0
    for x in range(L):
        for y in range(L):
            for z in range(Lz):
                inner = (0 < x < L - 1) and (0 < y < L - 1) and (Lz == 1 or 0 < z < Lz - 1)
                for b in range(nb):
                    if not occ[i]:
                        parent[i] = -1
                        i += 1
                        continue
                    parent[i] = i
                    ri = i
                    for k in range(h):
                        if back[b, k, 3] < 0:
                            break
                        if inner:
                            j = i + delta[b, k]
                            if not occ[j]:
                                continue
                        else:
                            tx, wx = _wrap(x + back[b, k, 0], L)
                            ty, wy = _wrap(y + back[b, k, 1], L)
                            tz, wz = _wrap(z + back[b, k, 2], Lz)
                            j = ((tx * L + ty) * Lz + tz) * nb + back[b, k, 3]
                            if not occ[j]:
                                continue
                            if wx != 0 or wy != 0 or wz != 0:
                                bi[nbnd] = i
                                bj[nbnd] = j
                                bw[nbnd, 0] = wx
                                bw[nbnd, 1] = wy
                                bw[nbnd, 2] = wz
                                nbnd += 1
                                continue
                            if j > i:
                                continue    # forward in raster order: not labelled yet
                        rj = _find(parent, j)
                        ri = _find(parent, ri)
                        if ri != rj:
                            # the smaller index stays root, so parent[i] <= i for every site
                            if ri < rj:
                                parent[rj] = ri
                            else:
                                parent[ri] = rj
                                ri = rj
                    i += 1
    # pass 2: merge open clusters across the boundary, tracking box images
    for m in range(nbnd):
        ri = _find(parent, bi[m])
        rj = _find(parent, bj[m])
        Ri, ax, ay, az = _find_image(par2, img, ri)
        Rj, bx, by, bz = _find_image(par2, img, rj)
        # the bond says: copy of rj = copy of ri + w
        dx = ax + bw[m, 0] - bx
        dy = ay + bw[m, 1] - by
        dz = az + bw[m, 2] - bz
        if Ri == Rj:
            if dx != 0:
                wrap2[Ri] |= 1
            if dy != 0:
                wrap2[Ri] |= 2
            if dz != 0:
                wrap2[Ri] |= 4
        else:
            if Rj < Ri:     # keep the smaller root (labels in order of first site)
                Ri, Rj = Rj, Ri
                dx, dy, dz = -dx, -dy, -dz
            par2[Rj] = Ri + 1
            img[Rj, 0] = dx
            img[Rj, 1] = dy
            img[Rj, 2] = dz
            wrap2[Ri] |= wrap2[Rj]
    # pass 3: consecutive labels. parent[i] < i for non-roots and lies in i's cluster,
    # so its label is already final: only roots need a lookup.
    n = 0
    for i in range(occ.size):
        p = parent[i]
        if p < 0:
            labels[i] = 0
        elif p != i:
            labels[i] = labels[p]
        else:
            R = i
            if par2[R] != 0:
                R = _find_image(par2, img, i)[0]
            if newid[R] == 0:
                n += 1
                newid[R] = n
            labels[i] = newid[R]
    wrap = np.zeros(n + 1, np.uint8)
    for m in range(nbnd):
        R = _find_image(par2, img, _find(parent, bi[m]))[0]
        wrap[newid[R]] |= wrap2[R]
    return n, wrap


@njit(cache=True, nogil=True)
def wrap_onsets(order, L, Lz, nb, offs, parent, pot):
    """Newman-Ziff sweep: occupy sites in ``order`` and record when wrapping first appears.

    Parameters
    ----------
    order : int64[N]
        Sites in the order they are occupied (a random permutation).
    L, Lz, nb : int
        As in :func:`label_periodic`.
    offs : int32 (nb, z, 4)
        All neighbour offsets, padded to 3D: (sx, sy, sz, b2).
    parent, pot : numpy.ndarray
        int32[N] and int32 (N, 3): work arrays (any content).

    Returns
    -------
    int64[3]
        For each axis, the number of occupied sites when a cluster first wrapped
        along it (N + 1 if never; always for z in 2D).
    """
    N = order.size
    z = offs.shape[1]
    for i in range(N):
        parent[i] = -1
    onset = np.full(3, N + 1, np.int64)
    for n in range(N):
        i = order[n]
        parent[i] = i
        pot[i, 0] = 0
        pot[i, 1] = 0
        pot[i, 2] = 0
        b = i % nb
        cell = i // nb
        zc = cell % Lz
        y = (cell // Lz) % L
        x = cell // (Lz * L)
        for k in range(z):
            sx, sy, sz = offs[b, k, 0], offs[b, k, 1], offs[b, k, 2]
            tx = (x + sx) % L
            ty = (y + sy) % L
            tz = (zc + sz) % Lz
            j = ((tx * L + ty) * Lz + tz) * nb + offs[b, k, 3]
            if parent[j] < 0:
                continue
            # potentials: unwrapped cell position relative to the root
            ri, px, py, pz = _find_pot(parent, pot, i)
            rj, qx, qy, qz = _find_pot(parent, pot, j)
            dx = px + sx - qx
            dy = py + sy - qy
            dz = pz + sz - qz
            if ri == rj:
                if dx != 0 and onset[0] > N:
                    onset[0] = n + 1
                if dy != 0 and onset[1] > N:
                    onset[1] = n + 1
                if dz != 0 and onset[2] > N:
                    onset[2] = n + 1
            else:
                # pos(j) = pos(i) + s, so rj sits at p + s - q relative to ri
                parent[rj] = ri
                pot[rj, 0] = dx
                pot[rj, 1] = dy
                pot[rj, 2] = dz
    return onset


@njit(cache=True)
def _find_pot(parent, pot, i):
    """Root of i and i's unwrapped cell position relative to it (path halving with potentials).

    ``pot[x]`` is the position of x minus that of its parent, so halving a path
    (pointing x at its grandparent) adds the parent's potential to x's.
    """
    x = i
    while parent[x] != x:
        p = parent[x]
        g = parent[p]
        if g != p:
            pot[x, 0] += pot[p, 0]
            pot[x, 1] += pot[p, 1]
            pot[x, 2] += pot[p, 2]
            parent[x] = g
        x = parent[x]
    root = x
    px, py, pz = 0, 0, 0
    x = i
    while x != root:
        px += pot[x, 0]
        py += pot[x, 1]
        pz += pot[x, 2]
        x = parent[x]
    return root, px, py, pz
