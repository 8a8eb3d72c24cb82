"""Avalanches of plastic activity and the power-law fit of their sizes (docs/kmc_localisation.md).

Two definitions, both from what the engine records today (no event list is needed):

* :func:`snapshot_avalanches` (space and time): between two snapshots a time ``dt`` apart, a
  site is *active* when its deposited plastic strain grew; an avalanche is a cluster of
  active sites connected through lattice neighbours (periodic). Its size is the plastic
  strain it deposited, in units of the site's unit plastic strain ``d_p`` (or its number of
  sites). Events that are neighbours in space and within ``dt`` in time belong to one
  avalanche, so ``dt`` is the time window: choose it below the mean time between SMD events
  of a site (docs: the window rule), else independent events merge by chance;
* :func:`rate_bursts` (time only): on a uniformly sampled strain signal under stress control,
  a burst is a maximal run of intervals whose strain rate exceeds the mean rate; its size is
  the strain above the mean accumulated over the run.

:func:`fit_power_law` is the maximum-likelihood exponent of ``p(x) ~ x^-alpha`` above
``xmin`` (continuous or discrete), with its standard error, and xmin chosen by the
Kolmogorov-Smirnov rule of [Clauset2009] unless given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..kmc.lattice import Lattice, make_lattice

__all__ = ["PowerLawFit", "fit_power_law", "snapshot_avalanches", "rate_bursts",
           "sample_power_law"]


@dataclass(frozen=True)
class PowerLawFit:
    """Maximum-likelihood power law ``p(x) ~ x^-alpha`` for ``x >= xmin``.

    Attributes
    ----------
    alpha, se : float
        Exponent and its standard error (from the Fisher information).
    xmin : float
        Lower cut-off.
    n_tail : int
        Number of samples >= xmin used.
    ks : float
        Kolmogorov-Smirnov distance between the tail and the fitted law.
    discrete : bool
        Whether the discrete (zeta) law was fitted.
    """

    alpha: float
    se: float
    xmin: float
    n_tail: int
    ks: float
    discrete: bool


def _fit_continuous(x: np.ndarray, xmin: float) -> tuple[float, float]:
    n = x.size
    a = 1.0 + n / np.sum(np.log(x / xmin))
    return a, (a - 1.0) / np.sqrt(n)


def _fit_discrete(x: np.ndarray, xmin: float) -> tuple[float, float]:
    n, slog = x.size, float(np.sum(np.log(x)))

    def nll(a):
        return n * np.log(special.zeta(a, xmin)) + a * slog

    res = optimize.minimize_scalar(nll, bounds=(1.0001, 8.0), method="bounded",
                                   options={"xatol": 1e-8})
    a = float(res.x)
    h = 1e-4 * a
    d2 = (nll(a + h) - 2 * nll(a) + nll(a - h)) / h**2
    return a, float(1.0 / np.sqrt(d2)) if d2 > 0 else float("nan")


def _ks(x: np.ndarray, xmin: float, a: float, discrete: bool) -> float:
    xs = np.sort(x)
    emp = np.arange(1, xs.size + 1) / xs.size
    if discrete:
        cdf = 1.0 - special.zeta(a, xs + 1) / special.zeta(a, xmin)
    else:
        cdf = 1.0 - (xs / xmin) ** (1.0 - a)
    return float(np.max(np.abs(emp - cdf)))


def fit_power_law(x, xmin: float | None = None, discrete: bool = False,
                  min_tail: int = 50) -> PowerLawFit:
    """Fit a power law to the tail of a sample by maximum likelihood.

    Continuous: ``alpha = 1 + n / sum ln(x_i/xmin)``, ``SE = (alpha - 1)/sqrt(n)``.
    Discrete (integer sizes): maximises ``-n ln zeta(alpha, xmin) - alpha sum ln x_i``
    (Hurwitz zeta, scipy), SE from the curvature of the log-likelihood. Both as in
    [Clauset2009]. With ``xmin=None`` every distinct value leaving at least ``min_tail``
    samples is tried and the one with the smallest KS distance kept ([Clauset2009] Sec. 3.3).

    Parameters
    ----------
    x : array_like
        Positive samples (sizes).
    xmin : float, optional
        Lower cut-off (default: the KS choice).
    discrete : bool
        Fit the discrete law (integer samples).
    min_tail : int
        Smallest tail the KS scan accepts.

    Returns
    -------
    PowerLawFit
        The fit.

    Raises
    ------
    ValueError
        With fewer than 2 positive samples above xmin.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    fit = _fit_discrete if discrete else _fit_continuous
    if xmin is None:
        cands = np.unique(x)
        cands = cands[np.searchsorted(np.sort(x), cands) <= x.size - min_tail]
        if cands.size == 0:
            cands = np.array([x.min()]) if x.size else cands
        best = None
        for xm in cands:
            t = x[x >= xm]
            if t.size < 2:
                continue
            a, se = fit(t, xm)
            d = _ks(t, xm, a, discrete)
            if best is None or d < best[3]:
                best = (a, se, xm, d, t.size)
        if best is None:
            raise ValueError("fewer than 2 positive samples: no power law can be fitted")
        a, se, xm, d, n = best
        return PowerLawFit(float(a), float(se), float(xm), int(n), float(d), discrete)
    t = x[x >= xmin]
    if t.size < 2:
        raise ValueError(f"{t.size} samples >= xmin = {xmin}: no power law can be fitted")
    a, se = fit(t, xmin)
    return PowerLawFit(float(a), float(se), float(xmin), int(t.size),
                       _ks(t, xmin, a, discrete), discrete)


