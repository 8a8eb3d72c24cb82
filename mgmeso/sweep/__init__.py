"""Parameter sweeps: many runs of one config along axes, on Dask or local processes.

* :func:`load_sweep` -- read a SWEEP.toml (base config + axes), expand and validate every run;
* :func:`run_sweep` -- run the runs that are not done into a sweep store (resumable);
* :func:`open_sweep` -- collect the store into an :class:`xarray.Dataset`.

See docs/sweeps.md for the file format and the store layout.
"""

from .collect import SweepData, open_sweep, sweep_table
from .driver import SweepReport, run_sweep
from .executors import make_executor
from .spec import Run, Sweep, load_sweep, parse_sweep

__all__ = [
           "Run",
           "Sweep",
           "SweepData",
           "SweepReport",
           "load_sweep",
           "make_executor",
           "open_sweep",
           "parse_sweep",
           "run_sweep",
           "sweep_table",
]
