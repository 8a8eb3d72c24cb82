"""Curves of a measurement file: rows grouped into curves (by temperature within a tolerance, by
frequency or by a set column), each sorted and checked for a monotonic abscissa, and thinned to
a row budget (see :mod:`mgmeso.fit.data`).
"""

from __future__ import annotations

import math

import numpy as np

from .kinds import _PKG, KINDS


def _groups(path, kind, cols, labels, lines, tol_K, errors):
    """Curve index per row and the grouping column's mean per curve."""
    _, _, gq = KINDS[kind]
    gname = _PKG.get(gq) if gq else None
    if labels is not None:
        first: dict[str, int] = {}
        for lab in labels:
            first.setdefault(lab, len(first))
        return np.array([first[lab] for lab in labels]), list(first)
    if gname is None or gname not in cols:
        return np.zeros(lines.size, int), None
    v = cols[gname]
    order = np.argsort(v, kind="stable")
    if gname == "temperature_K":
        gaps = np.diff(v[order]) > tol_K
        what = f"--temperature-tolerance-K {tol_K:g}"
    else:
        gaps = np.diff(np.log(v[order])) > 1e-3
        what = "0.1 %"
    g = np.empty(v.size, int)
    g[order] = np.concatenate([[0], np.cumsum(gaps)])
    if gname == "temperature_K":
        for k in range(int(g.max()) + 1):
            idx = np.flatnonzero(g == k)
            spread = v[idx].max() - v[idx].min()
            if spread > 3 * tol_K:
                errors.append(f"{path}: temperatures from {v[idx].min():g} to {v[idx].max():g} K "
                              f"(lines {lines[idx].min()}-{lines[idx].max()}) do not form isothermal "
                              f"steps within {what}: for a temperature scan use --kind "
                              f"dma-isochronal; otherwise map a sweep/set column (sweep=HEADER) or "
                              f"widen the tolerance")
                break
    return g, None


def _sort_and_check(path, kind, cols, lines, g, errors):
    """Sort rows by (curve, abscissa); the abscissa must be strictly monotonic in each curve."""
    absc = _PKG[KINDS[kind][1]]
    x = cols[absc]
    grp_label = {"temperature_K": "temperature", "frequency_Hz": "frequency"}
    perm = []
    for k in range(int(g.max()) + 1 if g.size else 0):
        idx = np.flatnonzero(g == k)
        d = np.diff(x[idx])
        both = kind.startswith("dma")
        bad = np.flatnonzero(d == 0)
        if not bad.size:
            if both and np.all(d < 0):
                idx = idx[::-1]
            elif not np.all(d > 0):
                sign = -1 if both and d.size and d[0] < 0 else 1
                bad = np.flatnonzero(sign * d <= 0)
        for b in bad[:5]:
            a, c = idx[b], idx[b + 1]
            what = "duplicates" if x[c] == x[a] else "reverses the direction at"
            errors.append(f"{path}: line {lines[c]}: {absc} {x[c]:g} {what} line {lines[a]} "
                          f"({x[a]:g}); the {absc.split('_')[0]} must "
                          + ("increase or decrease strictly within each curve"
                             if both else "increase strictly") +
                          (" (curves are told apart by "
                           + grp_label.get(_PKG.get(KINDS[kind][2] or "", ""), "a sweep column")
                           + "; map a sweep/set column if two curves overlap)" if KINDS[kind][2] else ""))
        perm.append(idx)
    return np.concatenate(perm) if perm else np.arange(0)


def _thin(ds_cols, lines, g, kind, max_points):
    """Return the indices kept: evenly spaced in the fit coordinate of the abscissa within each curve."""
    n = lines.size
    x = ds_cols[_PKG[KINDS[kind][1]]]
    keep = []
    for k in range(int(g.max()) + 1):
        idx = np.flatnonzero(g == k)
        m = max(min(idx.size, 3), math.ceil(idx.size * max_points / n))
        if m >= idx.size:
            keep.append(idx)
            continue
        xi = x[idx]
        if KINDS[kind][1] != "temperature":         # frequency or time: even in the log
            pos = xi[xi > 0]
            xi = np.log(xi if pos.size == xi.size else xi + (pos.min() if pos.size else 1.0))
        targets = np.linspace(xi[0], xi[-1], m)
        pick = np.unique(np.clip(np.searchsorted(xi, targets), 0, idx.size - 1))
        keep.append(idx[pick])
    return np.concatenate(keep)
