"""The refresh of the elastic field (docs/kmc_elastic.md sections 3 and 6.3).

A refresh recomputes the interaction stress of every site from all eigenstrains by FFT
(:func:`.eshelby.lattice_field`, Python layer :meth:`.elastic.ElasticField.refresh`) and
empties the pending list (:func:`finish_refresh`, pure numba). :func:`refresh_interval` is
the rule for how many changes lie between two refreshes.
"""

from __future__ import annotations

import math

from numba import njit

__all__ = ["KAPPA_EXACT", "PER_SITE_WINDOWED", "finish_refresh", "refresh_interval"]


@njit(cache=True)
def finish_refresh(field, K0, eps, phi, tot, seen, pend_site, pend_n, q_pos):
    """Complete a refresh from the FFT result: interaction stress, sums, empty pending list.

    Parameters
    ----------
    field : numpy.ndarray
        float64 (N,): ``sum_k K(r_j - r_k) e_k`` from a fresh FFT (self-terms included).
    K0 : float
        The self-term ``K(0)``.
    eps, phi, tot, seen, pend_site, pend_n, q_pos : numpy.ndarray
        The arrays of :data:`ElasticState` of those names (phi, tot, seen, pend_n updated,
        the query cache ``q_pos`` emptied).
    """
    acc = 0.0
    for j in range(field.shape[0]):
        phi[j] = field[j] - K0 * eps[j]
        acc += eps[j]
    tot[0] = acc
    tot[1] = 0.0
    for i in range(min(pend_n[1], pend_site.shape[0])):
        seen[pend_site[i]] = 0
    pend_n[0] = 0
    pend_n[1] = 0
    q_pos[:] = 0


#: changes between two refreshes in exact mode, in units of ``sqrt(N log2 N)``
#: (:func:`refresh_interval`; measured, docs/kmc_elastic.md section 6.3)
KAPPA_EXACT = 2.5

#: changes between two refreshes in windowed mode, per site (the lag its validation used)
PER_SITE_WINDOWED = 0.02


def refresh_interval(n_sites: int, exact: bool, per_site: float | None = None) -> float:
    """Eigenstrain changes between two refreshes of the field, per site.

    A refresh costs one FFT pair, ``c_fft N log2 N``; in exact mode a query costs one term
    per site changed since the refresh, about ``gamma`` times the changes ``n`` since then.
    With ``r`` changes per event and a refresh every ``R`` changes the cost per event is
    ``c_fft N log2 N r / R + c_scan gamma R / 2``, least at

        R* = sqrt(2 r c_fft / (gamma c_scan)) sqrt(N log2 N) = KAPPA_EXACT sqrt(N log2 N),

    where it is ``2 sqrt(...)``: the exact mode's cost grows as ``sqrt(N log2 N)`` per event,
    and a fixed share of N per refresh (``R = p N``) leaves the optimum as N grows (the scan
    grows as N). With the query cache (:func:`.elastic_pending.exact_far_flat`) a query costs
    the fewer of the slots and the changes since the site's last query, so the terms grow
    more slowly than ``gamma n`` and the optimum ``KAPPA_EXACT`` is larger (2.5 against 1.2
    without the cache; measured, docs/kmc_elastic.md 6.3). The windowed mode has no scan:
    its interval sets its lag (the far field of the changes since the refresh is replaced by
    its mean), so it stays a share of N.

    Parameters
    ----------
    n_sites : int
        Sites of the lattice (N).
    exact : bool
        The exact query (else the windowed one).
    per_site : float, optional
        ``[simulation] elastic_refresh_per_site`` when set: used as it is.

    Returns
    -------
    float
        Changes per site between two refreshes (the field's capacity is its ceiling times N,
        at least 64).
    """
    if per_site is not None:
        return float(per_site)
    if not exact:
        return PER_SITE_WINDOWED
    N = float(n_sites)
    return KAPPA_EXACT * math.sqrt(N * math.log2(N)) / N
