"""Calls of jitted kernels from the Python layer without numba's per-call type dispatch.

A call of a numba dispatcher with the kernels' argument groups (named tuples of arrays and
of scalars, :mod:`.layout`) resolves the type of every field in Python before it runs: about
50-80 us per call, against 4-6 us for the compiled entry point itself. A replica calls the
event loop and the stress formula once per sample (tens of thousands of times in a DMA
scan), so that resolution cost more than the events between samples at low temperature.

:class:`Entries` resolves the types once, for the first call of each kernel, and calls the
compiled entry point from then on. The entry is the one the dispatcher itself would run for
those types (``Dispatcher.compile`` of the resolved signature: the same machine code, loaded
from numba's cache like a normal call), so results are the same bit for bit. The argument
types must not change between calls: the holder builds its scalar groups with explicit
casts (:mod:`.layout`) and drops the entries when its array groups are replaced
(:meth:`Entries.check`).
"""

from __future__ import annotations

__all__ = ["Entries"]


class Entries:
    """Compiled entry points of kernels, resolved for the argument types of their first call."""

    def __init__(self) -> None:
        self._entries: dict = {}
        self._arrays: tuple = ()

    def check(self, *groups) -> None:
        """Forget every entry if any of the array groups is not the one the entries saw.

        Parameters
        ----------
        *groups
            The holder's array groups (e.g. ``S``, ``K``), compared by identity.
        """
        arrays = self._arrays
        if len(groups) == len(arrays):
            for g, h in zip(groups, arrays):
                if g is not h:
                    break
            else:
                return
        self._entries.clear()
        self._arrays = groups

    def call(self, disp, *args):
        """Call ``disp(*args)`` through its compiled entry point.

        Parameters
        ----------
        disp : numba Dispatcher
            The jitted function.
        *args
            Its arguments (the same types at every call).

        Returns
        -------
        object
            What the function returns.
        """
        ep = self._entries.get(disp)
        if ep is None:
            sig = tuple(disp.typeof_pyval(a) for a in args)
            ep = self._entries[disp] = disp.compile(sig)
        return ep(*args)
