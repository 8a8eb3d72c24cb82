"""Discrete Gumbel distribution of beta relaxation times ([Hao2022] Eq. 24).

With ``y = ln(tau/<tau_beta>)`` the weights are ``W(y) ∝ exp(B y - exp(B y))``;
``<tau_beta>`` is the mode, and a larger B is a narrower distribution
(docs/model.md E4). This is exactly the law of ``tau = <tau_beta> E^(1/B)`` with
``E ~ Exp(1)``, which is how the kMC samples it (docs/model.md section 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["GumbelGrid", "gumbel_grid"]

# In z = B y the density is exp(z - e^z): the mass below z = -40 is e^-40 and above
# z = 4 is exp(-e^4) ~ 2e-24, so [-40, 4] holds the distribution to double precision.
_Z_LO, _Z_HI = -40.0, 4.0


@dataclass(frozen=True)
class GumbelGrid:
    """Nodes ``y_i = ln(tau_i/<tau_beta>)`` and normalised weights ``W_i``."""

    y: np.ndarray
    w: np.ndarray

    def __len__(self) -> int:
        return self.y.size


@lru_cache(maxsize=64)
def gumbel_grid(B: float, n: int) -> GumbelGrid:
    """Discrete Gumbel weights on ``n`` equally spaced nodes in ln tau.

    The nodes span the interval that holds the distribution to double
    precision, so the discrete sum converges to the continuous Gumbel average
    as n grows (midpoint rule on a smooth, rapidly decaying density).

    Parameters
    ----------
    B : float
        Gumbel shape parameter (> 0).
    n : int
        Number of nodes; ``n = 1`` is a single Debye time at the mode.

    Returns
    -------
    GumbelGrid
        Read-only nodes ``y = ln(tau/<tau_beta>)`` and weights ``w`` (summing to 1), shape (n,).

    Examples
    --------
    >>> g = gumbel_grid(0.5, 5)
    >>> len(g), round(float(g.w.sum()), 12)
    (5, 1.0)
    """
    if n == 1:
        return GumbelGrid(np.zeros(1), np.ones(1))
    z = np.linspace(_Z_LO, _Z_HI, n)
    logw = z - np.exp(z)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    y = z / B
    y.setflags(write=False)
    w.setflags(write=False)
    return GumbelGrid(y, w)
