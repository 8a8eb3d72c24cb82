"""Stress under a prescribed strain history, by numerical inversion of J(t).

Linear viscoelasticity at a fixed state (T, chi) gives the strain from the
stress history by the hereditary integral ``eps(t) = Int_0^t J(t - s) dsigma(s)``
(Boltzmann superposition). [Hao2022] does not say how its stress-relaxation and
tension curves were obtained from J(t) (docs/model.md E14); here the integral
equation is solved for sigma(t) by product integration:

* sigma jumps at t = 0 to ``eps(0+)/J(0)`` and is piecewise linear between nodes;
* each kernel is integrated exactly over each interval: the Debye (beta)
  kernels by the recursive convolution of exponentials, the viscoplastic
  kernel as the running integral of sigma, and the KWW kernel through the
  closed-form time integral of its creep function, ``Psi(u) = Int_0^u
  (1 - exp(-(s/tau)^chi)) ds`` (an O(N^2) sum), so the only approximation is
  the piecewise-linear stress (second order in the step). The anelastic strain
  is summed as itself, ``A_an Int psi(t - s) dsigma(s)``: written as sigma
  minus the history of ``exp(-(t/tau)^chi)`` it is a difference of two nearly
  equal numbers wherever tau_an >> t (1e11-1e15 s below 315 K), and that
  rounding noise, amplified on nearly coincident nodes, once gave
  sigma/sigma0 = 1.19 at 290 K;
* nodes are log-spaced (``points_per_decade``) from well below the fastest
  relevant beta time, merged with the requested output times.

The tests check it against the closed-form Debye (standard linear solid) and
Maxwell relaxations and its convergence with the node density.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gamma, gammainc

from ..config.material import Material
from .compliance import StatePoint
from .gumbel import GumbelGrid

__all__ = ["relax_stress", "relax_kernel", "LinearKernel", "kernel_of", "time_nodes",
           "kww_time_integral", "kww_creep_integral"]


def kww_time_integral(u_s, tau_s: float, chi: float) -> np.ndarray:
    """``Int_0^u exp(-(s/tau)^chi) ds = (tau/chi) Gamma(1/chi) P(1/chi, (u/tau)^chi)``.

    Parameters
    ----------
    u_s : array_like
        Upper limits (s).
    tau_s : float
        KWW time (s).
    chi : float
        Stretching exponent.

    Returns
    -------
    numpy.ndarray
        The integrals (s), of the shape of ``u_s``.
    """
    u = np.asarray(u_s, dtype=float)
    a = 1.0 / chi
    return tau_s * a * gamma(a) * gammainc(a, np.power(u / tau_s, chi))


_PSI_SERIES = 0.5      # below this z = (u/tau)^chi the creep integral is summed as a series
_PSI_MAX_TERMS = 24    # 0.5^24/24! ~ 1e-31: enough for double precision at z < 0.5


def kww_creep_integral(u_s, tau_s, chi) -> np.ndarray:
    """``Psi(u) = Int_0^u (1 - exp(-(s/tau)^chi)) ds``, accurate to rounding for every u >= 0.

    For ``z = (u/tau)^chi < 0.5`` by the series ``u sum_n (-1)^(n+1) z^n / (n! (n chi + 1))``
    (terms fall at least as z/n, no cancellation; Horner's rule, with as many
    terms as the largest z needs); above, as ``u - Int_0^u exp(...)``, where
    Psi(u)/u > 0.3 and the difference loses less than one digit. The direct form
    would cancel catastrophically where tau >> u: Psi(u) ~ u (u/tau)^chi is then
    many decades below u.

    Parameters
    ----------
    u_s, tau_s, chi : array_like
        Upper limits (s), KWW times (s) and exponents, broadcast together.

    Returns
    -------
    numpy.ndarray
        Psi (s), of the broadcast shape.
    """
    u, tau, c = np.broadcast_arrays(np.asarray(u_s, dtype=float), np.asarray(tau_s, dtype=float),
                                    np.asarray(chi, dtype=float))
    with np.errstate(divide="ignore", under="ignore"):
        z = np.power(u / tau, c)
    out = np.empty(u.shape)
    small = z < _PSI_SERIES
    if small.any():
        zs, cs = z[small], c[small]
        zmax = float(zs.max())
        n_terms = _PSI_MAX_TERMS
        if zmax > 0:
            # smallest N with zmax^N / N! below 1e-17 zmax (the first term)
            k = np.arange(1, _PSI_MAX_TERMS + 1)
            logt = (k - 1) * np.log(zmax) - np.cumsum(np.log(k))
            below = np.flatnonzero(logt < np.log(1e-17))
            n_terms = int(below[0]) + 1 if below.size else _PSI_MAX_TERMS
        acc = np.zeros(zs.shape)
        for n in range(n_terms, 0, -1):     # sum_n (-1)^(n+1) z^n/(n! (n c + 1)), Horner in z
            acc = zs / n * (1.0 / (n * cs + 1.0) - acc)
        out[small] = u[small] * acc
    big = ~small
    if big.any():
        out[big] = u[big] - kww_time_integral(u[big], tau[big], c[big])
    return out


def time_nodes(t_out: np.ndarray, t_start: float, points_per_decade: int) -> np.ndarray:
    """Log-spaced nodes from ``t_start`` to ``max(t_out)`` merged with ``t_out`` (0 first).

    A grid node closer to an output time than 5 % of the grid step is dropped:
    merging two independent log grids otherwise leaves intervals of a few ulp
    (e.g. 10^(k/40) computed by two ``geomspace`` calls), on which the step of
    the piecewise-linear stress is pure rounding noise.

    Parameters
    ----------
    t_out : numpy.ndarray
        Output times (s), positive.
    t_start : float
        First grid node after 0 (s).
    points_per_decade : int
        Grid density.

    Returns
    -------
    numpy.ndarray
        float64 (n,): sorted unique nodes, starting at 0 and containing every ``t_out``.
    """
    t_out = np.unique(np.asarray(t_out, dtype=float))
    t_end = float(t_out[-1])
    n = max(int(np.ceil(np.log10(t_end / t_start) * points_per_decade)), 1) + 1
    grid = np.geomspace(t_start, t_end, n)
    tol = 0.05 * (10.0 ** (1.0 / points_per_decade) - 1.0)
    j = np.clip(np.searchsorted(t_out, grid), 1, t_out.size - 1) if t_out.size > 1 else \
        np.zeros(grid.size, dtype=int)
    near = np.minimum(np.abs(grid - t_out[j]), np.abs(grid - t_out[np.maximum(j - 1, 0)]))
    grid = grid[near > tol * grid]
    return np.unique(np.concatenate([[0.0], grid, t_out]))


def default_start(sp: StatePoint, grid: GumbelGrid, t_first: float) -> float:
    """First solver node: 1e-3 of the earlier of ``t_first`` and the 1e-4 beta-time quantile.

    Never more than 12 decades before ``t_first``: modes faster than that have
    relaxed within the first solver interval.

    Parameters
    ----------
    sp : StatePoint
        tau_beta, chi, tau_max, tau_an of the state (see :func:`state_point`).
    grid : GumbelGrid
        The discrete distribution of beta times.
    t_first : float
        First output time (s).

    Returns
    -------
    float
        The first node after 0 (s).
    """
    q = np.searchsorted(np.cumsum(grid.w), 1e-4)
    fast = float(sp.tau_beta_s) * np.exp(grid.y[min(int(q), grid.y.size - 1)])
    return max(1e-3 * min(t_first, fast), 1e-12 * t_first)


@dataclass(frozen=True)
class LinearKernel:
    """A linear creep function as a sum of closed-form parts (all compliances in 1/MPa).

    ``J(t) = J_el + A_beta sum_i w_i (1 - e^{-t/tau_i})
           + A_an sum_m v_m (1 - exp(-(t/tau_m)^chi_m)) + k_vp t``
    """

    J_el: float
    A_beta: float
    beta_tau: np.ndarray
    beta_w: np.ndarray
    A_an: float
    kww_w: np.ndarray
    kww_tau: np.ndarray
    kww_chi: np.ndarray
    k_vp: float

    def creep(self, t_s) -> dict[str, np.ndarray]:
        """Creep compliance components at times ``t_s`` (1/MPa).

        Parameters
        ----------
        t_s : array_like
            Times (s).

        Returns
        -------
        dict of str to numpy.ndarray
            Components ``elastic``, ``beta``, ``anelastic``, ``plastic`` and ``total``, each of the
            shape of ``t_s``.
        """
        t = np.asarray(t_s, dtype=float)
        beta = self.A_beta * np.sum(self.beta_w * -np.expm1(-t[..., None] / self.beta_tau), axis=-1)
        an = self.A_an * np.sum(self.kww_w * -np.expm1(-np.power(t[..., None] / self.kww_tau,
                                                               self.kww_chi)), axis=-1)
        el = np.full(t.shape, self.J_el)
        out = {"elastic": el, "beta": beta, "anelastic": an, "plastic": self.k_vp * t}
        out["total"] = el + beta + an + out["plastic"]
        return out


def kernel_of(mat: Material, sp: StatePoint, grid: GumbelGrid) -> LinearKernel:
    """Return the mean-field kernel of [Hao2022] Eq. 25a at one (scalar) state point.

    Parameters
    ----------
    mat : Material
        The material parameters.
    sp : StatePoint
        tau_beta, chi, tau_max, tau_an of the state (see :func:`state_point`).
    grid : GumbelGrid
        The discrete distribution of beta times.

    Returns
    -------
    LinearKernel
        Debye beta modes, one KWW term and the viscoplastic rate.
    """
    return LinearKernel(
        J_el=mat.J_el_per_MPa, A_beta=mat.A_beta_per_MPa,
        beta_tau=float(sp.tau_beta_s) * np.exp(grid.y), beta_w=np.asarray(grid.w),
        A_an=mat.A_an_per_MPa, kww_w=np.ones(1), kww_tau=np.array([float(sp.tau_an_s)]),
        kww_chi=np.array([float(sp.chi)]), k_vp=mat.A_vp / float(sp.tau_max_s))


def relax_stress(
    mat: Material,
    sp: StatePoint,
    grid: GumbelGrid,
    strain_of_t: Callable[[np.ndarray], np.ndarray],
    t_out_s: np.ndarray,
    points_per_decade: int = 100,
    t_start_s: float | None = None,
) -> dict[str, np.ndarray]:
    """Solve ``eps(t) = Int_0^t J(t - s) dsigma(s)`` for sigma(t) at one state point.

    Parameters
    ----------
    mat, sp, grid
        Material, scalar state point and Gumbel grid defining J(t).
    strain_of_t : callable
        Total strain as a function of time (s); ``strain_of_t(0)`` is the
        strain right after a step at t = 0 (0 for a ramp from rest).
    t_out_s : ndarray
        Output times (s), > 0.
    points_per_decade : int
        Node density of the log-spaced solver grid.
    t_start_s : float, optional
        First node (default :func:`default_start`).

    Returns
    -------
    dict of ndarray
        ``time_s``, ``stress_MPa``, ``strain`` and its parts ``strain_elastic``,
        ``strain_beta``, ``strain_anelastic``, ``strain_plastic`` at ``t_out_s``.
    """
    t_out = np.asarray(t_out_s, dtype=float)
    if t_start_s is None:
        t_start_s = default_start(sp, grid, float(t_out.min()))
    return relax_kernel(kernel_of(mat, sp, grid), strain_of_t, t_out, points_per_decade, t_start_s)


_ROWS_PER_BLOCK = 128


def _interval_integrals(t: np.ndarray, rows: range, Psi, psi) -> np.ndarray:
    """``D[r, k-1] = Int over [t_{k-1}, t_k] of psi(t_i - s) ds`` for i = rows[r], k = 1..i-1.

    A difference of Psi where the interval is not short against its distance
    from t_i; otherwise Simpson's rule on the interval itself (relative error
    about (h/u)^4 < 1e-12), because ``t_i - t_k`` keeps only ``eps t_i`` of
    absolute precision, which a short early interval cannot afford. Entries
    with k >= i are 0. Shape (len(rows), rows[-1] - 1).
    """
    i = np.asarray(rows)
    m = int(i[-1])
    U = t[i][:, None] - t[None, :m]                 # t_i - t_j, j = 0..m-1
    valid = np.arange(m)[None, :] < i[:, None]
    P = np.zeros(U.shape)
    P[valid] = Psi(U[valid])
    D = P[:, :-1] - P[:, 1:]                         # Psi(t_i - t_{k-1}) - Psi(t_i - t_k)
    h = np.diff(t[:m])[None, :]
    lo = U[:, 1:]
    short = valid[:, 1:] & (h < 1e-3 * lo)
    if short.any():
        hh = np.broadcast_to(h, lo.shape)[short]
        ls = lo[short]
        D[short] = hh / 6.0 * (psi(ls) + 4.0 * psi(ls + 0.5 * hh) + psi(ls + hh))
    D[~valid[:, 1:]] = 0.0
    return D


def relax_kernel(kernel: LinearKernel, strain_of_t, t_out_s, points_per_decade: int,
                 t_start_s: float) -> dict[str, np.ndarray]:
    """:func:`relax_stress` for any :class:`LinearKernel` (e.g. disorder-averaged ones).

    Parameters
    ----------
    kernel : LinearKernel
        The creep kernel.
    strain_of_t : callable
        Total strain as a function of an array of times (s).
    t_out_s : array_like
        Output times (s).
    points_per_decade : int
        Density of the solver's log grid.
    t_start_s : float
        First node after 0 (s).

    Returns
    -------
    dict of str to numpy.ndarray
        ``time_s``, ``stress_MPa``, ``strain`` and ``strain_elastic|beta|anelastic|plastic``,
        each float64 (n_out,) at ``t_out_s``.
    """
    t_out = np.asarray(t_out_s, dtype=float)
    t = time_nodes(t_out, t_start_s, points_per_decade)
    eps = np.asarray(strain_of_t(t), dtype=float) * np.ones_like(t)
    n = t.size
    Jel, Ab, Aan, kvp = kernel.J_el, kernel.A_beta, kernel.A_an, kernel.k_vp
    tau_i, W = kernel.beta_tau, kernel.beta_w
    v, tan, c = kernel.kww_w, kernel.kww_tau, kernel.kww_chi

    def Psi(u):  # sum_m v_m Int_0^u (1 - exp(-(s/tau_m)^chi_m)) ds, for an array of u
        return np.sum(v[:, None] * kww_creep_integral(u[None, :], tan[:, None], c[:, None]), axis=0)

    def psi(u):  # sum_m v_m (1 - exp(-(u/tau_m)^chi_m))
        return np.sum(v[:, None] * -np.expm1(-np.power(u[None, :] / tan[:, None], c[:, None])),
                      axis=0)

    sig = np.empty(n)
    slope = np.zeros(n)
    sig[0] = eps[0] / Jel
    E_i = np.full(tau_i.size, sig[0])   # Int e^{-(t-s)/tau_i} dsigma(s), including the jump
    Q = 0.0                             # Int_0^t sigma ds
    parts = {k: np.empty(n) for k in ("elastic", "beta", "anelastic", "plastic")}
    parts["elastic"][0] = Jel * sig[0]
    parts["beta"][0] = parts["anelastic"][0] = parts["plastic"][0] = 0.0
    h_all = np.diff(t)
    # KWW: the anelastic creep strain itself, A_an Int psi(t_i - s) dsigma(s), is summed
    # directly -- never as sigma minus a history of nearly the same size, which cancels to
    # rounding noise where tau_an >> t (it gave sigma/sigma0 up to 1.19 at 290 K)
    psi_t = psi(t)
    Psi_h = Psi(h_all)
    D, i0 = None, 1
    for i in range(1, n):
        if D is None or i - i0 >= D.shape[0]:
            i0 = i
            D = _interval_integrals(t, range(i, min(i + _ROWS_PER_BLOCK, n)), Psi, psi)
        h = h_all[i - 1]
        decay = np.exp(-h / tau_i)
        gain = -tau_i * np.expm1(-h / tau_i)           # Int over the interval of e^{-(t_i-s)/tau}
        E_old = decay * E_i
        an_hist = sig[0] * psi_t[i] + np.dot(slope[1:i], D[i - i0, :i - 1])
        # eps_i as a linear function a + b * slope_i  (sigma_i = sigma_{i-1} + slope_i h)
        s_prev = sig[i - 1]
        a = (Jel * s_prev + Ab * (s_prev - np.dot(W, E_old)) + Aan * an_hist
             + kvp * (Q + h * s_prev))
        b = (Jel * h + Ab * (h - np.dot(W, gain)) + Aan * Psi_h[i - 1] + kvp * 0.5 * h * h)
        slope[i] = (eps[i] - a) / b
        sig[i] = s_prev + slope[i] * h
        E_i = E_old + slope[i] * gain
        Q += 0.5 * h * (s_prev + sig[i])
        parts["elastic"][i] = Jel * sig[i]
        parts["beta"][i] = Ab * (sig[i] - np.dot(W, E_i))
        parts["anelastic"][i] = Aan * (an_hist + slope[i] * Psi_h[i - 1])
        parts["plastic"][i] = kvp * Q
    idx = np.searchsorted(t, t_out)
    return {
        "time_s": t_out,
        "stress_MPa": sig[idx],
        "strain": eps[idx],
        "strain_elastic": parts["elastic"][idx],
        "strain_beta": parts["beta"][idx],
        "strain_anelastic": parts["anelastic"][idx],
        "strain_plastic": parts["plastic"][idx],
    }
