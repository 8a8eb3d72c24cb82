"""Speed of the analytical model: a 1 Hz isochronal DMA scan on 1000 temperatures.

Prints wall times measured in this run, after one warm-up evaluation:

    python scripts/bench_theory.py [--repeat N]

Target (foundation issue): well under one second per 1000-temperature scan.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mgmeso.config import load_material
from mgmeso.theory import complex_compliance, dma_columns, gumbel_grid, kww_carson, state_point


def best_of(fn, repeat: int) -> float:
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    mat = load_material("la60ni15al25")[0]
    T = np.linspace(300.0, 550.0, 1000)
    grid = gumbel_grid(mat.B_beta, 241)
    sp = state_point(mat, T)
    w = 2 * np.pi * 1.0

    rows = [
        ("full scan: exact + paper forms, components (dma_columns)",
         lambda: dma_columns(mat, T, 1.0, grid)),
        ("exact form J*(iw) only", lambda: complex_compliance(mat, w, sp, grid, "exact")),
        ("paper form J*(iw) only", lambda: complex_compliance(mat, w, sp, grid, "paper")),
        ("exact KWW transform alone (1000 points)",
         lambda: kww_carson(w * sp.tau_an_s, sp.chi)),
    ]
    print(f"1 Hz isochronal scan, 1000 temperatures, {grid.y.size} Gumbel nodes, "
          f"best of {args.repeat} after warm-up")
    for name, fn in rows:
        dt = best_of(fn, args.repeat)
        print(f"  {name:<58s} {dt * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
