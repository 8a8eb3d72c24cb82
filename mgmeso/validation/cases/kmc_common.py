"""Shared machinery of the kMC cases (groups 2 and 3): run a config, compare, judge z-scores.

A kMC config of a case directory is run as ``mgmeso compare`` runs it (the ensemble into
a run store in a temporary directory, read back and compared by :mod:`mgmeso.compare`),
with the lattice size, replica count and any protocol keys of the mode's settings laid
over the file. The z-scores ``z = (kMC mean - theory) / SE`` (SE from the replica spread)
are judged by :func:`z_rule`.

Multiple-comparison rule (docs of both cases). For ``n`` z-scores from ``R`` replicas
each z follows Student's t with ``R - 1`` degrees of freedom (N(0, 1) as R grows) if the
analytical model is the ensemble mean. A set of z-scores passes when

* the count of ``|z| > 3`` is at most the ``1 - alpha`` quantile of Binomial(n, p3),
  ``p3 = P(|t_(R-1)| > 3)`` (so the expected count ``n p3`` is shown), and
* the Kolmogorov-Smirnov test of the z-scores against t(R - 1) has p >= alpha,

with ``alpha = 0.05 / (2 m)`` for the ``m`` z-checks of a case (Bonferroni over its 2 m
tests: family-wise false-alarm rate at most 5 % for independent z-scores). Points of one
curve are positively correlated (a strain is a running sum; the quenched disorder of a
replica is shared by all its samples), which the rule ignores: for an exact model its
false-alarm rate is then above the nominal level (the z-scores come in correlated
clusters), so a failure calls for a rerun with more replicas before it is believed.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
from scipy import stats

from ..core import FAIL, PASS, Check

#: a replica count at which t(R - 1) is N(0, 1) for the rule (pooled normal scores use it)
NORMAL = 10**9
#: family-wise false-alarm rate of the z-checks of one case
FAMILY_ALPHA = 0.05


def _set(doc: dict, dotted: str, value) -> None:
    *head, last = dotted.split(".")
    d = doc
    for k in head:
        d = d.setdefault(k, {})
    d[last] = value


def load_case_config(directory: Path, filename: str, settings: dict | None = None,
                     material: dict | None = None):
    """Read a config of a case directory with dotted-key settings laid over it.

    Parameters
    ----------
    directory : pathlib.Path
        The case directory.
    filename : str
        The TOML file.
    settings : dict, optional
        ``"simulation.L" -> 6`` and the like.
    material : dict, optional
        Material keys replaced after parsing.

    Returns
    -------
    RunConfig
        The validated config.
    """
    from ...config import parse_config

    with open(directory / filename, "rb") as fh:
        doc = tomllib.load(fh)
    for k, v in (settings or {}).items():
        _set(doc, k, v)
    cfg = parse_config(doc)
    if material:
        cfg = dataclasses.replace(cfg, material=dataclasses.replace(cfg.material, **material))
    return cfg


def run_store(cfg, tmpdir: Path, name: str = "run"):
    """Run the ensemble of ``cfg`` into ``tmpdir/<name>.zarr`` and open it.

    Parameters
    ----------
    cfg : RunConfig
        The config.
    tmpdir : pathlib.Path
        A scratch directory.
    name : str
        The store's name.

    Returns
    -------
    (RunData, float)
        The opened store and the wall time of the run (s).
    """
    from ...kmc.ensemble import run_ensemble
    from ...kmc.store import read_run, write_run

    res = run_ensemble(cfg, None, progress=False)
    path = Path(tmpdir) / f"{name}.zarr"
    write_run(res, path, {}, provenance={"written_by": "mgmeso validate"})
    return read_run(path), float(res.wall_s)


def time_domain(cfg, theory_cfg=None) -> dict:
    """Run a time-domain config and compare it with its analytical counterpart.

    Parameters
    ----------
    cfg : RunConfig
        The kMC config.
    theory_cfg : RunConfig, optional
        The config the theory is computed from (default: ``cfg``); tests give a different
        material to the kMC this way.

    Returns
    -------
    dict
        ``labels``, ``model``, ``times``, ``kmc``, ``se``, ``theory``, ``z`` (per case, per
        quantity), ``replicas``, ``wall_s``, ``events`` (annihilations + coalescences per
        replica at each sample).
    """
    from ...compare import COMPARED, compare
    from ...kmc.ensemble import run_ensemble
    from ...kmc.reader import ensemble_stats
    from ...kmc.replica import TS_INDEX
    from ...kmc.setup import make_setup

    # the replicas' tables in memory (a time-domain comparison needs no run store)
    res = run_ensemble(cfg, None, progress=False)
    wall = float(res.wall_s)
    data = res.stacked()
    stats_ = {n: ensemble_stats(data[..., i]) for n, i in TS_INDEX.items()}

    def mean(n):
        return stats_[n][0]

    def se(n):
        return stats_[n][1]

    setup = make_setup(theory_cfg) if theory_cfg is not None else res.setup
    cmp = compare(setup, mean, se, cfg.theory.chi_law)
    events = mean("events_annihilation") + mean("events_coalescence")
    as_lists = dict(
        labels=list(cmp.labels), model=list(cmp.model), times=[np.asarray(t) for t in cmp.times],
        kmc=[{n: np.asarray(m[n]) for n in COMPARED} for m in cmp.kmc_mean],
        se=[{n: np.asarray(m[n]) for n in COMPARED} for m in cmp.kmc_se],
        theory=[{n: np.asarray(m[n]) for n in COMPARED} for m in cmp.theory],
        z=[{n: np.asarray(m[n]) for n in COMPARED} for m in cmp.z],
        events=[np.asarray(e[np.isfinite(e)]) for e in events])
    return {**as_lists, "replicas": int(cfg.simulation.replicas), "wall_s": wall,
            "lattice": f"{cfg.simulation.lattice} L = {cfg.simulation.L}"}


def z_rule(z: np.ndarray, replicas: int, alpha: float) -> dict:
    """Apply the multiple-comparison rule of the module docstring to one set of z-scores.

    Parameters
    ----------
    z : numpy.ndarray
        The z-scores (NaN dropped).
    replicas : int
        Replicas behind each standard error.
    alpha : float
        Level of each of the two tests.

    Returns
    -------
    dict
        ``n``, ``beyond`` (count of |z| > 3), ``expected`` (n p3), ``max_beyond`` (the
        binomial 1 - alpha quantile), ``ks_p``, ``mean``, ``rms``, ``max_abs`` and ``passed``.
    """
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    n = int(z.size)
    dof = max(int(replicas) - 1, 1)
    p3 = float(2.0 * stats.t.sf(3.0, dof))
    if n == 0:
        return dict(n=0, beyond=0, expected=0.0, max_beyond=0, ks_p=float("nan"), mean=float("nan"),
                    rms=float("nan"), max_abs=float("nan"), passed=False)
    beyond = int(np.sum(np.abs(z) > 3.0))
    max_beyond = int(stats.binom.ppf(1.0 - alpha, n, p3))
    ks_p = float(stats.kstest(z, stats.t(dof).cdf).pvalue)
    return dict(n=n, beyond=beyond, expected=n * p3, max_beyond=max_beyond, ks_p=ks_p,
                mean=float(z.mean()), rms=float(np.sqrt(np.mean(z**2))),
                max_abs=float(np.max(np.abs(z))),
                passed=bool(beyond <= max_beyond and ks_p >= alpha))


def z_check(name: str, z: np.ndarray, replicas: int, alpha: float, source: str,
            what: str = "analytical model", note: str = "") -> Check:
    """Make a pass/fail check of z-scores under :func:`z_rule`.

    Parameters
    ----------
    name : str
        What is compared.
    z : numpy.ndarray
        The z-scores.
    replicas : int
        Replicas behind each standard error.
    alpha : float
        Level of each test.
    source : str
        Where the reference side comes from.
    what : str
        The reference side, in words.
    note : str
        Added to the note.

    Returns
    -------
    Check
        ``measured``: count beyond 3 SE of n and the KS p-value; ``reference``: the expected count.
    """
    r = z_rule(z, replicas, alpha)
    measured = f"{r['beyond']} of {r['n']} beyond 3 SE; KS p = {r['ks_p']:.3g}"
    reference = f"{what}: {r['expected']:.2f} expected beyond 3 SE"
    normal = replicas >= NORMAL
    law = "N(0, 1)" if normal else f"t({replicas - 1})"
    tol = (f"<= {r['max_beyond']} beyond 3 SE (binomial {1 - alpha:.4g} quantile) and KS p >= "
           f"{alpha:.2g} ({law})")
    extra = (f"z mean {r['mean']:+.2f}, rms {r['rms']:.2f}, max |z| {r['max_abs']:.2f}"
             + ("" if normal else f"; {replicas} replicas") if r["n"] else "no z-score to judge")
    return Check(name, measured, reference, "", tol, PASS if r["passed"] else FAIL, PASS, source,
                 f"{extra}. {note}".strip())


def case_alpha(n_checks: int) -> float:
    """Return the level of each test for a case with ``n_checks`` z-checks (two tests each).

    Parameters
    ----------
    n_checks : int
        Number of z-checks of the case.

    Returns
    -------
    float
        The family level shared by Bonferroni over ``2 n_checks`` tests.
    """
    return FAMILY_ALPHA / (2 * max(n_checks, 1))
