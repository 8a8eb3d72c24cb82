"""A replica's whole state as named arrays, and back: what a checkpoint holds.

:func:`state_dict` holds the dynamic lattice state (``S_*``), the clock (``K_*``: RNG, time,
sums, counters), the quenched Kanter variables and local defect fractions (``Q_*``), the
recorded rows and snapshots, and as JSON (``meta``) the position in the program, the current
segment (:class:`~.loading.SegmentRun`), the temperature times, both numpy RNG states and
the defect dynamics. :func:`load_state_dict` restores a replica built from the same setup
(any seed) so that it continues bit for bit.
"""

from __future__ import annotations

import json

import numpy as np

from .calibration import TemperatureTimes
from .loading import SegmentRun
from .observables import SNAPSHOT_REGISTRY

__all__ = ["state_dict", "load_state_dict"]

#: kernel arrays rebuilt rather than saved: log_tb_hier from the quenched log_tb when the
#: replica is constructed; the rates (leaves, tree, event probabilities) when a segment is
#: restored; the lattice's offset table
_REBUILT = ("leaves", "event_probs", "top", "offsets", "log_tb_hier")


def state_dict(rep) -> dict:
    """Everything needed to continue the replica bit for bit."""
    d = {f"S_{k}": np.asarray(v) for k, v in rep.S._asdict().items() if k not in _REBUILT}
    d.update({f"K_{k}": np.asarray(v) for k, v in rep.K._asdict().items()})
    # quenched Kanter variables and local defect fractions: needed at every temperature change
    d.update({"Q_U": rep.U, "Q_W": rep.W, "Q_frac": rep.frac})
    d["records"] = rep.table()
    meta = {
        "seg_index": rep.seg_index, "seg": None if rep.seg is None else rep.seg.to_dict(),
        "snap_index": rep.snap_index,
        "sample_pos": rep.sample_pos, "T": rep.T,
        "tpar": {} if rep.times is None else rep.times.to_dict(),
        "done": rep.done, "obs_rng": rep.obs_rng.bit_generator.state,
        "snap_rng": rep.snap_rng.bit_generator.state,
        "n_snapshots": len(rep.snapshots),
        "defects": rep.dyn.state() if rep.dyn is not None else None,
    }
    d["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    for i, snap in enumerate(rep.snapshots):
        for k, v in snap.items():
            d[f"snap{i}_{k}"] = np.asarray(v)
    return d


def load_state_dict(rep, d) -> None:
    """Restore ``rep`` from :func:`state_dict` (the quenched arrays are overwritten too)."""
    for k in rep.S._fields:
        if f"S_{k}" in d:
            getattr(rep.S, k)[...] = d[f"S_{k}"]
    for k in rep.K._fields:
        if f"K_{k}" in d:
            getattr(rep.K, k)[...] = d[f"K_{k}"]
    if "Q_U" in d:
        rep.U, rep.W, rep.frac = (np.array(d[k]) for k in ("Q_U", "Q_W", "Q_frac"))
    rep.recalibrate()
    meta = json.loads(bytes(d["meta"]).decode())
    rep.seg_index = meta["seg_index"]
    rep.seg = None if meta["seg"] is None else SegmentRun.from_dict(meta["seg"])
    rep.snap_index = meta["snap_index"]
    rep.sample_pos = meta["sample_pos"]
    rep.T = meta["T"]
    rep.times = TemperatureTimes.from_dict(meta["tpar"]) if meta["tpar"] else None
    rep.done = meta["done"]
    rep.obs_rng.bit_generator.state = meta["obs_rng"]
    rep.snap_rng.bit_generator.state = meta["snap_rng"]
    if rep.dyn is not None and meta.get("defects"):
        rep.dyn.load(meta["defects"])
    rep.records = list(d["records"])
    rep.snapshots = []
    for i in range(meta["n_snapshots"]):
        snap = {}
        for name in ("time_s",) + tuple(f.name for f in SNAPSHOT_REGISTRY):
            v = d[f"snap{i}_{name}"]
            snap[name] = float(v) if name == "time_s" else v
        rep.snapshots.append(snap)
    if rep.seg is not None:
        rep.restore_rates()
