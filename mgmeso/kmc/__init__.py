"""The lattice kinetic Monte Carlo of QPD sites (docs/kmc.md, docs/architecture.md).

Pure numba kernels (:mod:`.kernels`, :mod:`.rates`, :mod:`.bias`, :mod:`.rng`, ...) and the
Python layer that owns the replicas, their checkpoints and the run store
(:mod:`.ensemble`, :mod:`.replica`, :mod:`.store`).

Every unit is a two-state unit whose +1 state has the equilibrium probability of the bias
law (:mod:`.bias`) at the stress it feels; the linear law saturates at ``sigma_sat``, the
physical one is a ``tanh`` with the same slope at zero stress:

>>> from mgmeso.kmc.bias import LINEAR, PHYSICAL, p_plus
>>> p_plus(0.0, 10.0, LINEAR), p_plus(5.0, 10.0, LINEAR), p_plus(50.0, 10.0, LINEAR)
(0.5, 0.75, 1.0)
>>> round(p_plus(5.0, 10.0, PHYSICAL), 6)          # (1 + tanh(0.5)) / 2
0.731059
"""
