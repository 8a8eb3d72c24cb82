"""Quenched disorder of the lattice: QPD placement, beta times, stable factors, local chi.

Everything here runs once per replica in the Python layer, from the replica's
own ``numpy.random.Generator`` (a child of the run's SeedSequence):

* QPD sites with probability C_d (uncorrelated), or as the top C_d fraction of a
  Gaussian random field of correlation length xi (correlated; periodic);
* ``ln(tau_beta_j/<tau_beta>) = ln(E_j)/B`` with ``E_j ~ Exp(1)`` -- exactly the
  Gumbel law of [Hao2022] Eq. 24 ("log-time" mode). In "energy" mode the same
  draw is an energy offset ``R T_ref ln(E_j)/B``, i.e. the log-time offset is
  multiplied by ``T_ref/T`` at temperature T (docs/model.md E4);
* Kanter variables (U_j, W_j) of the one-sided stable factor S_j (see
  :mod:`.stable`), kept so that S_j follows chi;
* the local defect fraction ``f_j`` over the sites within graph distance r of
  site j (the site itself excluded), giving ``chi_j = kappa f_j`` ([Hao2022] Eq. 10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .lattice import Lattice
from .stable import sample_uw

__all__ = ["Disorder", "draw_disorder", "local_defect_fraction", "neighbourhood_mean"]


@dataclass
class Disorder:
    """Per-site quenched parameters of one replica (arrays of length N)."""

    kind: np.ndarray        # int8: 1 = QPD, 0 = elastic matrix
    log_tb: np.ndarray      # float32: ln(tau_beta_j/<tau_beta>) at T_ref
    U: np.ndarray           # float32: Kanter U_j in (0, pi)
    W: np.ndarray           # float32: Kanter W_j > 0
    frac: np.ndarray        # float32: local defect fraction around the site


def _correlated_field(lat: Lattice, xi: float, rng: np.random.Generator) -> np.ndarray:
    """Periodic Gaussian random field on the cell grid, smoothed with width xi, one value per site."""
    noise = rng.standard_normal((lat.L,) * lat.dim)
    field = ndimage.gaussian_filter(noise, sigma=xi, mode="wrap")
    # basis sites of a cell share the cell's smooth value, plus a small independent part
    per_site = np.repeat(field.ravel(), lat.nb)
    return per_site + 1e-3 * float(np.std(field)) * rng.standard_normal(per_site.size)


def local_defect_fraction(kind: np.ndarray, nbr: np.ndarray, radius: int,
                          chunk: int = 65536) -> np.ndarray:
    """Fraction of QPD sites among the sites within graph distance ``radius`` (site excluded).

    Parameters
    ----------
    kind : numpy.ndarray
        int8 (N,): 1 on QPD sites, 0 on the matrix.
    nbr : numpy.ndarray
        int32 (N, z): neighbour table.
    radius : int
        Graph radius, >= 1.
    chunk : int
        Sites per chunk of the neighbourhood search (bounds the memory for radius > 1).

    Returns
    -------
    numpy.ndarray
        float32 (N,): the fractions.
    """
    if radius == 1:
        return kind[nbr].mean(axis=1).astype(np.float32)
    return neighbourhood_mean(kind, nbr, radius, include_self=False, chunk=chunk)


def neighbourhood_mean(values: np.ndarray, nbr: np.ndarray, radius: int, include_self: bool,
                       chunk: int = 65536) -> np.ndarray:
    """Mean of ``values`` over the distinct sites within graph distance ``radius`` of each site.

    Parameters
    ----------
    values : numpy.ndarray
        (N,): per-site values.
    nbr : numpy.ndarray
        int32 (N, z): neighbour table.
    radius : int
        Graph radius, >= 1.
    include_self : bool
        Whether the site itself belongs to its neighbourhood.
    chunk : int
        Sites per chunk (every path of length <= radius of a chunk is held at once).

    Returns
    -------
    numpy.ndarray
        float32 (N,): the means.
    """
    n = values.size
    out = np.empty(n, dtype=np.float32)
    for lo in range(0, n, chunk):
        sites = np.arange(lo, min(lo + chunk, n))
        layers = [nbr[sites]]
        for _ in range(radius - 1):
            layers.append(nbr[layers[-1]].reshape(sites.size, -1))
        rows = np.sort(np.concatenate(layers, axis=1), axis=1)
        first = np.ones(rows.shape, dtype=bool)
        first[:, 1:] = rows[:, 1:] != rows[:, :-1]
        valid = first & (rows != sites[:, None])
        total = (values[rows].astype(float) * valid).sum(axis=1)
        count = valid.sum(axis=1)
        if include_self:
            total += values[sites]
            count += 1
        out[lo:lo + sites.size] = total / count
    return out


def draw_disorder(lat: Lattice, nbr: np.ndarray, Cd: float, B: float, rng: np.random.Generator,
                  correlation_length: float = 0.0, chi_radius: int = 1) -> Disorder:
    """Draw the quenched disorder of one replica.

    Parameters
    ----------
    lat : Lattice
        The lattice.
    nbr : numpy.ndarray
        int32 (N, z): neighbour table of ``lat``.
    Cd : float
        QPD probability (defect concentration at the starting temperature).
    B : float
        Gumbel shape parameter of the beta-time distribution.
    rng : numpy.random.Generator
        The replica's disorder stream.
    correlation_length : float
        0 for uncorrelated placement, else the Gaussian smoothing length in cells.
    chi_radius : int
        Graph radius of the neighbourhood of the local defect fraction.

    Returns
    -------
    Disorder
        Site kinds, log beta times, stable factors and local defect fractions, each (N,).
    """
    n = lat.n_sites
    if correlation_length > 0:
        field = _correlated_field(lat, correlation_length, rng)
        n_qpd = int(round(Cd * n))
        kind = np.zeros(n, dtype=np.int8)
        kind[np.argsort(-field, kind="stable")[:n_qpd]] = 1
    else:
        kind = (rng.random(n) < Cd).astype(np.int8)
    E = rng.standard_exponential(n)
    log_tb = (np.log(E) / B).astype(np.float32)
    U, W = sample_uw(rng, n)
    # stored in float32: keep U strictly inside (0, pi) after rounding (float32(pi) > pi,
    # where sin(U) < 0 would make ln S NaN) and W strictly positive
    U32 = np.clip(U.astype(np.float32), np.float32(1e-30),
                  np.nextafter(np.float32(np.pi), np.float32(0)))
    while float(U32.max()) >= np.pi:
        U32[U32 >= np.pi] = np.nextafter(U32[U32 >= np.pi], np.float32(0))
    W32 = np.maximum(W.astype(np.float32), np.float32(1e-30))
    frac = local_defect_fraction(kind, nbr, chi_radius)
    return Disorder(kind, log_tb, U32, W32, frac)
