"""Blocked sum tree for rejection-free (BKL / n-fold way) event selection.

Leaves (per-site total rates) are grouped in blocks of :data:`BLOCK` consecutive
sites. A binary sum tree ``top`` holds the block sums (``top[1]`` is the total
rate, block ``b`` is ``top[P + b]``). Selecting a site costs one descent of the
block tree (log2(N/BLOCK) steps) plus a sequential scan of one block; changing
a rate costs one block sum and one ascent. Compared with a plain binary tree
over sites the block tree is 32 times smaller (it stays in the L2 cache up to
~10^7 sites) and the last levels are a contiguous scan instead of dependent
cache misses. Sums are always recomputed from their parts, never updated by
differences, so they are exactly reproducible and do not drift.
"""

from __future__ import annotations

from numba import njit

from .prefetch import prefetch

__all__ = ["BLOCK", "PREFETCH_BLOCKS", "tree_size", "tree_build", "tree_update", "tree_find",
           "tree_find_far", "block_sum"]

BLOCK = 32
#: trees of at least this many blocks (65536 leaves, 1 MB of block sums and leaves) prefetch
#: in tree_find; smaller ones stay in the L1/L2 caches, where the hints only cost instructions
PREFETCH_BLOCKS = 2048


def tree_size(n_leaves: int) -> int:
    """Length of the ``top`` array for ``n_leaves`` leaves."""
    nb = -(-n_leaves // BLOCK)
    p = 1
    while p < nb:
        p *= 2
    return 2 * p


@njit(cache=True)
def block_sum(leaves, b):
    """Sum of block ``b`` of the leaves, in index order."""
    s = 0.0
    end = min((b + 1) * BLOCK, leaves.size)
    for j in range(b * BLOCK, end):
        s += leaves[j]
    return s


@njit(cache=True)
def tree_build(top, leaves):
    """Fill ``top`` from the leaves."""
    P = top.size // 2
    top[:] = 0.0
    nb = (leaves.size + BLOCK - 1) // BLOCK
    for b in range(nb):
        top[P + b] = block_sum(leaves, b)
    for i in range(P - 1, 0, -1):
        top[i] = top[2 * i] + top[2 * i + 1]


@njit(cache=True)
def tree_update(top, leaves, j, value):
    """Set leaf ``j`` to ``value`` and refresh its block sum and ancestors."""
    leaves[j] = value
    P = top.size // 2
    b = j // BLOCK
    i = P + b
    top[i] = block_sum(leaves, b)
    i //= 2
    while i >= 1:
        top[i] = top[2 * i] + top[2 * i + 1]
        i //= 2


@njit(cache=True)
def tree_find(top, leaves, u):
    """Leaf ``j`` such that the cumulative rate crosses ``u`` there (0 <= u < top[1]).

    Rounding can push ``u`` past a partial sum; the descent never enters an
    empty subtree and the block scan falls back to the last positive leaf, so
    a zero-rate leaf is never returned while the total is positive.
    """
    P = top.size // 2
    i = 1
    while i < P:
        left = top[2 * i]
        if (u < left and left > 0.0) or top[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            u -= left
            i = 2 * i + 1
    return block_find(leaves, (i - P) * BLOCK, u)


@njit(cache=True, inline='always')
def block_find(leaves, base, u):
    """Scan one block of :func:`tree_find` from leaf ``base``."""
    last = base
    end = min(base + BLOCK, leaves.size)
    for j in range(base, end):
        v = leaves[j]
        if v > 0.0:
            last = j
            if u < v:
                return j
            u -= v
    return last


@njit(cache=True)
def tree_find_far(top, leaves, u):
    """:func:`tree_find` for a tree outside the L2 cache (``>= PREFETCH_BLOCKS`` blocks): the
    same comparisons and subtractions, so the same leaf for every ``u`` (tested).

    The descent is a chain of dependent cache misses: each step asks for the line of the
    node's great-grandchildren (8 adjacent entries) three levels ahead, and the last steps for
    the leaves of the two candidate blocks; the direction is a select, so the hints are not
    thrown away by a mispredicted branch. On a small tree the hints only cost instructions
    (measured slower there), hence two functions.
    """
    P = top.size // 2
    i = 1
    while i < P:
        if 8 * i < 2 * P:
            prefetch(top, 8 * i)
        elif 2 * i >= P:
            b = (2 * i - P) * BLOCK
            for o in range(0, 2 * BLOCK, 8):
                if b + o < leaves.size:
                    prefetch(leaves, b + o)
        left = top[2 * i]
        right = (not (u < left and left > 0.0)) and top[2 * i + 1] > 0.0
        u = u - left if right else u
        i = 2 * i + (1 if right else 0)
    return block_find(leaves, (i - P) * BLOCK, u)
