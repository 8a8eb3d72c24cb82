"""Periodic cluster labelling against scipy.ndimage.label, side by side.

    python scripts/bench_percolation.py [--L 256] [--p 0.31] [--repeats 5]

Labels one random site field (simple cubic, 6 neighbours, occupation p) with
:func:`mgmeso.percolation.clusters.label_clusters` (periodic boundaries, wrapping
detection, consecutive labels: scipy.ndimage.label merged across the faces), with the
numba kernel it replaced (``label_clusters_numba``, kept as its twin) and with
``scipy.ndimage.label`` (open boundaries, same 6-connectivity), interleaved, after JIT
warm-up and one untimed call of each. Prints the median wall and CPU time of each and
the ratios. Target
(percolation issue): ratio <= 1.5 at L = 256, p = 0.31.

Also prints the Newman-Ziff sweep time per sample (threshold estimation) for
the lattices at the sizes the slow validation uses.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from scipy import ndimage

from mgmeso.kmc.lattice import make_lattice
from mgmeso.percolation.clusters import (
    grid_shape,
    label_clusters,
    label_clusters_numba,
    padded_offsets,
)
from mgmeso.percolation.kernels import wrap_onsets


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--L", type=int, default=256)
    ap.add_argument("--p", type=float, default=0.31)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    L = args.L
    lat = make_lattice("sc", L)
    field = np.random.default_rng(1).random(lat.n_sites) < args.p
    cube = field.reshape(L, L, L)
    label_clusters(np.zeros(64, bool), make_lattice("sc", 4))     # JIT warm-up
    label_clusters_numba(np.zeros(64, bool), make_lattice("sc", 4))
    cl = label_clusters(field, lat)                                 # untimed: first-touch of memory
    label_clusters_numba(field, lat)
    ref, n_ref = ndimage.label(cube)
    calls = {"ours": lambda: label_clusters(field, lat),
             "kernel": lambda: label_clusters_numba(field, lat),
             "scipy": lambda: ndimage.label(cube)}
    wall: dict[str, list[float]] = {k: [] for k in calls}
    cpu: dict[str, list[float]] = {k: [] for k in calls}
    load0 = os.getloadavg()
    for _ in range(args.repeats):
        for k, fn in calls.items():           # interleaved
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[k].append(time.perf_counter() - t0)
            cpu[k].append(time.process_time() - c0)
    load1 = os.getloadavg()
    med = {k: float(np.median(v)) for k, v in wall.items()}
    medc = {k: float(np.median(v)) for k, v in cpu.items()}
    print(f"sc L = {L} ({lat.n_sites} sites), p = {args.p}: {int(field.sum())} occupied; "
          f"median of {args.repeats}, interleaved; load {load0[0]:.1f} -> {load1[0]:.1f}")
    print(f"  mgmeso label_clusters (periodic, wrapping): {med['ours'] * 1e3:8.1f} ms wall "
          f"{medc['ours'] * 1e3:8.1f} ms CPU  ({cl.n} clusters, {cl.wrapping_labels.size} "
          f"wrapping, largest {cl.largest_fraction:.4f})")
    print(f"  numba kernel label_periodic (the twin):     {med['kernel'] * 1e3:8.1f} ms wall "
          f"{medc['kernel'] * 1e3:8.1f} ms CPU")
    print(f"  scipy.ndimage.label (open boundaries):      {med['scipy'] * 1e3:8.1f} ms wall "
          f"{medc['scipy'] * 1e3:8.1f} ms CPU  ({n_ref} open clusters)")
    print(f"  ratio mgmeso / scipy: {med['ours'] / med['scipy']:.2f} wall, "
          f"{medc['ours'] / medc['scipy']:.2f} CPU   (target <= 1.5); numba kernel / scipy: "
          f"{med['kernel'] / med['scipy']:.2f} wall, {medc['kernel'] / medc['scipy']:.2f} CPU")
    print("Newman-Ziff sweep (one threshold sample), median of 5 after warm-up:")
    for name, size in (("square", 128), ("triangular", 128), ("sc", 64), ("bcc", 48), ("fcc", 36)):
        lt = make_lattice(name, size)
        Lg, Lz = grid_shape(lt)
        offs = padded_offsets(lt)
        work = (np.empty(lt.n_sites, np.int32), np.empty((lt.n_sites, 3), np.int32))
        order = np.random.default_rng(0).permutation(lt.n_sites)
        wrap_onsets(order, Lg, Lz, lt.nb, offs, *work)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            wrap_onsets(order, Lg, Lz, lt.nb, offs, *work)
            ts.append(time.perf_counter() - t0)
        tm = float(np.median(ts))
        print(f"  {name:10s} L = {size:3d} ({lt.n_sites:8d} sites): {tm * 1e3:7.1f} ms, "
              f"{tm / lt.n_sites * 1e9:5.1f} ns/site")


if __name__ == "__main__":
    main()
