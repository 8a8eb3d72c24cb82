"""Continuum Eshelby kernel of the loading's shear component and its lattice-periodic spectrum.

Part of the lattice propagator (:mod:`.eshelby`, docs/kmc_elastic.md section 2): the kernel
``2 G_xy(q)`` of an isotropic medium (:func:`kernel_q`), with the squares ``q_a^2`` replaced by
lattice-periodic ones (cubic/square grids; the triangular lattice's tensor rebuilt from its
three bond directions), and for bcc and fcc the sublattice blocks of the fine-grid kernel with
their constant alias part (docs/kmc_elastic.md section 2.2).
"""

from __future__ import annotations

import itertools

import numpy as np

from .lattice import Lattice

__all__ = ["FINE", "kernel_q", "site_volume_cells"]

FINE = {"square": 1, "triangular": 1, "sc": 1, "bcc": 2, "fcc": 2}

_TRI_BONDS = np.array([[1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0], [-0.5, np.sqrt(3.0) / 2.0]])


def site_volume_cells(lat: Lattice) -> float:
    """Volume (area in 2D) per site in units of the cell edge (nearest-neighbour distance in 2D).

    Parameters
    ----------
    lat : Lattice
        The lattice.

    Returns
    -------
    float
        The volume per site.
    """
    return float(abs(np.linalg.det(lat.vectors))) / lat.nb


def kernel_q(Qxx, Qyy, Qzz, mu, nu, dim):
    """Continuum kernel ``2 G_xy`` in terms of the (regularised) squares ``q_a^2``.

    ``Qzz`` is ignored in 2D. Where ``Qxx + Qyy (+ Qzz) = 0`` (q = 0) the result is 0.

    Parameters
    ----------
    Qxx, Qyy, Qzz : numpy.ndarray
        Regularised squared wave-vector components (same shapes).
    mu : float
        Shear modulus (MPa).
    nu : float
        Poisson ratio.
    dim : int
        2 or 3.

    Returns
    -------
    numpy.ndarray
        The kernel (MPa per unit eigenstrain), of the shape of ``Qxx``.
    """
    if dim == 2:
        tr = Qxx + Qyy
        safe = np.where(tr > 0, tr, 1.0)
        return np.where(tr > 0, -8.0 * mu / (1.0 - nu) * Qxx * Qyy / safe**2, 0.0)
    tr = Qxx + Qyy + Qzz
    safe = np.where(tr > 0, tr, 1.0)
    val = -4.0 * mu / (1.0 - nu) * (2.0 * Qxx * Qyy / safe**2 + (1.0 - nu) * Qzz / safe)
    return np.where(tr > 0, val, 0.0)


def _triangular_Q(m, n, L):
    """Regularised q q tensor (xx, yy) of the triangular lattice at index frequencies m, n."""
    t = [4.0 * np.sin(np.pi * m / L) ** 2, 4.0 * np.sin(np.pi * n / L) ** 2,
         4.0 * np.sin(np.pi * (n - m) / L) ** 2]
    s = t[0] + t[1] + t[2]
    Qxx = np.zeros(np.broadcast(m, n).shape)
    Qyy = np.zeros_like(Qxx)
    for a, tn in zip(_TRI_BONDS, t):
        c = (4.0 / 3.0) * tn - (2.0 / 9.0) * s   # inverts t_n = Q : a_n a_n for bonds at 120 deg
        Qxx = Qxx + c * a[0] ** 2
        Qyy = Qyy + c * a[1] ** 2
    return Qxx, Qyy


def _freq_grids(L, dim):
    """Integer FFT frequencies (full axes, last axis halved for rfftn), broadcastable."""
    full = np.fft.fftfreq(L, 1.0 / L)
    half = np.fft.rfftfreq(L, 1.0 / L)
    axes = [full] * (dim - 1) + [half]
    return np.meshgrid(*axes, indexing="ij", sparse=True)


def _spectrum_single(lat: Lattice, mu, nu):
    """Real half-spectrum of K for one-site-basis lattices (square, triangular, sc)."""
    L, dim = lat.L, lat.dim
    m = _freq_grids(L, dim)
    if lat.name == "triangular":
        Qxx, Qyy = _triangular_Q(m[0], m[1], L)
        return kernel_q(Qxx, Qyy, 0.0, mu, nu, 2)
    Q = [4.0 * np.sin(np.pi * mi / L) ** 2 for mi in m]
    if dim == 2:
        return kernel_q(Q[0], Q[1], 0.0, mu, nu, 2)
    return kernel_q(Q[0], Q[1], Q[2], mu, nu, 3)


def _spectrum_blocks(lat: Lattice, mu, nu, cdtype):
    """Sublattice blocks K_bb'(q) (upper triangle) of bcc/fcc and the alias constant c."""
    L, nb = lat.L, lat.nb
    m = _freq_grids(L, 3)
    tau = lat.basis                                         # (nb, 3), cell units
    pairs = [(b, bp) for b in range(nb) for bp in range(b, nb)]
    blocks = np.zeros((len(pairs),) + (L, L, L // 2 + 1), dtype=cdtype)
    c_alias = 0.0
    for delta in itertools.product((0, 1), repeat=3):
        p = [2.0 * np.pi * (m[a] / L + delta[a]) for a in range(3)]
        Q = [16.0 * np.sin(pa / 4.0) ** 2 for pa in p]    # fine grid, spacing h = 1/2
        f = kernel_q(Q[0], Q[1], Q[2], mu, nu, 3)
        if any(delta):
            S = sum(np.exp(1j * np.pi * np.dot(delta, 2 * t)) for t in tau)
            if abs(S) > 0.5:                                # a reciprocal-lattice vector
                c_alias += float(kernel_q(16.0 * delta[0], 16.0 * delta[1], 16.0 * delta[2],
                                          mu, nu, 3))
        for i, (b, bp) in enumerate(pairs):
            d = tau[bp] - tau[b]
            phase = np.exp(1j * (p[0] * d[0] + p[1] * d[1] + p[2] * d[2]))
            blocks[i] += (f * phase / nb).astype(cdtype)
    # K -> K - c delta: removes the alias constant from the self-term; with it the uniform
    # mode at q = 0 has exactly zero stress (sum over b' of K_bb'(0) was c)
    for i, (b, bp) in enumerate(pairs):
        if b == bp:
            blocks[i] -= c_alias
    return pairs, blocks, c_alias
