"""Plastic renewal: a QPD that has flowed hands its defect to a matrix neighbour
(docs/kmc_elastic.md section 7.8).

Why. Without it the QPD sites are a fixed random quarter of the lattice and the only sites
that can deposit plastic strain; the other three quarters are a perfectly elastic skeleton.
With elastic interactions a plastic strain ``P`` carried by a random fraction ``c`` of the
sites puts a mean back stress ``K(0) (1 - c) P = K(0) (1 - c)/c eps_p`` on them (``K(0) < 0``
the Eshelby self-term, ``eps_p`` the macroscopic plastic strain): a linear kinematic
hardening of modulus ``H = |K(0)| (1 - c)/c`` (72 GPa on the square lattice at c = 0.25),
which stops flow in tension (measured: section 7.8). Elastoplastic models have no such
skeleton: every site can yield, and a site's threshold is redrawn after it has yielded
([Picard2005], [Nicolas2018]).

The rule (``[defects] plastic_renewal_probability = p``, default 0: off). At each defect
update, every QPD site whose plastic store changed since the previous update (``n`` net
unit deposits, at least 1) renews with probability ``1 - (1 - p)^n``: one of its lattice
neighbours is drawn uniformly; if it is a free matrix site (no QPD, in no footprint, not
formed in this update), the QPD site heals (its beta and SMD strains are frozen into its
plastic store, as at any healing, ``defect_kernels.heal_sites``) and the neighbour forms
(unpolarised, with its own quenched beta time and stable factor: a fresh draw from the same
distribution, i.e. the barrier is renewed). Otherwise nothing happens. The number of QPDs
is conserved. The random numbers come from the defect dynamics' own generator, a fixed
number per candidate (``2`` uniforms), so the trajectory is a function of the seed.

Approximation, stated: the renewal happens at the next defect update, not at the event
(the update interval is at most ``max_step_s`` and the sample spacing); a site renews at
most once per update.
"""

from __future__ import annotations

import numpy as np

__all__ = ["renewal_hops"]


def renewal_hops(kind: np.ndarray, owner: np.ndarray, eps_p: np.ndarray, p_last: np.ndarray,
                 d_p: float, nbr: np.ndarray, prob: float, rng: np.random.Generator,
                 heal: np.ndarray, form: np.ndarray) -> int:
    """Mark the renewal hops of one defect update in ``heal`` and ``form`` (in place).

    Parameters
    ----------
    kind, owner : numpy.ndarray
        (N,): site kinds (1 QPD) and footprint owners (-1 free) before the update.
    eps_p, p_last : numpy.ndarray
        (N,): the plastic store now and at the previous update.
    d_p : float
        The unit plastic strain (a net deposit of one event).
    nbr : numpy.ndarray
        int (N, z): the neighbour table.
    prob : float
        Renewal probability per net deposit, in [0, 1].
    rng : numpy.random.Generator
        The defect dynamics' generator.
    heal, form : numpy.ndarray
        bool (N,): the sites the update already heals and forms; the hops are added.

    Returns
    -------
    int
        The number of hops (each one heal and one form).
    """
    if prob <= 0.0:
        return 0
    cand = np.flatnonzero((kind == 1) & (eps_p != p_last) & ~heal)
    if cand.size == 0:
        return 0
    n_ev = np.maximum(1.0, np.rint(np.abs(eps_p[cand].astype(np.float64)
                                          - p_last[cand].astype(np.float64)) / d_p))
    p_hop = -np.expm1(n_ev * np.log1p(-prob)) if prob < 1.0 else np.ones(cand.size)
    u = rng.random(cand.size)
    pick = rng.integers(0, nbr.shape[1], size=cand.size)
    hops = 0
    for j, uj, kj, pj in zip(cand, u, pick, p_hop):
        if uj >= pj:
            continue
        k = nbr[j, kj]
        if kind[k] != 0 or owner[k] != -1 or form[k] or heal[k]:
            continue
        heal[j] = True
        form[k] = True
        hops += 1
    return hops
