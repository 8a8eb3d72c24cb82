"""Composition-rejection event selection ([Slepoy2008]), an alternative to the sum tree.

Every site is binned by its total rate ``r`` (the leaf of :mod:`.sumtree`) into the class of
its binary exponent: ``r = m 2^e`` with ``m`` in [1/2, 1) (``math.frexp``), class
``c = e - E_MIN + 1``; class 0 holds the sites of zero rate. A class's members have rates in
[2^(e-1), 2^e), so with the upper bound ``B_c = 2^e`` a member is accepted with probability
``r/B_c = m >= 1/2``. A selection

1. draws a class with probability ``W_c / W``, where ``W_c = n_c B_c`` (``n_c`` members) and
   ``W = sum_c W_c``: a binary search of the cumulative weights over the range of occupied
   classes (17-23 classes in the configurations of ``scripts/bench_kmc.py``; about 50 for
   rates spanning 15 decades);
2. draws a member ``j`` of that class uniformly;
3. accepts it with probability ``m_j`` (the mantissa of its rate), else starts again at 1.

One round picks site ``j`` with probability ``(W_c/W)(1/n_c)(r_j/B_c) = r_j/W``, so the
accepted site has probability ``r_j / sum r``: the distribution of the tree, with at most
two rounds on average, whatever N. It is the same process as the tree, not the same bytes
(the draws differ). The weights ``n_c 2^e`` are exact in floating point and the cumulative
sums are recomputed from the counts (never updated by differences), so they do not drift.

Layout (arrays of the ``Sites`` group, :mod:`.layout`):

* ``members`` int32[N]: the sites, grouped by class in class order (a packed CSR);
* ``pos`` int32[N]: the position of each site in ``members`` (for :func:`cr_update` only;
  the engine leaves it empty);
* ``start`` int64[N_CLASSES + 3]: ``start[c]`` the first position of class ``c``,
  ``start[N_CLASSES] = N``; ``start[LO]``, ``start[HI]`` the first and last occupied class
  of nonzero rate (``LO > HI``: none);
* ``cum`` float64[N_CLASSES + 1]: ``cum[c] = sum of W_c'`` over ``1 <= c' < c``.

:func:`cr_update` changes one rate in O(1) (bounded by the number of classes, independent of
N): the site is swapped with the edge of its class and the hole walks through the classes in
between, one move per occupied class. The non-interacting engine changes rates only
wholesale (temperature, classification, defect updates) and rebuilds (:func:`cr_build`), so
it does not allocate ``pos``.

The engine draws with :func:`cr_find` on lattices whose site arrays stay in the L2 cache, and
with :func:`cr_pop` (the same proposals, drawn ahead of the events so that their memory is
fetched in time) on larger ones.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..config.tables import AUTO_COMPOSITION_MIN_SITES
from .prefetch import prefetch
from .rng import uniform

__all__ = ["AUTO_MIN_SITES", "E_MIN", "N_CLASSES", "LO", "HI", "AHEAD",
           "rate_class", "cr_arrays", "cr_build", "cr_update", "cr_slot", "cr_accept",
           "cr_find", "cr_weight", "cr_queue", "cr_fill", "cr_pop"]

#: ``math.frexp`` exponent of the smallest positive double (the subnormal 2^-1074)
E_MIN = -1073
#: class 0 (zero rate) and one class per exponent E_MIN..1024 of a positive finite double
N_CLASSES = 1024 - E_MIN + 2
#: header slots of ``start``: first and last occupied class of nonzero rate
LO, HI = N_CLASSES + 1, N_CLASSES + 2


#: [simulation] event_selection = "auto": composition-rejection from this many sites
AUTO_MIN_SITES = AUTO_COMPOSITION_MIN_SITES


@njit(cache=True, inline='always')
def rate_class(r):
    """Return the class of a rate.

    Parameters
    ----------
    r : float
        Rate (1/s), >= 0.

    Returns
    -------
    int
        0 for a zero rate, else its frexp exponent - E_MIN + 1.
    """
    if r <= 0.0:
        return 0
    return math.frexp(r)[1] - E_MIN + 1


def cr_arrays(n_sites: int, positions: bool = True
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return empty selection arrays for ``n_sites`` sites (fill them with :func:`cr_build`).

    Parameters
    ----------
    n_sites : int
        Number of sites.
    positions : bool, optional
        Allocate the position index ``pos`` needed by :func:`cr_update`; the engine, which
        only rebuilds, passes False and saves its 4 bytes per site.

    Returns
    -------
    members : ndarray of int32, shape (n_sites,)
    pos : ndarray of int32, shape (n_sites,) or (0,)
    start : ndarray of int64, shape (N_CLASSES + 3,)
    cum : ndarray of float64, shape (N_CLASSES + 1,)
    """
    return (np.zeros(n_sites, np.int32), np.zeros(n_sites if positions else 0, np.int32),
            np.zeros(N_CLASSES + 3, np.int64), np.zeros(N_CLASSES + 1))


