"""mgmeso: quasi-point-defect (QPD) relaxation model of metallic glasses.

Two halves that must agree where theory says they should:

* :mod:`mgmeso.theory` -- the mean-field QPD model with hierarchically
  correlated motions ([Hao2022]): J(t), E*(w), DMA scans, creep, relaxation,
  tension;
* :mod:`mgmeso.kmc` -- a numba lattice kinetic Monte Carlo of QPD sites.

Configs are TOML files read by :func:`mgmeso.config.load_config`.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # mgmeso.open_sweep, open_run, open_run_zarr without importing xarray, zarr or the kMC
    # with the package
    if name == "open_sweep":
        from .sweep import open_sweep
        return open_sweep
    if name in ("open_run", "open_run_zarr"):
        from .kmc import reader
        return getattr(reader, name)
    raise AttributeError(f"module 'mgmeso' has no attribute {name!r}")
