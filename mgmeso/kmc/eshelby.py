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
one-site inclusion); the engine's local stress removes it for the two-state parts of the
eigenstrain and keeps it for the plastic part (:mod:`.elastic_kernels`, :mod:`.elastic_loop`).

The continuum kernel and its spectrum are in :mod:`.eshelby_spectrum`, the analytical results
(far field, Eshelby's interior stress) in :mod:`.eshelby_analytic`; their public names are
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.fft as sfft

from .eshelby_analytic import eshelby_interior, far_field
from .eshelby_spectrum import FINE, _spectrum_blocks, _spectrum_single, kernel_q, site_volume_cells
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
