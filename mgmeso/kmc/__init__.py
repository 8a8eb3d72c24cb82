"""The lattice kinetic Monte Carlo of QPD sites (docs/kmc.md, docs/architecture.md).

Pure numba kernels (:mod:`.kernels`, :mod:`.rates`, :mod:`.bias`, :mod:`.rng`, ...) and the
Python layer that owns the replicas, their checkpoints and the run store
(:mod:`.ensemble`, :mod:`.replica`, :mod:`.store`).
"""
