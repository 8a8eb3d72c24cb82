"""The scipy-based periodic labeller pinned to the numba kernel (its twin) on every lattice."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mgmeso.kmc.lattice import LATTICE_TYPES, LATTICES, LatticeType, make_lattice, register_lattice
from mgmeso.percolation.clusters import label_clusters, label_clusters_numba
from mgmeso.percolation.periodic_label import grid_embedding, label_on_grid

P_NEAR = {"square": 0.59, "triangular": 0.5, "sc": 0.31, "bcc": 0.25, "fcc": 0.2}


@pytest.mark.parametrize("name", LATTICES)
def test_grid_labeller_equals_numba_kernel(name):
    """Same labels (numbered by first site), cluster count and wrap bits, bit for bit."""
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    dim = make_lattice(name, 3).dim
    for _ in range(40):
        L = int(rng.integers(3, 13 if dim == 2 else 8))
        lat = make_lattice(name, L)
        emb = grid_embedding(lat)
        assert emb is not None
        p = float(np.clip(P_NEAR[name] + rng.uniform(-0.2, 0.25), 0.0, 1.0))
        occ = rng.random(lat.n_sites) < p
        lab, n, bits = label_on_grid(occ, lat, emb)
        ref_lab, ref_n, ref_bits = label_clusters_numba(occ, lat)
        assert n == ref_n
        assert np.array_equal(lab, ref_lab)
        assert np.array_equal(bits, ref_bits)


@pytest.mark.parametrize("name", LATTICES)
def test_grid_labeller_empty_and_full(name):
    lat = make_lattice(name, 4)
    empty = label_clusters(np.zeros(lat.n_sites, bool), lat)
    assert empty.n == 0 and not empty.wraps_any and not empty.labels.any()
    full = label_clusters(np.ones(lat.n_sites, bool), lat)
    assert full.n == 1 and full.wraps[1].all() and np.all(full.labels == 1)


@pytest.mark.parametrize("name", LATTICES)
def test_structure_links_exactly_the_neighbours(name):
    """Two occupied sites are one cluster on the grid exactly when they are neighbours."""
    lat = make_lattice(name, 4)
    nbr = lat.neighbour_table()
    rng = np.random.default_rng(5)
    for i in rng.choice(lat.n_sites, 6, replace=False):
        for j in rng.choice(lat.n_sites, 12, replace=False):
            if i == j:
                continue
            occ = np.zeros(lat.n_sites, bool)
            occ[[i, j]] = True
            cl = label_clusters(occ, lat)
            assert (cl.n == 1) == (j in nbr[i])


def test_lattice_without_grid_structure_uses_the_kernel():
    """Honeycomb (basis at thirds of the cell) is no 3^dim structure: the numba kernel labels it."""
    honeycomb = LatticeType("honeycomb_scipy_test", ((1.0, 0.0), (0.5, math.sqrt(3.0) / 2.0)),
                            ((1 / 3, 1 / 3), (2 / 3, 2 / 3)), 3)
    register_lattice(honeycomb)
    try:
        lat = make_lattice(honeycomb.name, 5)
        assert grid_embedding(lat) is None
        occ = np.random.default_rng(2).random(lat.n_sites) < 0.7
        cl = label_clusters(occ, lat)
        lab, n, _ = label_clusters_numba(occ, lat)
        assert cl.n == n and np.array_equal(cl.labels, lab)
    finally:
        del LATTICE_TYPES[honeycomb.name]
