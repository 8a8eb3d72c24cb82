"""Binary sum tree for rejection-free (BKL / n-fold way) event selection.

Leaves hold per-site total rates; each inner node holds the sum of its two
children; the root ``tree[1]`` is the total rate. Selecting a site costs one
descent (log2 N steps), changing a rate one ascent. Inner sums are always
recomputed from the children (never by adding deltas), so the tree is exactly
reproducible and does not drift.

Layout: ``tree`` has length ``2 P`` with ``P`` the next power of two >= N;
leaf ``j`` is ``tree[P + j]``; ``tree[0]`` is unused.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["tree_size", "tree_build", "tree_update", "tree_find"]


def tree_size(n_leaves: int) -> int:
    """Length of the tree array for ``n_leaves`` leaves."""
    p = 1
    while p < n_leaves:
        p *= 2
    return 2 * p


@njit(cache=True)
def tree_build(tree, leaves):
    """Fill the tree from leaf rates (length <= P); the other leaves are 0."""
    P = tree.size // 2
    tree[:] = 0.0
    for j in range(leaves.size):
        tree[P + j] = leaves[j]
    for i in range(P - 1, 0, -1):
        tree[i] = tree[2 * i] + tree[2 * i + 1]


@njit(cache=True)
def tree_update(tree, j, value):
    """Set leaf ``j`` to ``value`` and refresh its ancestors."""
    P = tree.size // 2
    i = P + j
    tree[i] = value
    i //= 2
    while i >= 1:
        tree[i] = tree[2 * i] + tree[2 * i + 1]
        i //= 2


@njit(cache=True)
def tree_find(tree, u):
    """Leaf ``j`` with ``sum(leaves[:j]) <= u < sum(leaves[:j+1])``, for 0 <= u < tree[1].

    Rounding can push ``u`` past a subtree's sum; the descent then never
    enters an empty subtree, so a zero-rate leaf is never returned while
    the total is positive.
    """
    P = tree.size // 2
    i = 1
    while i < P:
        left = tree[2 * i]
        if (u < left and left > 0.0) or tree[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            u -= left
            i = 2 * i + 1
    return i - P


def tree_leaves(tree: np.ndarray, n: int) -> np.ndarray:
    return tree[tree.size // 2: tree.size // 2 + n]