def sample_power_law(alpha: float, xmin: float, n: int, rng: np.random.Generator,
                     discrete: bool = False) -> np.ndarray:
    """Draw ``n`` samples of ``p(x) ~ x^-alpha``, ``x >= xmin`` (for tests and null models).

    Continuous: inverse CDF ``xmin u^(-1/(alpha - 1))``. Discrete: the zeta law of
    scipy.stats.zipf shifted to start at ``xmin`` is not a power law from xmin, so the
    discrete case draws the continuous law from ``xmin - 1/2`` and rounds
    ([Clauset2009] Appendix D; exact only asymptotically: use xmin >= 5 in tests).

    Parameters
    ----------
    alpha : float
        Exponent (> 1).
    xmin : float
        Lower cut-off.
    n : int
        Number of samples.
    rng : numpy.random.Generator
        The random stream.
    discrete : bool
        Integer samples.

    Returns
    -------
    numpy.ndarray
        (n,) samples.
    """
    u = 1.0 - rng.random(n)
    if not discrete:
        return xmin * u ** (-1.0 / (alpha - 1.0))
    return np.floor((xmin - 0.5) * u ** (-1.0 / (alpha - 1.0)) + 0.5)


def _bonds(lat: Lattice):
    nbr = lat.neighbour_table()
    i = np.repeat(np.arange(lat.n_sites), nbr.shape[1])
    return i, nbr.reshape(-1).astype(np.int64)


def snapshot_avalanches(eps_before, eps_after, lattice, unit: float = 1.0,
                        threshold: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Clusters of sites whose plastic strain grew between two snapshots.

    Parameters
    ----------
    eps_before, eps_after : array_like
        (N,) plastic strain at two snapshots (the field ``plastic_strain``).
    lattice : Lattice or (name, L)
        The lattice.
    unit : float
        Strain of one unit of size (``d_p`` of the run: the size is then in plastic events).
    threshold : float
        A site is active when its increment exceeds ``threshold`` (in the units of the
        field; 0: any growth).

    Returns
    -------
    sizes : numpy.ndarray
        Plastic strain of each avalanche divided by ``unit``.
    n_sites : numpy.ndarray
        int, number of sites of each avalanche.
    """
    lat = lattice if isinstance(lattice, Lattice) else make_lattice(*lattice)
    d = np.asarray(eps_after, dtype=float).reshape(-1) - np.asarray(eps_before, dtype=float).reshape(-1)
    act = d > threshold
    if not act.any():
        return np.zeros(0), np.zeros(0, dtype=int)
    i, j = _bonds(lat)
    m = act[i] & act[j]
    g = coo_matrix((np.ones(int(m.sum())), (i[m], j[m])), shape=(lat.n_sites,) * 2)
    _, lab = connected_components(g, directed=False)
    lab = lab[act]
    _, inv = np.unique(lab, return_inverse=True)
    sizes = np.bincount(inv, weights=d[act]) / unit
    return sizes, np.bincount(inv)


def rate_bursts(t, x) -> tuple[np.ndarray, np.ndarray]:
    """Bursts of a uniformly sampled signal's rate above its mean rate.

    Parameters
    ----------
    t : array_like
        (n,) sample times, uniformly spaced (s).
    x : array_like
        (n,) the signal (e.g. plastic strain).

    Returns
    -------
    sizes : numpy.ndarray
        Excess of each burst, ``sum (rate - mean rate) dt`` over its intervals.
    durations : numpy.ndarray
        Duration of each burst (s).

    Raises
    ------
    ValueError
        If the times are not uniformly spaced (to 1e-6 relative).
    """
    t = np.asarray(t, dtype=float)
    x = np.asarray(x, dtype=float)
    dt = np.diff(t)
    if dt.size < 2 or np.ptp(dt) > 1e-6 * np.mean(dt):
        raise ValueError("rate_bursts needs uniformly spaced samples (at least three)")
    rate = np.diff(x) / dt
    ex = rate - rate.mean()
    up = ex > 0
    edges = np.diff(np.concatenate([[0], up.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    c = np.concatenate([[0.0], np.cumsum(ex * dt)])
    return c[ends] - c[starts], (ends - starts) * float(np.mean(dt))
