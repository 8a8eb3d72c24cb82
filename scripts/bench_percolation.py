"""Periodic cluster labelling against scipy.ndimage.label, side by side.

    python scripts/bench_percolation.py [--L 256] [--p 0.31] [--repeats 5]

Labels one random site field (simple cubic, 6 neighbours, occupation p) with
:func:`mgmeso.percolation.clusters.label_clusters` (periodic boundaries, wrapping
detection, consecutive labels) and with ``scipy.ndimage.label`` (open
boundaries, same 6-connectivity), alternating the two, after JIT warm-up and one
untimed call of each. Prints the median time of each and their ratio. Target
(percolation issue): ratio <= 1.5 at L = 256, p = 0.31.

Also prints the Newman-Ziff sweep time per sample (threshold estimation) for
the lattices at the sizes the slow validation uses.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage

from mgmeso.kmc.lattice import make_lattice
from mgmeso.percolation.clusters import grid_shape, label_clusters, padded_offsets
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
    cl = label_clusters(field, lat)                                 # untimed: first-touch of memory
    ref, n_ref = ndimage.label(cube)
    t_ours, t_scipy = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        cl = label_clusters(field, lat)
        t_ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref, n_ref = ndimage.label(cube)
        t_scipy.append(time.perf_counter() - t0)
    a, b = float(np.median(t_ours)), float(np.median(t_scipy))
    print(f"sc L = {L} ({lat.n_sites} sites), p = {args.p}: {int(field.sum())} occupied")
    print(f"  mgmeso label_clusters (periodic, wrapping): {a * 1e3:8.1f} ms  "
          f"({cl.n} clusters, {cl.wrapping_labels.size} wrapping, largest {cl.largest_fraction:.4f})")
    print(f"  scipy.ndimage.label (open boundaries):      {b * 1e3:8.1f} ms  ({n_ref} clusters)")
    print(f"  ratio mgmeso / scipy: {a / b:.2f}   (target <= 1.5)")
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
