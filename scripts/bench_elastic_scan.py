"""The exact query's scan of the pending slots: one pass against two (docs/kmc_elastic.md 3).

The engine's scan (:func:`mgmeso.kmc.elastic_pending._far_sum_folded`) computes the table
indices of all slots first, then sums in slot order; the one-pass form here is the former
kernel. Random pending lists of 160 and 1000 slots on the folded sc tables of 32^3 and 64^3;
the two must give the same bits (checked); printed: CPU ns per term, the better of two runs.

    python scripts/bench_elastic_scan.py
"""

from __future__ import annotations

import time

import numpy as np
from bench_kmc import load  # scripts/
from numba import njit

from mgmeso.kmc.elastic_pending import _far_sum_folded
from mgmeso.kmc.elastic_state import _PMASK, PACK_BITS


@njit(cache=True)
def one_pass(pj, n, slots, pk, de, T, S1, S2):
    acc = 0.0
    m = _PMASK
    for i in range(slots):
        d = pj - pk[i]
        tx = abs(((d >> (2 * PACK_BITS)) & m) - n)
        ty = abs(((d >> PACK_BITS) & m) - n)
        tz = abs((d & m) - n)
        tx = min(tx, n - tx)
        ty = min(ty, n - ty)
        tz = min(tz, n - tz)
        acc += T[(tx * S1 + ty) * S2 + tz] * de[i]
    return acc


@njit(cache=True)
def repeat(reps, pjs, n, slots, pk, de, T, S1, S2, idx, two):
    s = 0.0
    for r in range(reps):
        pj = pjs[r % pjs.size]
        if two:
            s += _far_sum_folded(pj, n, slots, pk, de, T, S1, S2, idx)
        else:
            s += one_pass(pj, n, slots, pk, de, T, S1, S2)
    return s


def packed(xyz: np.ndarray) -> np.ndarray:
    return ((xyz[:, 0] << (2 * PACK_BITS)) | (xyz[:, 1] << PACK_BITS) | xyz[:, 2]).astype(np.int32)


def main() -> None:
    rng = np.random.default_rng(0)
    print(load())
    for L in (32, 64):
        n = np.int32(L)
        h = L // 2 + 1
        T = rng.normal(size=h ** 3)
        S = np.int32(h)
        for slots in (160, 1000):
            pk = packed(rng.integers(0, L, size=(slots, 3)))
            de = rng.normal(size=slots)
            pjs = packed(rng.integers(0, L, size=(1000, 3)) + L)
            idx = np.zeros(slots, np.int32)
            args = (pjs, n, slots, pk, de, T, S, S, idx)
            assert repeat(50, *args, False) == repeat(50, *args, True)   # the same bits
            reps = int(2e7 / slots)
            best = {}
            for two in (False, True, False, True):
                c = time.process_time()
                repeat(reps, *args, two)
                t = (time.process_time() - c) / reps / slots * 1e9
                best[two] = min(best.get(two, np.inf), t)
            print(f"L = {L}, {slots} slots: one pass {best[False]:.2f} ns/term, two passes "
                  f"{best[True]:.2f} ns/term")
    print(load())


if __name__ == "__main__":
    main()
