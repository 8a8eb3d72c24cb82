"""mgmeso: quasi-point-defect (QPD) relaxation model of metallic glasses.

Two halves that must agree where theory says they should:

* :mod:`mgmeso.theory` -- the mean-field QPD model with hierarchically
  correlated motions ([Hao2022]): J(t), E*(w), DMA scans, creep, relaxation,
  tension;
* :mod:`mgmeso.kmc` -- a numba lattice kinetic Monte Carlo of QPD sites.

Configs are TOML files read by :func:`mgmeso.config.load_config`.
"""

__version__ = "0.1.0"