@njit(cache=True)
def cr_weights(start, cum):
    """Recompute ``cum`` and the occupied range from the class sizes in ``start``, in place.

    Parameters
    ----------
    start : ndarray of int64, shape (N_CLASSES + 3,)
        Class starts in ``members``; its header slots LO, HI are written.
    cum : ndarray of float64, shape (N_CLASSES + 1,)
        Cumulative class weights ``n_c 2^e``, written.
    """
    cum[0] = 0.0
    cum[1] = 0.0
    lo, hi = N_CLASSES, 0
    for c in range(1, N_CLASSES):
        n = start[c + 1] - start[c]
        w = 0.0
        if n > 0:
            w = math.ldexp(float(n), c - 1 + E_MIN)     # n_c 2^e, exact
            lo = min(lo, c)
            hi = c
        cum[c + 1] = cum[c] + w
    start[LO] = lo
    start[HI] = hi


@njit(cache=True)
def cr_build(leaves, members, pos, start, cum):
    """Bin every site by the class of its rate (a stable counting sort: members of a class in
    increasing site order) and fill the cumulative weights.

    Parameters
    ----------
    leaves : ndarray, float64[N]
        Total rate of every site (>= 0, finite).
    members, pos : ndarray, int32[N]
        Written: the sites grouped by class, and each site's position there (``pos`` may be
        empty: not written).
    start : ndarray, int64[N_CLASSES + 3]
        Written: class starts and the occupied range (module docstring).
    cum : ndarray, float64[N_CLASSES + 1]
        Written: cumulative class weights.
    """
    n = leaves.size
    start[:] = 0
    for j in range(n):
        start[rate_class(leaves[j]) + 1] += 1
    for c in range(N_CLASSES):
        start[c + 1] += start[c]
    # start[c] is now the first position of class c; fill with a running cursor per class
    fill = start[:N_CLASSES].copy()
    positions = pos.size == n
    for j in range(n):
        c = rate_class(leaves[j])
        k = fill[c]
        members[k] = j
        if positions:
            pos[j] = k
        fill[c] = k + 1
    cr_weights(start, cum)


@njit(cache=True, inline='always')
def _put(members, pos, k, j):
    members[k] = j
    pos[j] = k


@njit(cache=True)
def cr_update(leaves, members, pos, start, cum, j, value):
    """Set the rate of site ``j`` to ``value`` (>= 0, finite) and move it to its new class.

    Parameters
    ----------
    leaves : ndarray, float64[N]
        Rates (``leaves[j]`` written).
    members, pos, start, cum : ndarray
        The class arrays (:func:`cr_build`), updated.
    j : int
        Site.
    value : float
        Its new rate.
    """
    a = rate_class(leaves[j])
    b = rate_class(value)
    leaves[j] = value
    if a == b:
        return                      # same class: same weights (the acceptance reads the rate)
    p = pos[j]
    if a < b:
        # j to the last slot of class a, then the hole walks up to the first slot of class b
        hole = start[a + 1] - 1
        _put(members, pos, p, members[hole])
        for c in range(a + 1, b + 1):
            start[c] -= 1           # the hole is now the first slot of class c
            if c == b:
                break
            last = start[c + 1] - 1
            if last != hole:        # class c not empty: its last member fills the hole
                _put(members, pos, hole, members[last])
                hole = last
        _put(members, pos, hole, j)
    else:
        # j to the first slot of class a, then the hole walks down to the last slot of class b
        hole = start[a]
        _put(members, pos, p, members[hole])
        for c in range(a, b, -1):
            start[c] += 1           # the hole is now the last slot of class c - 1
            if c - 1 == b:
                break
            first = start[c - 1]
            if first != hole:       # class c - 1 not empty: its first member fills the hole
                _put(members, pos, hole, members[first])
                hole = first
        _put(members, pos, hole, j)
    cr_weights(start, cum)


@njit(cache=True, inline='always')
def cr_weight(start, cum):
    """Return the total proposal weight.

    Parameters
    ----------
    start : ndarray of int64
        Class starts (unused; kept for a uniform signature).
    cum : ndarray of float64, shape (N_CLASSES + 1,)
        Cumulative class weights.

    Returns
    -------
    float
        ``W = sum_c n_c 2^e`` (1/s), at least the total rate and at most twice it.
    """
    return cum[N_CLASSES]


@njit(cache=True, inline='always')
def cr_slot(rng, start, cum):
    """Return the position in ``members`` of one proposal.

    A class with probability ``W_c / W``, then a uniform member of it (two uniforms of ``rng``).

    Parameters
    ----------
    rng : ndarray of uint64
        State of the engine's generator, advanced in place.
    start : ndarray of int64, shape (N_CLASSES + 3,)
        Class starts.
    cum : ndarray of float64, shape (N_CLASSES + 1,)
        Cumulative class weights (the total must be > 0).

    Returns
    -------
    int
        Index into ``members``.
    """
    u = uniform(rng) * cum[N_CLASSES]
    lo, hi = start[LO], start[HI]
    while lo < hi:                  # the largest occupied class with cum[c] <= u
        mid = (lo + hi + 1) >> 1
        if cum[mid] <= u:
            lo = mid
        else:
            hi = mid - 1
    a = start[lo]
    n = start[lo + 1] - a
    k = a + int(uniform(rng) * n)
    if k >= a + n:                  # rounding of uniform * n
        k = a + n - 1
    return k


