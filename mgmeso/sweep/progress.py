"""Progress across the runs of a sweep: runs done, failures, events/s, ETA.

On a terminal a tqdm bar (failures printed above it); otherwise one line per
finished run, so that a log file tells the same story.
"""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

__all__ = ["SweepProgress", "format_duration"]


def format_duration(s: float) -> str:
    """Format seconds as ``12 s``, ``3 min 05 s`` or ``2 h 07 min`` (``?`` if unknown).

    Parameters
    ----------
    s : float
        The duration (s), rounded; NaN or infinite is unknown.

    Returns
    -------
    str
        The text.
    """
    if not math.isfinite(s):
        return "?"
    s = round(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


class SweepProgress:
    """Counts finished runs and prints progress.

    Parameters
    ----------
    total
        Runs of the sweep.
    done_before
        Runs already finished when this session started (kept from an earlier one).
    quiet
        Print nothing until the summary.
    stream
        Where to print (default stderr); a tqdm bar only if it is a terminal.
    """

    def __init__(self, total: int, done_before: int = 0, quiet: bool = False,
                 stream: TextIO | None = None):
        self.total = total
        self.done_before = done_before
        self.done = 0
        self.failed = 0
        self.events = 0
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.t0 = time.perf_counter()
        self.bar = None
        if not quiet and self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=done_before, unit="run", dynamic_ncols=True,
                            file=self.stream, desc="sweep")

    @property
    def elapsed_s(self) -> float:
        """Wall time since the progress started (s)."""
        return time.perf_counter() - self.t0

    def rate_text(self) -> str:
        """Return the events per second so far, as text.

        Returns
        -------
        str
            ``<rate> events/s`` or ``events/s: -``.
        """
        ev = self.events / max(self.elapsed_s, 1e-9)
        return f"{ev:.3g} events/s" if self.events else "events/s: -"

    def eta_s(self) -> float:
        """Estimate the time left from the mean time per finished run.

        Returns
        -------
        float
            Seconds, NaN before the first run finished.
        """
        finished = self.done + self.failed
        left = self.total - self.done_before - finished
        if finished == 0:
            return float("nan")
        return self.elapsed_s / finished * left

    def print(self, line: str) -> None:
        """Print a line (above the bar on a terminal).

        Parameters
        ----------
        line : str
            The text.
        """
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def _step(self, line: str) -> None:
        n = self.done_before + self.done + self.failed
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix_str(f"{self.failed} failed, {self.rate_text()}, ETA "
                                     f"{format_duration(self.eta_s())}")
        elif not self.quiet:
            width = len(str(self.total))
            print(f"[{n:{width}d}/{self.total}] {line} | {self.rate_text()} | ETA "
                  f"{format_duration(self.eta_s())}", file=self.stream, flush=True)

    def run_done(self, run, result: dict) -> None:
        """Count a finished run and report it.

        Parameters
        ----------
        run : Run
            The run.
        result : dict
            Its task's result (events, wall time, resumed).
        """
        self.done += 1
        self.events += int(result.get("events", 0))
        how = " (continued from its checkpoint)" if result.get("resumed") else ""
        ev = result.get("events", 0)
        evs = f", {ev:.3g} events" if ev else ""
        self._step(f"{run.id} done in {result.get('wall_s', 0.0):.1f} s{evs}{how}"
                   + (f" [{run.label()}]" if run.coords else ""))

    def run_failed(self, run, error: str) -> None:
        """Count a failed run and report it with its error.

        Parameters
        ----------
        run : Run
            The run.
        error : str
            The error message.
        """
        self.failed += 1
        if self.bar is not None:
            self.bar.write(f"{run.id} FAILED [{run.label()}]: {error}", file=self.stream)
        self._step(f"{run.id} FAILED [{run.label()}]: {error}")

    def close(self) -> None:
        """Close the progress bar."""
        if self.bar is not None:
            self.bar.close()
