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
        return time.perf_counter() - self.t0

    def rate_text(self) -> str:
        ev = self.events / max(self.elapsed_s, 1e-9)
        return f"{ev:.3g} events/s" if self.events else "events/s: -"

    def eta_s(self) -> float:
        finished = self.done + self.failed
        left = self.total - self.done_before - finished
        if finished == 0:
            return float("nan")
        return self.elapsed_s / finished * left

    def print(self, line: str) -> None:
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
        self.done += 1
        self.events += int(result.get("events", 0))
        how = " (continued from its checkpoint)" if result.get("resumed") else ""
        ev = result.get("events", 0)
        evs = f", {ev:.3g} events" if ev else ""
        self._step(f"{run.id} done in {result.get('wall_s', 0.0):.1f} s{evs}{how}"
                   + (f" [{run.label()}]" if run.coords else ""))

    def run_failed(self, run, error: str) -> None:
        self.failed += 1
        if self.bar is not None:
            self.bar.write(f"{run.id} FAILED [{run.label()}]: {error}", file=self.stream)
        self._step(f"{run.id} FAILED [{run.label()}]: {error}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
