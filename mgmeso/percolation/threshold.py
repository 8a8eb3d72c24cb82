"""Site-percolation threshold of a lattice from wrapping probabilities over system sizes.

Method
------
For each sample every site gets a uniform number u_i; the occupied set at
occupation p is {u_i < p}. Adding sites in increasing u (Newman and Ziff 2000)
gives, in one O(N) sweep, the exact occupation ``p*`` at which a cluster first
wraps the torus along each axis. The wrapping probability at any p is then the
fraction of samples with ``p* <= p`` -- no grid in p, no binomial convolution.

``R_L(p)`` for different sizes L cross close to p_c (the crossing converges to
p_c faster than the curves' midpoints). Each curve is smoothed by a Gaussian
kernel much narrower than its width (bandwidth ``0.25 sd n^(-1/5)``), the
crossing of the two largest sizes is the estimate, and its standard error comes
from bootstrap resampling of the samples. With three or more sizes the drift of
the crossing between successive size pairs is reported as a finite-size
systematic and added in quadrature to the error (conservative: the drift of
the last pair is smaller than the difference it is measured by).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr

from ..io.files import prepare_outputs
from ..io.table import Table
from ..kmc.lattice import SiteThreshold, lattice_type, make_lattice
from .clusters import grid_shape, padded_offsets
from .kernels import wrap_onsets

__all__ = ["literature_threshold", "CRITERIA", "sample_onsets", "wrapping_probability",
           "crossing", "estimate_threshold", "ThresholdEstimate"]

def literature_threshold(lattice: str) -> SiteThreshold | None:
    """Return the published site threshold of a registered lattice, ``None`` where the registry has none.

    Parameters
    ----------
    lattice : str
        A registered lattice name.

    Returns
    -------
    SiteThreshold or None
        Value, error and source.
    """
    return lattice_type(lattice).site_threshold


#: how per-axis onsets combine into one wrapping event
CRITERIA = ("any", "all", "x")


def _one_sweep(lat, L, Lz, offs, rng, work):
    u = rng.random(lat.n_sites)
    order = np.argsort(u, kind="stable")
    n = wrap_onsets(order, L, Lz, lat.nb, offs, work[0], work[1])[: lat.dim]
    us = u[order]
    return np.where(n <= lat.n_sites, us[np.minimum(n, lat.n_sites) - 1], np.inf)


def sample_onsets(lattice: str, L: int, samples: int, seed: np.random.SeedSequence,
                  workers: int | None = None, progress=None) -> np.ndarray:
    """Occupation at which a cluster first wraps along each axis, per sample.

    Parameters
    ----------
    lattice : str
        Lattice name.
    L : int
        Cells per side.
    samples : int
    seed : numpy SeedSequence
        Spawned into one child per sample (results do not depend on ``workers``).
    workers : int, optional
        Threads (default: CPU count).
    progress : callable, optional
        Called with the number of samples finished, after each one.

    Returns
    -------
    float (samples, dim)
        p* per sample and axis.
    """
    lat = make_lattice(lattice, L)
    Lg, Lz = grid_shape(lat)
    offs = padded_offsets(lat)
    children = seed.spawn(samples)
    out = np.empty((samples, lat.dim))
    workers = max(1, min(workers or os.cpu_count() or 1, samples))

    def run(k0):
        work = (np.empty(lat.n_sites, np.int32), np.empty((lat.n_sites, 3), np.int32))
        for s in range(k0, samples, workers):
            out[s] = _one_sweep(lat, Lg, Lz, offs, np.random.default_rng(children[s]), work)
            if progress is not None:
                progress(1)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(workers)))
    return out


def combine(onsets: np.ndarray, criterion: str) -> np.ndarray:
    """Per-sample onset of the wrapping event ``criterion`` ('any' axis, 'all' axes, 'x').

    Parameters
    ----------
    onsets : numpy.ndarray
        int or float (samples, 3): onset of wrapping along each axis.
    criterion : {'any', 'all', 'x'}
        The wrapping event.

    Returns
    -------
    numpy.ndarray
        (samples,): the onset of the event.
    """
    if criterion == "any":
        return onsets.min(axis=1)
    if criterion == "all":
        return onsets.max(axis=1)
    if criterion == "x":
        return onsets[:, 0]
    raise ValueError(f"criterion must be one of {CRITERIA}")


def _bandwidth(pstar: np.ndarray) -> float:
    return 0.25 * float(np.std(pstar)) * pstar.size ** (-0.2)


def wrapping_probability(pstar: np.ndarray, p: np.ndarray, smooth: bool = True) -> np.ndarray:
    """R(p): fraction of samples wrapped at occupation p (kernel-smoothed if ``smooth``).

    Parameters
    ----------
    pstar : numpy.ndarray
        (samples,): onset occupation of each sample.
    p : numpy.ndarray
        Occupations at which to evaluate R.
    smooth : bool
        Gaussian-kernel smoothing of the empirical distribution.

    Returns
    -------
    numpy.ndarray
        R(p), of the shape of ``p``.
    """
    p = np.asarray(p, dtype=float)
    if not smooth:
        return (pstar[None, :] <= p[:, None]).mean(axis=1)
    h = _bandwidth(pstar)
    return ndtr((p[:, None] - pstar[None, :]) / h).mean(axis=1)


def _smooth_R(pstar, h, p):
    return float(ndtr((p - pstar) / h).mean())


def crossing(p_small: np.ndarray, p_large: np.ndarray) -> float:
    """Occupation where the smoothed wrapping probabilities of two sizes cross (NaN if none).

    Parameters
    ----------
    p_small, p_large : numpy.ndarray
        Onset occupations of the samples of the smaller and the larger size.

    Returns
    -------
    float
        The crossing occupation, or NaN.
    """
    h1, h2 = _bandwidth(p_small), _bandwidth(p_large)
    grid = np.linspace(min(p_small.min(), p_large.min()), max(p_small.max(), p_large.max()), 401)
    d = (ndtr((grid[:, None] - p_small[None, :]) / h1).mean(axis=1)
         - ndtr((grid[:, None] - p_large[None, :]) / h2).mean(axis=1))
    sign = np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0)
    if sign.size == 0:
        return float("nan")
    # of several sign changes (noise in the tails) take the one nearest the large size's median
    med = float(np.median(p_large))
    k = sign[np.argmin(np.abs(grid[sign] - med))]
    return float(brentq(lambda x: _smooth_R(p_small, h1, x) - _smooth_R(p_large, h2, x),
                        grid[k], grid[k + 1], xtol=1e-10))


@dataclass
class ThresholdEstimate:
    """Result of :func:`estimate_threshold`."""

    lattice: str
    sizes: tuple[int, ...]
    samples: int
    criterion: str
    onsets: dict[int, np.ndarray] = field(repr=False)      # L -> (samples, dim)
    pair_crossings: list[tuple[int, int, float, float]]     # (L1, L2, p, bootstrap SE)
    p_c: float
    stat_err: float
    sys_err: float
    seed: int | None = None          # root seed when it was an int

    @property
    def error(self) -> float:
        """Bootstrap error and finite-size drift in quadrature."""
        return float(np.hypot(self.stat_err, self.sys_err))

    def curve_table(self, points: int = 201) -> Table:
        """Return the smoothed wrapping probability of every size.

        On a grid holding 99 % of all onsets.

        Parameters
        ----------
        points : int
            Grid points.

        Returns
        -------
        Table
            ``occupation_p, wrapping_probability_L<L>, ...``.
        """
        allp = np.concatenate([combine(o, self.criterion) for o in self.onsets.values()])
        lo, hi = np.percentile(allp, [0.5, 99.5])
        p = np.linspace(lo, hi, points)
        cols = {"occupation_p": p}
        for L in self.sizes:
            cols[f"wrapping_probability_L{L}"] = wrapping_probability(
                combine(self.onsets[L], self.criterion), p)
        return Table(cols)

    def summary(self) -> dict:
        """Return the numbers of ``threshold_<lattice>.json`` (literature ``None`` without a value).

        Returns
        -------
        dict
            Estimate, errors, sizes, samples, pair crossings and the literature comparison.
        """
        lit = self.literature()
        return {"lattice": self.lattice, "sizes": self.sizes, "samples": self.samples,
                "seed": self.seed, "criterion": self.criterion, "p_c": self.p_c,
                "error": self.error, "statistical_error": self.stat_err,
                "finite_size_drift": self.sys_err,
                "pair_crossings": [{"L1": a, "L2": b, "p": c, "se": e}
                                   for a, b, c, e in self.pair_crossings],
                "sites": {L: make_lattice(self.lattice, L).n_sites for L in self.sizes},
                "literature": None if lit is None else {"p_c": lit.p_c, "error": lit.error,
                                                        "source": lit.source},
                "deviation_in_errors": self.deviation_sigma()}

    @staticmethod
    def file_names(lattice: str) -> list[str]:
        """Return the names of the files :meth:`write` writes for ``lattice``.

        Parameters
        ----------
        lattice : str
            The lattice name.

        Returns
        -------
        list of str
            CSV, PNG and JSON file names.
        """
        return [f"threshold_{lattice}.{ext}" for ext in ("csv", "png", "json")]

    def write(self, out_dir, overwrite: bool = False) -> list[Path]:
        """Write the curves (CSV), the figure (PNG) and the summary (JSON) into ``out_dir``.

        Parameters
        ----------
        out_dir : str or path-like
            Output directory (created when the first file is written).
        overwrite : bool
            Replace existing files (else an existing file is an error, before anything is written).

        Returns
        -------
        list of pathlib.Path
            The files written.
        """
        from ..plotting import save
        from ..plotting.percolation_plots import plot_threshold

        paths = prepare_outputs(out_dir, self.file_names(self.lattice), overwrite)
        self.curve_table().to_csv(paths[0])
        save(plot_threshold(self).figure, paths[1], overwrite=overwrite)
        Table({}, self.summary()).write_meta(paths[2])
        return paths

    def literature(self) -> SiteThreshold | None:
        """Return the published threshold of the lattice (``None`` if the registry has none).

        Returns
        -------
        SiteThreshold or None
            Value, error and source.
        """
        return literature_threshold(self.lattice)

    def deviation_sigma(self) -> float | None:
        """(estimate - literature) / error; ``None`` without a literature value.

        Returns
        -------
        float or None
            The deviation in units of the combined error.
        """
        ref = self.literature()
        if ref is None:
            return None
        return (self.p_c - ref.p_c) / self.error if self.error > 0 else float("inf")


def estimate_threshold(lattice: str, sizes, samples: int, seed: int | np.random.SeedSequence = 0,
                       criterion: str = "any", bootstrap: int = 200, workers: int | None = None,
                       progress=None) -> ThresholdEstimate:
    """Estimate the site-percolation threshold of ``lattice`` (see the module docstring).

    Parameters
    ----------
    lattice : str
    sizes : sequence of int
        Cells per side, at least two distinct values.
    samples : int
        Samples per size.
    seed : int or SeedSequence
        Root seed; size k uses child k.
    criterion : {'any', 'all', 'x'}
    bootstrap : int
        Bootstrap resamples for the standard error of each crossing.
    workers : int, optional
        Threads running the samples (default: see :func:`sample_onsets`).
    progress : callable, optional
        Called with 1 after each sample (a progress bar).

    Returns
    -------
    ThresholdEstimate
        Estimate, statistical and systematic errors, onsets per size and pair crossings.
    """
    sizes = tuple(sorted(set(int(s) for s in sizes)))
    if len(sizes) < 2:
        raise ValueError("need at least two sizes")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    children = ss.spawn(len(sizes) + 1)
    onsets = {L: sample_onsets(lattice, L, samples, children[k], workers, progress)
              for k, L in enumerate(sizes)}
    pst = {L: combine(onsets[L], criterion) for L in sizes}
    boot_rng = np.random.default_rng(children[-1])
    pairs = []
    for L1, L2 in zip(sizes[:-1], sizes[1:]):
        a, b = pst[L1], pst[L2]
        p = crossing(a, b)
        reps = np.asarray([crossing(a[boot_rng.integers(0, a.size, a.size)],
                                    b[boot_rng.integers(0, b.size, b.size)])
                           for _ in range(bootstrap)])
        se = float(np.nanstd(reps, ddof=1)) if np.isfinite(reps).sum() > 2 else float("nan")
        pairs.append((L1, L2, p, se))
    p_c, se = pairs[-1][2], pairs[-1][3]
    sys_err = abs(pairs[-1][2] - pairs[-2][2]) if len(pairs) >= 2 else 0.0
    return ThresholdEstimate(lattice=lattice, sizes=sizes, samples=samples, criterion=criterion,
                             onsets=onsets, pair_crossings=pairs, p_c=float(p_c),
                             stat_err=float(se), sys_err=float(sys_err),
                             seed=seed if isinstance(seed, int) else None)
