"""Study analyses: the collection step of a study, registered by name.

A SWEEP.toml names one with ``[collect] analysis = "<name>"`` (options in
``[collect.options]``); ``mgmeso sweep --collect STORE --out DIR`` runs it on the
collected sweep and writes its tables and figures to ``DIR`` (never into the
repository unless asked to). An analysis is a function
``(sd, ds, out, options, overwrite) -> list[str]`` registered with
``@register_analysis(name)`` and reached only through :data:`ANALYSES` (so it is private to
its module, and its docstring says what it tabulates); it reads runs only through
``sd.kmc(id)`` and ``sd.theory(id)``. Its arguments and result, the same for all:

Parameters
----------
sd : SweepData
    The collected sweep (runs read through ``sd.kmc(id)``).
ds : xarray.Dataset
    Its dataset.
out : pathlib.Path
    Output directory.
options : dict
    ``[collect.options]`` of the sweep file.
overwrite : bool
    Replace existing outputs.

Returns
-------
list of str
    The lines to print (results and files written).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["ANALYSES", "register_analysis"]

ANALYSES: dict[str, Callable] = {}


def register_analysis(name: str):
    """Register a study analysis under ``name`` (a decorator).

    Parameters
    ----------
    name : str
        The ``[collect] analysis`` name.

    Returns
    -------
    callable
        The decorator; it returns the function unchanged.
    """
    def deco(fn):
        ANALYSES[name] = fn
        return fn
    return deco


def _load_studies() -> None:
    # the study modules register themselves; imported here so that a name in a SWEEP.toml
    # is known as soon as the registry is
    from . import aging, creep, deviation, elastic, localisation, training  # noqa: F401


_load_studies()
