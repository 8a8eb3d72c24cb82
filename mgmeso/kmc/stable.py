"""One-sided (totally skewed) stable law of index chi, by Kanter's representation.

For 0 < chi < 1 the positive variable ``S`` with Laplace transform
``E[exp(-s S)] = exp(-s^chi)`` is ([Kanter1975])::

    S = sin(chi U) / sin(U)^(1/chi) * (sin((1 - chi) U) / W)^((1 - chi)/chi),

with ``U ~ Uniform(0, pi)`` and ``W ~ Exp(1)`` independent; ``S = 1`` at chi = 1.
A relaxing unit with rate ``S / tau`` therefore relaxes, averaged over S, as
``exp(-(t/tau)^chi)``: the stretched exponential of the QPD model is exactly
an ensemble of Debye units with stable-distributed rates (docs/model.md section 2).
The kMC stores (U, W) per site so that S can be recomputed when chi changes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kanter", "sample_uw"]


def sample_uw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Independent ``U ~ Uniform(0, pi)`` (open) and ``W ~ Exp(1)`` for n units.

    Parameters
    ----------
    rng : numpy.random.Generator
        The stream.
    n : int
        Number of units.

    Returns
    -------
    u, w : numpy.ndarray
        float64 (n,) each.
    """
    u = np.pi * (1.0 - rng.random(n))          # (0, pi]
    u = np.minimum(u, np.nextafter(np.pi, 0))  # (0, pi)
    w = rng.standard_exponential(n)
    return u, w


def kanter(u, w, chi):
    """log S for Kanter's variables (u, w) at index chi (broadcasting); 0 where chi = 1.

    Parameters
    ----------
    u, w : array_like
        Kanter's uniform and exponential variables.
    chi : array_like
        Index of the stable law, in (0, 1].

    Returns
    -------
    numpy.ndarray
        log S, of the broadcast shape.
    """
    u = np.asarray(u, dtype=float)
    w = np.asarray(w, dtype=float)
    c = np.asarray(chi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logS = (np.log(np.sin(c * u)) - np.log(np.sin(u)) / c
                + (1.0 - c) / c * (np.log(np.sin((1.0 - c) * u)) - np.log(w)))
    return np.where(c >= 1.0, 0.0, logS)
