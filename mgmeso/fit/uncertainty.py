"""Standard errors and correlations at a least-squares optimum, with undetermined parameters named.

With the Jacobian J (n x p) of the weighted, scaled residuals in search coordinates x and
``s^2 = SSR / (n - p)``:

1. Columns of J are normalised (``Jn = J D^-1``, D the column norms), so that the test below
   does not depend on the units of the coordinates.
2. Singular value decomposition ``Jn = U S V^T``. A direction with ``S_k <= 1e-6 S_max`` is not
   determined by the data: a step along it changes the residuals by less than one part in 1e6 of
   the best-determined direction, below the accuracy of a finite-difference Jacobian. A
   parameter with weight ``|V_ik| > 0.1`` on such a direction, or whose column of J vanishes,
   is *undetermined*: its standard error is NaN and its correlations are NaN.
3. For the rest, ``cov_x = s^2 D^-1 V_d S_d^-2 V_d^T D^-1`` over the determined directions, and
   the covariance of the parameter values is ``G cov_x G^T`` with ``G = d value / d x`` (delta
   method; for a log coordinate ``se(theta) = theta se(ln theta)``).
4. Correlations are ``cov_ij / (se_i se_j)`` of a symmetric matrix, so they lie in [-1, 1]; they
   are clipped there only against rounding.

Clipping a negative variance to 0 (what the pseudo-inverse of J^T J gave before) would report a
standard error of exactly 0 for a parameter the data say nothing about.
"""

from __future__ import annotations

import numpy as np

__all__ = ["REL_SINGULAR", "covariance"]

REL_SINGULAR = 1e-6
_WEIGHT = 0.1


def covariance(J: np.ndarray, s2: float, G: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariance of the values, their standard errors and correlations.

    Parameters
    ----------
    J : (n, p) array
        Jacobian of the residuals with respect to the search coordinates.
    s2 : float
        Residual variance SSR / (n - p).
    G : (p, p) array
        d value_i / d x_j.

    Returns
    -------
    cov, se, corr : (p, p), (p,), (p, p) arrays
        NaN rows/columns (and se) for undetermined parameters.
    """
    n, p = J.shape
    undetermined = np.zeros(p, bool)
    cov_x = np.full((p, p), np.nan)
    d = np.linalg.norm(J, axis=0)
    if not np.all(np.isfinite(J)):
        undetermined[:] = True
    else:
        undetermined |= ~(d > 1e-7 * np.sqrt(n))
        keep = np.flatnonzero(~undetermined)
        if keep.size:
            Jn = J[:, keep] / d[keep]
            try:
                _, S, Vt = np.linalg.svd(Jn, full_matrices=False)
            except np.linalg.LinAlgError:
                S, Vt = np.zeros(0), np.zeros((0, keep.size))
                undetermined[keep] = True
            if S.size:
                null = S <= REL_SINGULAR * S[0]
                weak = np.any(np.abs(Vt[null]) > _WEIGHT, axis=0) if null.any() else np.zeros(keep.size, bool)
                Vd, Sd = Vt[~null].T, S[~null]
                c = s2 * (Vd / Sd**2) @ Vd.T
                c = c / np.outer(d[keep], d[keep])
                undetermined[keep[weak]] = True
                cov_x[np.ix_(keep, keep)] = c
    cov_x[undetermined, :] = np.nan
    cov_x[:, undetermined] = np.nan
    # the transform couples only determined coordinates with each other when G is block-diagonal;
    # a value that depends on an undetermined coordinate is itself undetermined
    dep = (np.abs(G) > 0) & undetermined[None, :]
    und_v = undetermined | dep.any(axis=1)
    Gz = np.where(undetermined[None, :], 0.0, G)
    cov = Gz @ np.nan_to_num(cov_x) @ Gz.T
    cov = 0.5 * (cov + cov.T)
    var = np.diag(cov).copy()
    und_v |= ~(var >= 0)
    se = np.sqrt(np.where(und_v, np.nan, np.maximum(var, 0.0)))
    den = np.outer(se, se)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(den > 0, cov / np.where(den > 0, den, 1.0), 0.0)   # a perfect fit: se = 0
    corr = np.clip(corr, -1.0, 1.0)
    corr[und_v, :] = np.nan
    corr[:, und_v] = np.nan
    for i in range(p):
        if not und_v[i]:
            corr[i, i] = 1.0
    cov[und_v, :] = np.nan
    cov[:, und_v] = np.nan
    return cov, se, corr