@njit(cache=True, inline='always')
def cr_accept(rng, leaves, j):
    """Return whether proposal ``j`` is accepted (one uniform of ``rng``).

    Parameters
    ----------
    rng : ndarray of uint64
        State of the engine's generator, advanced in place.
    leaves : ndarray of float64, shape (N,)
        Site rates (1/s).
    j : int
        Proposed site.

    Returns
    -------
    bool
        True with probability ``r_j / B_c``, the mantissa of the rate (>= 1/2).
    """
    return uniform(rng) < math.frexp(leaves[j])[0]


@njit(cache=True, inline='always')
def cr_find(rng, leaves, members, start, cum):
    """Draw a site with probability ``leaves[j] / sum(leaves)`` (the total must be > 0).

    Three uniforms of ``rng`` per round (class, member, acceptance); at most two rounds on
    average.

    Parameters
    ----------
    rng : ndarray of uint64
        State of the engine's generator, advanced in place.
    leaves : ndarray of float64, shape (N,)
        Site rates (1/s).
    members, start, cum : ndarray
        The classes (:func:`cr_arrays`, filled by :func:`cr_build`).

    Returns
    -------
    int
        The drawn site.
    """
    while True:
        j = members[cr_slot(rng, start, cum)]
        if cr_accept(rng, leaves, j):
            return j


#: depth of each of the two proposal queues of :func:`cr_pop` (a power of 2)
AHEAD = 32


def cr_queue() -> np.ndarray:
    """Return empty proposal queues of :func:`cr_pop`.

    Returns
    -------
    ndarray of int64, shape (2 + 2 AHEAD,)
        ``[filled, head, slots..., sites...]``, all zero (not filled).
    """
    return np.zeros(2 + 2 * AHEAD, np.int64)


@njit(cache=True)
def cr_fill(rng, ahead, members, leaves, start, cum):
    """Fill both queues of :func:`cr_pop`, in place: AHEAD proposed sites, then AHEAD slots.

    Parameters
    ----------
    rng : ndarray of uint64
        State of the engine's generator, advanced in place.
    ahead : ndarray of int64, shape (2 + 2 AHEAD,)
        The queues (:func:`cr_queue`), written.
    members : ndarray of int32, shape (N,)
        Class members.
    leaves : ndarray of float64, shape (N,)
        Site rates (1/s; unused here, kept for the signature of :func:`cr_pop`).
    start, cum : ndarray
        Class starts and cumulative weights.
    """
    for i in range(AHEAD):
        ahead[2 + AHEAD + i] = members[cr_slot(rng, start, cum)]
    for i in range(AHEAD):
        k = cr_slot(rng, start, cum)
        ahead[2 + i] = k
        prefetch(members, k)
    ahead[0] = 1
    ahead[1] = 0


@njit(cache=True, inline='always')
def cr_pop(rng, ahead, leaves, members, start, cum):
    """One proposal of composition-rejection from queues that run ahead of the events.

    The proposals of :func:`cr_find` do not depend on the events (the rates are constant
    between two rebuilds), so they are drawn ``2 AHEAD`` proposals early, in two stages, and
    the memory they will read is requested as they enter each stage: a proposed slot ``k``
    waits in the first queue while ``members[k]`` comes in; the site ``j = members[k]`` then
    waits in the second queue while ``leaves[j]`` (and, by the caller, the event's site
    arrays) come in. The proposals are still i.i.d., taken in the order drawn, and each is
    accepted with probability ``r_j / B_c`` when it leaves the second queue: the accepted
    sites have the distribution of :func:`cr_find` (other draws of the same stream).

    Parameters
    ----------
    rng : ndarray, uint64[4]
        The engine's generator (advanced).
    ahead : ndarray, int64[2 + 2 AHEAD]
        The queues (:func:`cr_queue`; ``ahead[0] = 0``: empty, filled here). Part of the
        replica's state (checkpointed); emptied whenever the rates are rebuilt.
    leaves, members, start, cum : ndarray
        Rates and classes (:func:`cr_build`).

    Returns
    -------
    j : int
        The proposal leaving the queues.
    j_new : int
        The proposal entering the second queue (prefetch its site arrays).
    accepted : bool
        Whether ``j`` is accepted (else pop again).
    """
    if ahead[0] == 0:
        cr_fill(rng, ahead, members, leaves, start, cum)
    h = ahead[1]
    j = ahead[2 + AHEAD + h]
    j_new = members[ahead[2 + h]]
    ahead[2 + AHEAD + h] = j_new
    prefetch(leaves, j_new)
    k = cr_slot(rng, start, cum)
    ahead[2 + h] = k
    prefetch(members, k)
    ahead[1] = (h + 1) & (AHEAD - 1)
    return j, j_new, cr_accept(rng, leaves, j)
