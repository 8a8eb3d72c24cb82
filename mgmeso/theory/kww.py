"""Exact Laplace-Carson transform of the KWW (stretched-exponential) creep term.

For the anelastic creep function ``f(t) = 1 - exp(-(t/tau)^chi)`` ([Hao2022]
Eq. 17a) the Laplace-Carson transform at ``p = i w`` is::

    K(x, chi) = p * Int_0^inf f(t) exp(-p t) dt = Int_0^inf exp(-i x u) d(1 - exp(-u^chi)),

with ``x = w tau`` and ``u = t/tau``; ``K = K' - i K''`` with K'' >= 0, and
K -> 1 as x -> 0. [Hao2022] Eq. 25b keeps only the leading high-frequency
term ``(i x)^-chi`` (without Gamma(1 + chi); docs/model.md E10); this module gives the
whole function to ~1e-12 relative, by three routes chosen point by point:

* ``chi == 1``: the Debye function ``1/(1 + i x)``.
* The convergent series ``sum_k>=1 (-1)^(k+1) Gamma(1 + k chi)/k! (i x)^(-k chi)``
  (convergent for every x when chi < 1), used where its largest term is
  bounded (no cancellation) and its tail is negligible: large x, and all x
  for small chi.
* Elsewhere, double-exponential (exp-sinh) quadrature of the same integral
  written with ``r = u^chi`` along the ray ``r e^{-i chi theta}``, theta = pi/4:
  ``K = e^{-i chi theta} Int_0^inf exp(-r e^{-i chi theta} - i x r^(1/chi) e^{-i theta}) dr``.
  Cauchy's theorem allows the rotation (the integrand decays in the sector),
  and on the ray both exponentials decay at least as fast as they oscillate,
  so the integrand is smooth and non-oscillatory.

The tests compare against mpmath quadrature on a different contour.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln

__all__ = ["kww_carson", "kww_carson_paper"]

_THETA = np.pi / 4
_H = 1.0 / 80.0
_T = 4.0
_K_SERIES = 600
_LOG_MAX_TERM = np.log(1e3)  # accept at most ~3 digits of cancellation in the series
_LOG_TAIL = np.log(1e-18)

_t = np.arange(-_T, _T + _H / 2, _H)
_ES_X = np.exp(0.5 * np.pi * np.sinh(_t))
_ES_W = _ES_X * 0.5 * np.pi * np.cosh(_t) * _H
del _t


def _series(x: np.ndarray, chi: np.ndarray, n_terms: int = 120) -> tuple[np.ndarray, np.ndarray]:
    """Series value and a mask of where it may be trusted.

    A first pass with ``n_terms`` terms; points whose tail has not decayed are
    retried with ``_K_SERIES`` terms (needed only close to x^chi ~ 1).
    """
    k = np.arange(1, n_terms + 1)[None, :]
    c = chi[:, None]
    logmag = gammaln(1.0 + k * c) - gammaln(1.0 + k) - k * c * np.log(x)[:, None]
    bounded = logmag.max(axis=1) < _LOG_MAX_TERM
    ok = bounded & (logmag[:, -1] < _LOG_TAIL)
    val = np.zeros(x.shape, dtype=complex)
    if ok.any():
        lm = logmag[ok]
        kk = np.broadcast_to(k, lm.shape)
        phase = np.exp(-0.5j * np.pi * c[ok] * kk)
        sign = np.where(kk % 2 == 1, 1.0, -1.0)
        val[ok] = np.sum(sign * np.exp(lm) * phase, axis=1)
    retry = bounded & ~ok
    if retry.any() and n_terms < _K_SERIES:
        v2, ok2 = _series(x[retry], chi[retry], _K_SERIES)
        val[retry] = v2
        ok[retry] = ok2
    return val, ok


def _quadrature(x: np.ndarray, chi: np.ndarray) -> np.ndarray:
    c = chi[:, None]
    xx = x[:, None]
    scale = 1.0 / (1.0 + np.power(xx, c))
    r = scale * _ES_X[None, :]
    a = np.exp(-1j * c * _THETA)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        rp = np.power(r, 1.0 / c)
        f = np.exp(-r * a - 1j * xx * np.exp(-1j * _THETA) * rp)
    f = np.where(np.isfinite(f), f, 0.0)
    return a[:, 0] * np.sum(f * (scale * _ES_W[None, :]), axis=1)


def kww_carson(x, chi) -> np.ndarray:
    """Exact Laplace-Carson transform of ``1 - exp(-(t/tau)^chi)`` at ``x = w tau``.

    Parameters
    ----------
    x : array_like
        Reduced frequency w*tau (> 0).
    chi : array_like
        Stretching exponent in (0, 1]; broadcast against ``x``.

    Returns
    -------
    ndarray of complex
        ``K = K' - i K''`` (K'' >= 0), broadcast shape of the inputs.
    """
    xb, cb = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(chi, dtype=float))
    shape = xb.shape
    xf = xb.ravel()
    cf = cb.ravel()
    if np.any(xf <= 0) or np.any((cf <= 0) | (cf > 1)):
        raise ValueError("kww_carson needs x > 0 and 0 < chi <= 1")
    out = np.empty(xf.shape, dtype=complex)
    debye = cf >= 1.0 - 1e-12
    out[debye] = 1.0 / (1.0 + 1j * xf[debye])
    rest = ~debye
    if rest.any():
        xr, cr = xf[rest], cf[rest]
        val, ok = _series(xr, cr)
        if (~ok).any():
            val[~ok] = _quadrature(xr[~ok], cr[~ok])
        out[rest] = val
    return out.reshape(shape)


def kww_carson_paper(x, chi) -> np.ndarray:
    """Asymptotic form of [Hao2022] Eq. 25b: ``(i x)^(-chi)``, without Gamma(1+chi).

    Only valid for x >> 1 and unbounded as x -> 0 (docs/model.md E10); kept to
    reproduce the papers' figures.

    Parameters
    ----------
    x : array_like
        Reduced frequency ``omega tau_an``.
    chi : array_like
        Stretching exponent.

    Returns
    -------
    numpy.ndarray
        complex128, of the broadcast shape.
    """
    x = np.asarray(x, dtype=float)
    chi = np.asarray(chi, dtype=float)
    return np.power(x, -chi) * np.exp(-0.5j * np.pi * chi)
