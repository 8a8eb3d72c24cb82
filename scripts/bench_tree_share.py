"""The event selection's share of a kMC event against the per-site arrays, sc 16^3 to 128^3.

On the leaves of the ``bench_kmc.py`` replica (mean-field or mesoscale) after its
``_begin_segment``: (a) selections as the tree-mode event loop makes them (``tree_find`` or,
for large trees, ``tree_find_far``, at u uniform times the total) each followed by
``tree_update`` of the chosen leaf (to the same value: the same tree, the same work);
(b) composition-rejection selections as the composition-mode loop makes them (``cr_find``, or
the queued ``cr_pop`` beyond the L2 cache, with the engine's RNG), each followed by a read of
the selected site's leaf; (c) reads of every per-site array of a uniformly drawn site. CPU time
per operation, best of 3, after warm-up. Compare with the ns/event of ``bench_kmc.py``; the
growth of (a) and (b) with N is the selection's part of the growth target
(docs/performance.md).

    python scripts/bench_tree_share.py [--config mesoscale] [--ops 2000000]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np
from numba import njit

sys.path.insert(0, os.path.dirname(__file__))
from bench_kmc import replica  # noqa: E402

from mgmeso.kmc.composition import cr_arrays, cr_build, cr_find, cr_pop, cr_queue  # noqa: E402
from mgmeso.kmc.rng import seed_state  # noqa: E402
from mgmeso.kmc.sumtree import PREFETCH_BLOCKS, tree_find, tree_find_far, tree_update  # noqa: E402


@njit
def _select_update(top, leaves, far, us):
    s = 0
    for k in range(us.size):
        u = us[k] * top[1]
        j = tree_find_far(top, leaves, u) if far else tree_find(top, leaves, u)
        tree_update(top, leaves, j, leaves[j])
        s += j
    return s


@njit
def _select_composition(rng, ahead, leaves, members, start, cum, far, us):
    s = 0.0
    for _ in range(us.size):
        if far:
            while True:
                j, _, ok = cr_pop(rng, ahead, leaves, members, start, cum)
                if ok:
                    break
        else:
            j = cr_find(rng, leaves, members, start, cum)
        s += leaves[j]
    return s


@njit
def _read_sites(a1, a4, a8, idx):
    s = 0.0
    for k in range(idx.size):
        j = idx[k]
        for a in a1:
            s += a[j]
        for a in a4:
            s += a[j]
        for a in a8:
            s += a[j]
    return s


def _best(fn, *args, repeat=3):
    """Best CPU time of ``fn(*args)`` after a warm-up call on the first 10 operations (the
    operations are the last argument).
    """
    fn(*args[:-1], args[-1][:10])
    best = math.inf
    for _ in range(repeat):
        c0 = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - c0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default="mesoscale", choices=("mean-field", "mesoscale"))
    ap.add_argument("--ops", type=int, default=2_000_000)
    ap.add_argument("--sizes", default="16,32,64,128")
    a = ap.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {a.ops} operations")
    rows = []
    for L in (int(x) for x in a.sizes.split(",")):
        S = replica(L, a.config).S
        top, leaves = S.top, S.leaves
        far = top.size // 2 >= PREFETCH_BLOCKS
        us = np.random.default_rng(1).random(a.ops)
        t_tree = _best(_select_update, top, leaves, far, us) / a.ops
        m, p, st, cum = cr_arrays(leaves.size, positions=False)
        cr_build(leaves, m, p, st, cum)
        t_cr = _best(_select_composition, seed_state(np.random.SeedSequence(3)), cr_queue(),
                     leaves, m, st, cum, far, us) / a.ops
        site = [v for k, v in S._asdict().items() if hasattr(v, "size") and v.size == leaves.size]
        a1 = tuple(v for v in site if v.dtype.itemsize == 1)
        a4 = tuple(v.astype(np.float32) if v.dtype.kind != "f" else v
                   for v in site if v.dtype.itemsize in (2, 4))
        a8 = tuple(v.astype(np.float64) if v.dtype.kind != "f" else v
                   for v in site if v.dtype.itemsize == 8)
        idx = np.random.default_rng(2).integers(0, leaves.size, a.ops)
        t_site = _best(_read_sites, a1, a4, a8, idx) / a.ops
        rows.append((L, leaves.size, t_tree, t_site, t_cr))
        print(f"{a.config} L={L:4d} N={leaves.size:8d}  tree find+update {1e9 * t_tree:6.1f} ns"
              f"  composition {'(queued) ' if far else ''}{1e9 * t_cr:6.1f} ns"
              f"  read of {len(site)} site arrays {1e9 * t_site:6.1f} ns", flush=True)
    if len(rows) >= 2:
        x = np.log([math.log2(r[1]) for r in rows])
        for name, col in (("tree", 2), ("composition", 4), ("site arrays", 3)):
            k = np.polyfit(x, np.log([r[col] for r in rows]), 1)[0]
            print(f"growth {name}: ns ~ (log2 N)^{k:.2f}")


if __name__ == "__main__":
    main()
