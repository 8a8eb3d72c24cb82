"""networkx views of site fields: the site graph, its clusters and wrapping, footprint contacts.

These are the slow, obvious definitions. :func:`clusters_networkx` is the reference
the fast labeller (:func:`mgmeso.percolation.clusters.label_clusters`) is tested
against; the graph measures (components, spanning, the contact graph of SMD
footprints) are for analysis of snapshots of moderate size (up to ~10^5 sites).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..kmc.lattice import Lattice

__all__ = ["site_graph", "clusters_networkx", "footprint_contact_graph"]


def _bonds(lat: Lattice):
    """Every bond once: arrays (i, j, shift) with j the neighbour of i across cell shift ``shift``."""
    nbr = lat.neighbour_table()
    _, b = lat.cell_coords()
    i_all, j_all, s_all = [], [], []
    for k in range(lat.z):
        off = lat.offsets[b, k]
        i_all.append(np.arange(lat.n_sites))
        j_all.append(nbr[:, k])
        s_all.append(off[:, : lat.dim])
    i = np.concatenate(i_all)
    j = np.concatenate(j_all)
    s = np.concatenate(s_all)
    keep = i < j           # the reverse bond j -> i carries -s
    return i[keep], j[keep], s[keep]


def site_graph(field: np.ndarray, lat: Lattice) -> nx.Graph:
    """Return the graph of the occupied sites of ``field``.

    The edge attribute ``shift`` is the cell shift from the smaller to the larger site index
    (unwrapped, in cells along each lattice vector).

    Parameters
    ----------
    field : numpy.ndarray
        bool (N,): occupied sites.
    lat : Lattice
        The lattice.

    Returns
    -------
    networkx.Graph
        One node per occupied site, one edge per occupied nearest-neighbour pair.
    """
    occ = np.asarray(field, dtype=bool).reshape(-1)
    g = nx.Graph()
    g.add_nodes_from(np.flatnonzero(occ).tolist())
    i, j, s = _bonds(lat)
    both = occ[i] & occ[j]
    for a, c, sh in zip(i[both].tolist(), j[both].tolist(), s[both]):
        g.add_edge(a, c, shift=tuple(int(v) for v in sh))
    return g


def clusters_networkx(field: np.ndarray, lat: Lattice) -> list[tuple[frozenset, np.ndarray]]:
    """Find the connected clusters of ``field`` and, for each, whether it wraps along each axis.

    Each cluster is embedded by a breadth-first search that gives every site an
    unwrapped position; an edge whose two ends disagree with its shift closes a
    loop around the torus along the axes where they disagree.

    Returns
    -------
    list of (sites, wraps)
        ``sites`` a frozenset of site indices, ``wraps`` bool (dim,); ordered by
        the smallest site index of each cluster.

    Parameters
    ----------
    field : numpy.ndarray
        bool (N,): occupied sites.
    lat : Lattice
        The lattice.
    """
    g = site_graph(field, lat)
    out = []
    for comp in nx.connected_components(g):
        root = min(comp)
        pos = {root: np.zeros(lat.dim, dtype=np.int64)}
        for u, v in nx.bfs_edges(g, root):
            sh = np.array(g.edges[u, v]["shift"])
            pos[v] = pos[u] + (sh if u < v else -sh)
        wraps = np.zeros(lat.dim, dtype=bool)
        for u, v, sh in g.subgraph(comp).edges(data="shift"):
            a, c = (u, v) if u < v else (v, u)
            wraps |= (pos[a] + np.array(sh) - pos[c]) != 0
        out.append((frozenset(comp), wraps))
    out.sort(key=lambda t: min(t[0]))
    return out


def footprint_contact_graph(footprint: np.ndarray, lat: Lattice) -> nx.Graph:
    """Contact graph of SMD footprints: one node per footprint (its nucleus site), an edge
    where two footprints occupy neighbouring sites; node attribute ``size`` (sites).

    Parameters
    ----------
    footprint : int[N]
        Nucleus of the footprint covering each site, -1 where none (snapshot field
        ``footprint``).
    lat : Lattice
        The lattice.

    Returns
    -------
    networkx.Graph
        The contact graph.
    """
    fp = np.asarray(footprint).reshape(-1)
    g = nx.Graph()
    owners, sizes = np.unique(fp[fp >= 0], return_counts=True)
    g.add_nodes_from((int(o), {"size": int(s)}) for o, s in zip(owners, sizes))
    i, j, _ = _bonds(lat)
    a, c = fp[i], fp[j]
    touch = (a >= 0) & (c >= 0) & (a != c)
    pairs = np.unique(np.sort(np.stack([a[touch], c[touch]], axis=1), axis=1), axis=0)
    g.add_edges_from(pairs.tolist())
    return g

