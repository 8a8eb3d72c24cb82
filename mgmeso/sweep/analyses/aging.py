"""Aging of La60Ni15Al25 in the kMC: the stepped relaxation ([Duan2022]) and pre-anneal ([Hao2023]).

* ``stepped`` (configs/sweeps/aging_stepped.toml): delta = (sigma_0 - sigma_r)/sigma_0 per 3 K
  step of the as-quenched run and of the second run after slow cooling, with the defect
  fraction and mean chi at the end of each step (means and SE over the replica axis, from the
  ``stepped_delta`` observable); stepped_delta.csv.
* ``preanneal`` (aging_preanneal.toml): sigma/sigma_0 of the first and second relaxation at
  0.6 % strain after 0-6000 s of annealing at 315 K, the extra decay of the first relaxation
  (second - first, paired replica by replica) and the same with the defect dynamics off
  (reversible memory); preanneal_315K.csv, preanneal_315K_aging_off.csv.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from ...io.table import Table
from ..observables import mean_se
from . import register_analysis
from .common import Outputs, per_replica


@register_analysis("stepped")
def _stepped(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate delta per step of the as-quenched and the slowly cooled run (``stepped``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    from ...kmc.aging import STEP_COLUMNS, stepped_delta
    from ...kmc.replica import TIME_SERIES

    o = Outputs(out, overwrite)
    names = [n for n, _, _ in TIME_SERIES]
    per = []
    for view, r in per_replica(sd, ds):
        data = np.stack([view.series(n)[0, r] for n in names], axis=-1)
        per.append(stepped_delta(data[np.isfinite(data[:, 0])], view.setup.programs[0]))
    n = max(p.shape[0] for p in per)
    arr = np.full((len(per), n, len(STEP_COLUMNS)), np.nan)
    for i, p in enumerate(per):
        arr[i, : p.shape[0]] = p
    mean, se = mean_se(arr, axis=0)
    cols = {"run": mean[:, 0], "temperature_K": mean[:, 1]}
    for k in ("delta", "defect_fraction", "chi_mean", "sigma0_MPa"):
        i = STEP_COLUMNS.index(k)
        cols[k] = mean[:, i]
        cols[k + "_se"] = se[:, i]
    Table(cols).to_csv(o.path("stepped_delta.csv"))
    r1, r2 = cols["run"] == 1, cols["run"] == 2
    below = cols["temperature_K"] <= 440.0
    lines = [f"stepped: {len(per)} replicas"]
    if r2.any():
        diff = cols["delta"][r1 & below] - cols["delta"][r2 & below]
        z = diff / np.hypot(cols["delta_se"][r1 & below], cols["delta_se"][r2 & below])
        lines.append(f"  steps <= 440 K: delta(run 1) - delta(run 2) mean {diff.mean():+.4f}, "
                     f"{np.sum(z > 2)} of {z.size} steps above +2 SE, {np.sum(z < -2)} below -2 SE")
        f = cols["defect_fraction"]
        lines.append(f"  defect fraction at {cols['temperature_K'][0]:g} K: run 1 "
                     f"{f[r1][0]:.4f}, run 2 {f[r2][0]:.4f}")
    return lines + o.lines()


def _relaxations(view, r: int, first: int, t_first_s: float):
    """Time since loading and sigma/sigma_0 of the first relaxation (segment ``first``) and
    the second (``first + 3``: after unloading and recovery) of one replica.
    """
    seg = view.series("segment")[0, r]
    t_all = view.series("time_s")[0, r]
    st_all = view.series("stress_MPa_expected")[0, r]
    out = {}
    for stage, k in ((1, first), (3, first + 3)):
        m = seg == k
        t = t_all[m]
        out[stage] = st_all[m] / st_all[m][0]
    return t - t[0] + t_first_s, out


def _first_relaxation(view) -> int:
    """Index of the first strain hold of the program (1 after an anneal, 0 without)."""
    segs = view.cfg.protocol.segments
    return next(i for i, s in enumerate(segs) if s.held_strain() is not None)


@register_analysis("preanneal")
def _preanneal(sd, ds, out, options, overwrite) -> list[str]:
    """Tabulate the relaxations after each pre-anneal time (``preanneal``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`.
    """
    if "anneal" not in ds.dims:
        raise UserError("preanneal needs an axis named anneal")
    o = Outputs(out, overwrite)
    cols: dict[str, np.ndarray] = {}
    baseline = None
    lines = []
    for label in ds.anneal.values:
        samples = per_replica(sd, ds.sel(anneal=label))
        view0 = samples[0][0]
        first = _first_relaxation(view0)
        tf = view0.cfg.protocol.t_first_s
        curves = [_relaxations(view, r, first, tf) for view, r in samples]
        t = curves[0][0]
        st1 = np.array([c[1][1] for c in curves])
        st3 = np.array([c[1][3] for c in curves])
        (m1, s1), (m3, s3) = mean_se(st1), mean_se(st3)
        me, se = mean_se(st3 - st1)
        at = ", ".join(f"{np.interp(x, t, me):+.4f} +/- {np.interp(x, t, se):.4f}"
                       for x in (100, 300, 1000, 3000))
        if not view0.cfg.defects.enabled:
            baseline = (t, me, se)
            lines.append(f"preanneal baseline ({label}): second - first (paired) at "
                         f"100/300/1000/3000 s: {at}")
            continue
        ta = f"{float(label):g}" if _is_number(label) else str(label)
        fr = np.array([view.series("defect_fraction")[0, r][np.isfinite(
            view.series("defect_fraction")[0, r])][-1] for view, r in samples])
        fm, fs = mean_se(fr)
        lines.append(f"preanneal {ta:>6} s: final defect fraction {fm:.4f} +/- {fs:.4f}; "
                     "extra decay of the first relaxation (second - first, paired) at "
                     f"100/300/1000/3000 s: {at}")
        for stage, m, s in ((1, m1, s1), (3, m3, s3)):
            cols[f"time_s_anneal{ta}_stage{stage}"] = t
            cols[f"stress_ratio_anneal{ta}_stage{stage}"] = m
            cols[f"stress_ratio_anneal{ta}_stage{stage}_se"] = s
        cols[f"extra_decay_anneal{ta}"] = me
        cols[f"extra_decay_anneal{ta}_se"] = se
    if cols:
        n = max(len(v) for v in cols.values())
        Table({k: np.pad(v, (0, n - len(v)), constant_values=np.nan)
               for k, v in cols.items()}).to_csv(o.path("preanneal_315K.csv"))
    if baseline is not None:
        t, m, s = baseline
        Table({"time_s": t, "extra_decay_aging_off": m, "extra_decay_aging_off_se": s}).to_csv(
            o.path("preanneal_315K_aging_off.csv"))
    return lines + o.lines()


def _is_number(x) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return True
