"""Localisation of plastic strain on a periodic lattice (docs/kmc_localisation.md).

Three measures of a per-site field ``f`` (the snapshot field ``plastic_strain``), on every
lattice of the registry (square, triangular, sc, bcc, fcc, ...):

* :func:`correlation`: the normalised spatial autocovariance ``C(d) = <df(r) df(r + d)> /
  <df^2>`` (``df = f - <f>``) by FFT over the cells, one cross-correlation per pair of basis
  sites, at Cartesian displacements ``d``; its radial average, and its quadrupolar part in
  the shear plane of the loading (x-y, the plane of the eigenstrain ``eps*_xy`` of
  docs/kmc_elastic.md section 1.1): the ``cos(4 theta)`` amplitude per shell and the
  projection ``q4``;
* :func:`plane_share`: the share of the plastic strain in the most-sheared 10 % of the lattice
  planes normal to each shear axis (x and y), the larger of the two; 0.1 for a homogeneous
  field, 1 for a band of one plane;
* :func:`ipr`: the inverse participation ratio ``sum p_i^2``, ``p_i = |f_i| / sum |f|``;
  1/N for a uniform field, 1 for a single site.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numba import njit

from ..kmc.lattice import Lattice, make_lattice

__all__ = ["Correlation", "correlation", "shells", "quadrupolar_projection", "plane_index",
           "plane_share", "ipr", "null_plane_share", "TOP_FRACTION"]

#: the share of planes whose plastic strain the localisation index counts
TOP_FRACTION = 0.1


@lru_cache(maxsize=16)
def _geometry(name: str, L: int):
    """Displacements of every (pair, cell offset) entry of the cross-correlations."""
    lat = make_lattice(name, L)
    dim, nb = lat.dim, lat.nb
    r = np.fft.fftfreq(L, 1.0 / L)             # 0, 1, ..., -1: the minimum-image offsets
    grids = np.meshgrid(*([r] * dim), indexing="ij")
    R = np.stack([g.reshape(-1) for g in grids], axis=1)       # (L^dim, dim) cell offsets
    disp = np.empty((nb, nb, R.shape[0], dim))
    for b in range(nb):
        for bp in range(nb):
            disp[b, bp] = (R + lat.basis[bp] - lat.basis[b]) @ lat.vectors
    return disp


def _as_lattice(lattice) -> Lattice:
    return lattice if isinstance(lattice, Lattice) else make_lattice(*lattice)


@dataclass(frozen=True)
class Correlation:
    """The autocorrelation of one field (or the mean over several).

    Attributes
    ----------
    r, c_radial, counts : numpy.ndarray
        Shell radii (cell units, shells of equal distance up to L/2), the mean of C over each
        shell and its number of displacements. ``c_radial[0]`` is C(0) = 1.
    r_plane, a0, a4 : numpy.ndarray
        In-plane (x-y) annuli of unit width (centres: the integers) and the least-squares fit
        ``C = a0 + a4 cos(4 theta)`` on each (theta from the x axis; a4 NaN where an annulus
        has a single angle class; the origin is its own annulus, r = 0).
    q4 : float
        :func:`quadrupolar_projection` of C over the in-plane displacements with
        ``0 < |d| <= r_max`` (default L/2): +1 for a pure ``+cos(4 theta)/r^dim`` pattern (the sign of the
        Eshelby field along the shear axes), 0 for an isotropic one.
    """

    r: np.ndarray
    c_radial: np.ndarray
    counts: np.ndarray
    r_plane: np.ndarray
    a0: np.ndarray
    a4: np.ndarray
    q4: float
    disp: np.ndarray = field(repr=False)       # (M, dim) displacements
    values: np.ndarray = field(repr=False)     # (M,) C at them


def _raw_correlation(f: np.ndarray, lat: Lattice) -> np.ndarray:
    """(nb, nb, L^dim) cross-covariances, normalised by the variance."""
    shape = (lat.L,) * lat.dim
    x = np.asarray(f, dtype=float).reshape(shape + (lat.nb,))
    x = x - x.mean()
    var = float(np.mean(x * x))
    F = [np.fft.fftn(x[..., b]) for b in range(lat.nb)]
    n_cells = lat.L ** lat.dim
    out = np.empty((lat.nb, lat.nb, n_cells))
    for b in range(lat.nb):
        for bp in range(lat.nb):
            # C_bb'(R) = (1/n) sum_r x_b(r) x_b'(r + R)
            c = np.fft.ifftn(np.conj(F[b]) * F[bp]).real / n_cells
            out[b, bp] = c.reshape(-1) / (var if var > 0 else np.nan)
    return out


def quadrupolar_projection(disp: np.ndarray, values: np.ndarray, r_max: float) -> float:
    """Projection of ``values`` on ``cos(4 theta)`` over the in-plane displacements.

    Parameters
    ----------
    disp : numpy.ndarray
        (M, dim) Cartesian displacements (cell units).
    values : numpy.ndarray
        (M,) the field at them.
    r_max : float
        Largest distance counted (cell units).

    Returns
    -------
    float
        ``sum w cos4theta / sqrt(sum w^2 sum cos^2 4theta)`` with ``w = v |d|^dim`` (the
        Eshelby decay divided out, so that every shell counts alike) over ``0 < |d| <= r_max``
        with ``d_z = 0`` (in 3D); in [-1, 1]: +1 for the 2D Eshelby far field
        ``cos(4 theta)/r^2``, 0 for an isotropic field.
    """
    d = np.asarray(disp, dtype=float)
    rr = np.hypot(d[:, 0], d[:, 1])
    v = np.asarray(values, dtype=float) * rr ** d.shape[1]
    sel = (rr > 1e-9) & (rr <= r_max + 1e-9)
    if d.shape[1] == 3:
        sel &= np.abs(d[:, 2]) < 1e-9
    c4 = np.cos(4.0 * np.arctan2(d[sel, 1], d[sel, 0]))
    den = np.sqrt(np.sum(v[sel] ** 2) * np.sum(c4 ** 2))
    return float(np.sum(v[sel] * c4) / den) if den > 0 else float("nan")


def correlation(fields, lattice, r_max: float | None = None) -> Correlation:
    """Spatial autocorrelation of one field or the mean over several, with its anisotropy.

    Parameters
    ----------
    fields : array_like
        (N,) one site field, or (n, N) several (e.g. replicas); each is normalised by its own
        variance before the mean is taken.
    lattice : Lattice or (name, L)
        The lattice the fields live on (site order of :class:`mgmeso.kmc.lattice.Lattice`).
    r_max : float, optional
        Largest in-plane distance of ``q4`` (cell units; default L/2).

    Returns
    -------
    Correlation
        Radial average, in-plane harmonics and ``q4``.
    """
    lat = _as_lattice(lattice)
    f = np.atleast_2d(np.asarray(fields, dtype=float))
    if f.shape[1] != lat.n_sites:
        raise ValueError(f"fields have {f.shape[1]} sites; the {lat.name} lattice with "
                         f"L = {lat.L} has {lat.n_sites}")
    raw = np.nanmean([_raw_correlation(x, lat) for x in f], axis=0)
    return shells(raw, lat, r_max)


def shells(raw: np.ndarray, lattice, r_max: float | None = None) -> Correlation:
    """Radial and in-plane harmonic averages of a correlation given on (pair, cell offset).

    Parameters
    ----------
    raw : numpy.ndarray
        (nb, nb, L^dim): ``C_bb'(R)`` at the cell offsets of ``numpy.fft`` order (row-major
        over the axes), e.g. the inverse FFT of an expected spectrum.
    lattice : Lattice or (name, L)
        The lattice.
    r_max : float, optional
        Largest in-plane distance of ``q4`` (default L/2).

    Returns
    -------
    Correlation
        As :func:`correlation`.
    """
    lat = _as_lattice(lattice)
    disp = _geometry(lat.name, lat.L).reshape(-1, lat.dim)
    vals = raw.reshape(-1)
    dist = np.linalg.norm(disp, axis=1)
    keep = dist <= lat.L / 2 + 1e-9
    disp, vals, dist = disp[keep], vals[keep], dist[keep]
    key = np.round(dist, 6)
    r, inv, counts = np.unique(key, return_inverse=True, return_counts=True)
    c_rad = np.bincount(inv, weights=vals) / counts
    # in-plane shells: C = a0 + a4 cos(4 theta) by least squares
    plane = np.ones(dist.size, bool) if lat.dim == 2 else np.abs(disp[:, 2]) < 1e-9
    # annuli of unit width (most exact shells of a lattice hold a single angle class)
    ring = np.rint(dist[plane]).astype(np.int64)
    rp, invp = np.unique(ring, return_inverse=True)
    rp = rp.astype(float)
    th = np.arctan2(disp[plane, 1], disp[plane, 0])
    c4, vp = np.cos(4 * th), vals[plane]
    a0 = np.full(rp.size, np.nan)
    a4 = np.full(rp.size, np.nan)
    for k in range(rp.size):
        m = invp == k
        if np.ptp(c4[m]) > 1e-6:
            A = np.stack([np.ones(m.sum()), c4[m]], axis=1)
            a0[k], a4[k] = np.linalg.lstsq(A, vp[m], rcond=None)[0]
        else:
            a0[k] = vp[m].mean()
    q4 = quadrupolar_projection(disp, vals, lat.L / 2 if r_max is None else r_max)
    return Correlation(r, c_rad, counts, rp, a0, a4, q4, disp, vals)


@lru_cache(maxsize=16)
def _planes(name: str, L: int, axis: int) -> tuple[np.ndarray, int]:
    """Plane label of every site for planes of constant fractional coordinate along ``axis``."""
    lat = make_lattice(name, L)
    c, b = lat.cell_coords()
    frac = c[:, axis] + lat.basis[b, axis]
    _, lab = np.unique(np.round(frac, 6), return_inverse=True)
    return lab.astype(np.int64), int(lab.max()) + 1


def plane_index(lattice, axis: int) -> np.ndarray:
    """Plane label of every site, for the lattice planes normal to a shear axis.

    Planes are the sets of sites with the same fractional coordinate along primitive vector
    ``axis`` (0: x, 1: y). On square, sc, bcc and fcc these are the planes normal to x or y
    (L planes on square and sc, 2L on bcc and fcc); on the triangular lattice the lines of
    constant lattice index (along a2 for axis 0, along a1 = x for axis 1).

    Parameters
    ----------
    lattice : Lattice or (name, L)
        The lattice.
    axis : int
        0 or 1.

    Returns
    -------
    numpy.ndarray
        int64 (N,): plane labels 0 .. n_planes - 1.
    """
    lat = _as_lattice(lattice)
    return _planes(lat.name, lat.L, axis)[0]


def plane_share(f, lattice, top: float = TOP_FRACTION) -> float:
    """Share of the plastic strain in the most-sheared ``top`` fraction of the lattice planes.

    For each shear axis (x, y) the plane totals ``P_k = sum_{i in k} f_i`` are ranked by
    ``|P_k|``; the share is ``sum of the largest |P_k| over top * n_planes planes / sum |P_k|``
    (the last plane counted by its fraction, so a homogeneous field gives exactly ``top``).
    The index is the larger share of the two axes.

    Parameters
    ----------
    f : array_like
        (N,) site field (plastic strain).
    lattice : Lattice or (name, L)
        The lattice.
    top : float
        Fraction of the planes (default 0.1).

    Returns
    -------
    float
        In [top, 1]; NaN for a field that is zero everywhere.
    """
    lat = _as_lattice(lattice)
    x = np.asarray(f).reshape(-1)
    if x.dtype != np.float32:
        x = x.astype(float, copy=False)
    lab0, n0 = _planes(lat.name, lat.L, 0)
    lab1, n1 = _planes(lat.name, lat.L, 1)
    if x.size != lab0.size:
        raise ValueError(f"plane_share: the field has {x.size} values, the lattice "
                         f"{lab0.size} sites")
    return _plane_share(x, lab0, n0, lab1, n1, float(top))


# A replica records the localisation index at every sample (tens of thousands of times in a
# DMA scan), so plane_share runs jitted. It computes exactly what its numpy form computes:
# the plane totals are np.bincount's float64 sums in site order, the ranked totals are summed
# in numpy's pairwise order (_pairwise: np.add.reduce of a contiguous float64 array), and
# tests/test_fastcall.py pins it to that form bit for bit.
@njit(cache=True)
def _block_sum(a, lo, n):
    """numpy's pairwise_sum for n <= 128: a plain loop below 8, else 8 accumulators."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    i = 8
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def _pairwise(a, lo, n):
    """``a[lo:lo + n].sum()`` in numpy's pairwise order: blocks of up to 128 summed by
    :func:`_block_sum`, longer runs split in two (the half rounded down to a multiple of 8)
    and the halves added. The recursion is unrolled on a stack (numba's cache cannot load a
    recursive function).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    seg_lo = np.empty(64, np.int64)
    seg_n = np.empty(64, np.int64)
    phase = np.zeros(64, np.int64)       # 1: its left half is being summed, 2: its right half
    left = np.empty(64)
    sp = 0
    seg_lo[0], seg_n[0], phase[0] = lo, n, 0
    while True:
        m = seg_n[sp]
        if m > 128:                  # a new segment to split: do its left half first
            h = m // 2
            h -= h % 8
            phase[sp] = 1
            seg_lo[sp + 1], seg_n[sp + 1], phase[sp + 1] = seg_lo[sp], h, 0
            sp += 1
            continue
        v = _block_sum(a, seg_lo[sp], m)
        # v is the sum of segment sp: hand it up to the segments it belongs to
        while True:
            if sp == 0:
                return v
            sp -= 1
            if phase[sp] == 1:       # the left half is done: keep it, do the right half
                left[sp] = v
                phase[sp] = 2
                h = seg_n[sp] // 2
                h -= h % 8
                seg_lo[sp + 1], seg_n[sp + 1], phase[sp + 1] = seg_lo[sp] + h, seg_n[sp] - h, 0
                sp += 1
                break
            v = left[sp] + v         # phase 2: both halves done


@njit(cache=True)
def _axis_share(P, top):
    """Share of sum |P| in the largest ``top * n`` of the |P| (NaN if sum |P| <= 0)."""
    n = P.size
    Q = np.sort(np.abs(P))[::-1].copy()
    tot = _pairwise(Q, 0, n)
    if tot <= 0:
        return np.nan
    k = top * n
    i = int(np.floor(k))
    s = _pairwise(Q, 0, i) + (k - i) * (Q[i] if i < n else 0.0)
    return s / tot


@njit(cache=True)
def _plane_share(x, lab0, n0, lab1, n1, top):
    p0, p1 = np.zeros(n0), np.zeros(n1)
    for i in range(x.size):
        v = float(x[i])
        p0[lab0[i]] += v
        p1[lab1[i]] += v
    s0, s1 = _axis_share(p0, top), _axis_share(p1, top)
    if np.isnan(s0):
        return s1
    if np.isnan(s1):
        return s0
    return max(s0, s1)


def null_plane_share(f, lattice, n_perm: int = 20, seed: int = 0,
                     top: float = TOP_FRACTION) -> tuple[float, float]:
    """Return the plane share of the same site values placed at random (no spatial order).

    The homogeneous value is ``top`` only for a field without site-to-site scatter; a random
    field of the same values gives a little more. This is the baseline a measured index is
    compared with.

    Parameters
    ----------
    f : array_like
        (N,) site field.
    lattice : Lattice or (name, L)
        The lattice.
    n_perm : int
        Number of random permutations.
    seed : int
        RNG seed.
    top : float
        Fraction of the planes.

    Returns
    -------
    (float, float)
        Mean and standard deviation of the share over the permutations.
    """
    rng = np.random.default_rng(seed)
    x = np.asarray(f, dtype=float).reshape(-1)
    s = [plane_share(rng.permutation(x), lattice, top) for _ in range(n_perm)]
    return float(np.mean(s)), float(np.std(s, ddof=1)) if n_perm > 1 else float("nan")


def ipr(f) -> float:
    """Inverse participation ratio ``sum p_i^2`` with ``p_i = |f_i| / sum_j |f_j|``.

    1/N for a uniform field, 1 for a field on one site; a random homogeneous field with
    mean m and standard deviation s of ``|f|`` gives ``(1 + s^2/m^2)/N``.

    Parameters
    ----------
    f : array_like
        (N,) site field.

    Returns
    -------
    float
        The IPR (NaN for a zero field).
    """
    a = np.abs(np.asarray(f, dtype=float).reshape(-1))
    tot = a.sum()
    return float(np.sum((a / tot) ** 2)) if tot > 0 else float("nan")
