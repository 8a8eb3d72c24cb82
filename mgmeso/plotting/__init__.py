"""Figures.

Every plotting function draws into what it is given -- ``ax`` for a one-panel
plot, ``fig`` (an empty figure) for several panels -- or, when that is ``None``,
into a new pyplot figure, and returns what it drew (the Axes or the Figure), as
matplotlib-based libraries do. Titles state the material and protocol, axes
carry units.

Files are written by :func:`save` only: atomically (a killed process never
leaves half a PNG) and never over an existing file without ``overwrite=True``.

Importing this package does not choose a matplotlib backend, so a notebook
keeps its own. The ``mgmeso`` command, which only writes files, calls
:func:`use_file_backend` (Agg) when it starts.

>>> from mgmeso.plotting import save                              # doctest: +SKIP
>>> from mgmeso.plotting.percolation_plots import plot_threshold  # doctest: +SKIP
>>> ax = plot_threshold(estimate)                                 # doctest: +SKIP
>>> save(ax.figure, "threshold.png")                              # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..io.files import atomic_write, check_writable

__all__ = ["save", "save_figure", "use_file_backend", "new_figure", "new_axes", "COMPONENT_STYLE",
           "plt"]

COMPONENT_STYLE = {
    "elastic": dict(color="0.35", ls="-", label="elastic"),
    "beta": dict(color="tab:blue", ls="--", label=r"$\beta$"),
    "anelastic": dict(color="tab:orange", ls="-.", label="anelastic"),
    "plastic": dict(color="tab:red", ls=":", label="viscoplastic"),
}


def use_file_backend() -> None:
    """Make matplotlib draw to files only (the Agg backend).

    Called by the ``mgmeso`` command. Before matplotlib is imported this only
    sets ``MPLBACKEND`` (importing matplotlib costs more than most commands), so
    commands that draw nothing pay nothing.
    """
    os.environ["MPLBACKEND"] = "Agg"
    if "matplotlib" in sys.modules:
        import matplotlib
        matplotlib.use("Agg")


def new_figure(fig=None, **kwargs):
    """``fig`` itself, or a new pyplot figure made with ``kwargs`` (``figsize``, ``layout``).

    Parameters
    ----------
    fig : matplotlib.figure.Figure, optional
        A figure to draw into.
    **kwargs
        For :func:`matplotlib.pyplot.figure`.

    Returns
    -------
    matplotlib.figure.Figure
        The figure.
    """
    if fig is not None:
        return fig
    import matplotlib.pyplot as plt
    return plt.figure(**kwargs)


def new_axes(ax=None, **kwargs):
    """``ax`` itself, or the one Axes of a new pyplot figure made with ``kwargs``.

    Parameters
    ----------
    ax : matplotlib.axes.Axes, optional
        Axes to draw into.
    **kwargs
        For :func:`matplotlib.pyplot.figure`.

    Returns
    -------
    matplotlib.axes.Axes
        The axes.
    """
    return ax if ax is not None else new_figure(None, **kwargs).subplots()


def save(fig, path, *, overwrite: bool = False, dpi: int = 130, close: bool = True) -> Path:
    """Write a figure to ``path`` (format from the suffix, PNG if none) without ever leaving a
    partial file.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        For an Axes ``ax`` pass ``ax.figure``.
    path : str or Path
    overwrite : bool
        Replace an existing file; otherwise an existing file is an
        :class:`~mgmeso.errors.OutputExistsError` (exit code 2 in the CLI).
    dpi : int
    close : bool
        Close the figure after writing (frees it in loops; pass ``False`` in a
        notebook to keep showing it).

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    check_writable([path], overwrite)
    fmt = path.suffix.lstrip(".").lower() or "png"
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format=fmt, dpi=dpi, bbox_inches="tight")
    if close:
        import matplotlib.pyplot as plt
        plt.close(fig)
    return path


def save_figure(fig, path, dpi: int = 130) -> None:
    """Write a figure over an existing file and close it (older name of :func:`save`).

    For callers that checked their outputs already.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        The PNG file.
    dpi : int
        Resolution.
    """
    save(fig, path, overwrite=True, dpi=dpi)


def __getattr__(name: str):
    # ``from mgmeso.plotting import plt`` (scripts, fit reports) without importing pyplot here
    if name == "plt":
        import matplotlib.pyplot as plt
        return plt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
