"""Periodic lattice Eshelby propagator of the loading's shear component (docs/model.md section 2a).

Every site carries an eigenstrain ``e`` (the engine's local strain: beta, SMD and plastic
parts) that is a pure shear in the lattice x-y frame, tensor component ``eps*_xy = e``.
Uniaxial loading acts along [110] (x + y), so the resolved shear stress on the {100}
planes is half the applied stress and the stress conjugate to ``e`` is
``sigma_eq = sigma_xy + sigma_yx = 2 sigma_xy`` (equal to the applied stress for a
homogeneous state). This module builds the lattice propagator ``K`` in that measure:
the stress ``sigma_eq`` at site j from a unit eigenstrain at site k is ``K(r_j - r_k)``
(MPa per unit strain), with

* the continuum kernel of an isotropic medium (shear modulus mu, Poisson ratio nu) in
  Fourier space, ``2 G_xy(q)`` of plane strain (2D) or 3D elasticity
  (docs/kmc_elastic.md section 2):
  ``2D: -8 mu/(1-nu) qx^2 qy^2/q^4``,
  ``3D: -4 mu/(1-nu) [2 qx^2 qy^2/q^4 + (1 - nu) qz^2/q^2]``;
* the squares ``q_a^2`` replaced by lattice-periodic ones (``(2/h)^2 sin^2(q_a h/2)`` on a
  cubic/square grid of spacing h; for the triangular lattice the tensor q q rebuilt from
  ``4 sin^2(q.a_n/2)`` along its three bond directions), so the kernel is smooth on the
  Brillouin zone and the real-space field decays as 1/r^d without grid-scale ringing;
* bcc and fcc handled as ``nb`` simple-cubic sublattices: the kernel between sublattices b
  and b' is the fine (spacing 1/2) grid kernel restricted to those sites, computed in
  closed form as ``(1/nb) sum_Q f(q + Q) exp(i (q + Q).(tau_b' - tau_b))``, and its
  constant alias part ``c`` removed from the self-term (``K -> K - c delta``) so that
  a uniform eigenstrain is stress-free and a large inclusion has Eshelby's interior
  stress on every lattice;
* the q = 0 mode removed: ``sum_r K(r) = 0`` (stress control: the mean stress from
  eigenstrains is zero).

The self-term ``K(0)`` stays in this physical propagator (it is the interior stress of a
one-site inclusion); the engine's local stress removes it (:mod:`.elastic_kernels`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft

from .lattice import Lattice

__all__ = [
    "FINE",
    "Propagator",
    "eshelby_interior",
    "far_field",
    "kernel_q",
    "lattice_field",
    "make_propagator",
    "site_volume_cells",
]

#: fine-grid points per cell edge (bcc and fcc sites sit on a grid of spacing 1/2)
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


@dataclass(frozen=True)
class Propagator:
    """The lattice propagator of one lattice, material and size.

    Attributes
    ----------
    lattice : Lattice
    mu_MPa, nu : float
        Shear modulus (MPa) and Poisson ratio of the isotropic medium.
    pairs : tuple of (b, b')
        Sublattice pairs of ``spectrum`` (``((0, 0),)`` for one-site bases).
    spectrum : ndarray
        Half-spectrum of K (real for one-site bases, complex blocks K_bb' for bcc/fcc),
        shape (n_pairs, L, ..., L//2 + 1).
    table : ndarray
        K in real space against the displacement on the fine grid (cell edge / FINE),
        float64, shape always 3D (a trailing axis of 1 in 2D). With ``fold`` the table
        holds |dx|, |dy|, |dz| <= n_fine/2 (K is even in each component on square, sc,
        bcc, fcc); the triangular table is indexed by the displacement mod L in lattice
        coordinates.
    fold : bool
    n_fine : int
        Fine-grid points per period (FINE * L).
    basis_fine : ndarray
        int64 (nb, 3): fine-grid offsets of the basis sites within a cell.
    self_term : float
        ``K(0)``, the stress of a one-site inclusion on itself (MPa per strain).
    alias_constant : float
        The constant removed from the bcc/fcc self-term (0 for one-site bases).
    """

    lattice: Lattice
    mu_MPa: float
    nu: float
    pairs: tuple
    spectrum: np.ndarray = field(repr=False)
    table: np.ndarray = field(repr=False)
    basis_fine: np.ndarray = field(repr=False)
    fold: bool = True
    n_fine: int = 0
    self_term: float = 0.0
    alias_constant: float = 0.0

    def fine_coords(self) -> np.ndarray:
        """Fine-grid coordinates (N, 3) of every site (z = 0 in 2D).

        Returns
        -------
        numpy.ndarray
            int64 (N, 3).
        """
        c, b = self.lattice.cell_coords()
        out = np.zeros((self.lattice.n_sites, 3), dtype=np.int64)
        out[:, : self.lattice.dim] = FINE[self.lattice.name] * c
        out += self.basis_fine[b]
        return out

    def lookup(self, d: np.ndarray) -> np.ndarray:
        """K at fine-grid displacements ``d`` (..., 3) (any integers; periodic).

        Parameters
        ----------
        d : numpy.ndarray
            int (..., 3): displacements on the fine grid.

        Returns
        -------
        numpy.ndarray
            K (MPa per unit eigenstrain), of shape ``d.shape[:-1]``.
        """
        d = np.asarray(d) % self.n_fine
        if self.fold:
            d = np.minimum(d, self.n_fine - d)
        return self.table[d[..., 0], d[..., 1], d[..., 2]]

    def value(self, j: int, k: int) -> float:
        """K between sites j and k (stress at j from a unit eigenstrain at k).

        Parameters
        ----------
        j, k : int
            Target and source sites.

        Returns
        -------
        float
            K (MPa per unit eigenstrain).
        """
        f = self.fine_coords()
        return float(self.lookup(f[j] - f[k]))

    def dense(self) -> np.ndarray:
        """Return the full N x N matrix K[j, k] (slow obvious form; small lattices only).

        Returns
        -------
        numpy.ndarray
            float64 (N, N).

        Raises
        ------
        ValueError
            For more than 5000 sites.
        """
        if self.lattice.n_sites > 5000:
            raise ValueError("dense() is for small lattices (N <= 5000)")
        f = self.fine_coords()
        return self.lookup(f[:, None, :] - f[None, :, :])

    @property
    def nbytes(self) -> int:
        """Bytes held (spectrum and table)."""
        return int(self.spectrum.nbytes + self.table.nbytes)


def _fill_table(lat: Lattice, pairs, spectrum, fold, n_fine, basis_fine):
    """Real-space table from the spectrum, one sublattice pair at a time."""
    dim, L = lat.dim, lat.L
    shape = (L,) * dim
    if fold:
        table = np.full((n_fine // 2 + 1,) * dim + (1,) * (3 - dim), np.nan)
    else:
        table = np.full((L, L, 1), np.nan)
    R = np.stack(np.meshgrid(*[np.arange(L)] * dim, indexing="ij"), axis=-1)  # (L.., dim)
    for (b, bp), spec in zip(pairs, spectrum):
        K = sfft.irfftn(spec, s=shape)
        if not fold:
            table[..., 0] = K
            continue
        d = np.zeros(shape + (3,), dtype=np.int64)
        d[..., :dim] = FINE[lat.name] * R
        d += basis_fine[bp] - basis_fine[b]
        d %= n_fine
        d = np.minimum(d, n_fine - d)
        idx = (d[..., 0], d[..., 1], d[..., 2])
        prev = table[idx]
        seen = ~np.isnan(prev)
        # K is even in each component: every pair and cell offset that reaches the same
        # |dx|, |dy|, |dz| must carry the same value
        tol = 1e4 * np.finfo(np.asarray(spec).real.dtype).eps   # 2e-12 (double), 1e-3 (single)
        if seen.any() and not np.allclose(prev[seen], K[seen], rtol=tol,
                                          atol=tol * np.abs(K).max()):
            raise AssertionError("propagator is not even in each displacement component")
        table[idx] = K
    return np.nan_to_num(table, nan=0.0)


def make_propagator(lat: Lattice, mu_MPa: float, nu: float,
                    single_precision: bool = False) -> Propagator:
    """Build the propagator of ``lat`` for shear modulus ``mu_MPa`` and Poisson ratio ``nu``.

    ``single_precision`` stores the spectrum in float32/complex64 (half the memory; the
    kernel values are then rounded to 6e-8 relative). The real-space table is float64.

    Parameters
    ----------
    lat : Lattice
        The lattice (any registered lattice with a fine grid in ``FINE``).
    mu_MPa : float
        Shear modulus (MPa), positive.
    nu : float
        Poisson ratio in (-1, 0.5).
    single_precision : bool
        Store the spectrum in single precision.

    Returns
    -------
    Propagator
        Spectrum, real-space table and geometry.

    Raises
    ------
    ValueError
        For an unstable ``nu`` or a non-positive ``mu_MPa``.
    """
    if not (-1.0 < nu < 0.5):
        raise ValueError(f"Poisson ratio nu = {nu} must lie in (-1, 0.5) for a stable "
                         "isotropic solid")
    if mu_MPa <= 0:
        raise ValueError(f"shear modulus mu = {mu_MPa} MPa must be positive")
    if lat.nb == 1:
        spec = _spectrum_single(lat, mu_MPa, nu)
        spec = spec.astype(np.float32 if single_precision else np.float64)[None]
        pairs, c_alias = ((0, 0),), 0.0
    else:
        pairs, spec, c_alias = _spectrum_blocks(
            lat, mu_MPa, nu, np.complex64 if single_precision else np.complex128)
        pairs = tuple(pairs)
    hm = FINE[lat.name]
    basis_fine = np.zeros((lat.nb, 3), dtype=np.int64)
    basis_fine[:, : lat.dim] = np.rint(lat.basis * hm).astype(np.int64)
    fold = lat.name != "triangular"
    n_fine = hm * lat.L
    table = _fill_table(lat, pairs, spec, fold, n_fine, basis_fine)
    self_term = float(table[0, 0, 0])
    return Propagator(lattice=lat, mu_MPa=float(mu_MPa), nu=float(nu), pairs=pairs,
                      spectrum=spec, table=table, basis_fine=basis_fine, fold=fold,
                      n_fine=n_fine, self_term=self_term, alias_constant=float(c_alias))


def lattice_field(prop: Propagator, eps: np.ndarray, out_dtype=np.float64) -> np.ndarray:
    """Stress ``sigma_eq`` at every site from the eigenstrain ``eps`` (shape (N,)), by FFT.

    ``sum_k K(r_j - r_k) eps_k`` including the self-term; MPa. The mean over sites is zero.

    Parameters
    ----------
    prop : Propagator
        The lattice propagator.
    eps : numpy.ndarray
        float (N,): eigenstrains.
    out_dtype : numpy dtype
        dtype of the result.

    Returns
    -------
    numpy.ndarray
        (N,): the stress (MPa).
    """
    lat = prop.lattice
    shape = (lat.L,) * lat.dim
    e = np.asarray(eps, dtype=np.float64).reshape(shape + (lat.nb,))
    if lat.nb == 1:
        out = sfft.irfftn(sfft.rfftn(e[..., 0]) * prop.spectrum[0], s=shape)
        return out.reshape(-1).astype(out_dtype, copy=False)
    E = [sfft.rfftn(e[..., b]) for b in range(lat.nb)]
    out = np.empty(shape + (lat.nb,), dtype=out_dtype)
    for b in range(lat.nb):
        acc = np.zeros_like(E[0])
        for bp in range(lat.nb):
            # sigma_b = sum_b' K_{b' -> b} * e_b', with K_{b'->b}(R) = K_b'b(R) (source b')
            if bp <= b:
                acc += prop.spectrum[prop.pairs.index((bp, b))] * E[bp]
            else:
                acc += np.conj(prop.spectrum[prop.pairs.index((b, bp))]) * E[bp]
        out[..., b] = sfft.irfftn(acc, s=shape)
    return out.reshape(-1)


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
