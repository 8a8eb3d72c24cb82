"""A replica's whole state as named arrays, and back; checkpoint files that prove their content.

:func:`state_dict` holds the dynamic lattice state (``S_*``: every field of the kernels'
``Sites`` but those rebuilt), the clock (``K_*``: RNG, time, sums, counters), the replica
arrays of :data:`REPLICA_ARRAYS` (``Q_*``: quenched Kanter variables, local defect
fractions), the recorded rows and snapshots (every registered snapshot field), and as JSON
(``meta``) the position in the program, the current segment, the temperature times, both
numpy RNG states and the defect dynamics. :func:`load_state_dict` restores a replica built
from the same setup (any seed) so that it continues bit for bit. A new per-site field is a
field of ``Sites`` (checkpointed by itself) or one :class:`ReplicaArray` entry.

A checkpoint file (:func:`save`) is an ``.npz`` of the state plus a header
``__checkpoint__`` (JSON): the schema version, the case and replica it belongs to, the
config hash, every array's dtype and shape, and the SHA-256 of the content.
:func:`restore` checks all of it, and the arrays against what this replica expects
(names, shapes, dtypes, finite values), before anything is loaded; each problem is a
message naming what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.files import atomic_write
from .calibration import TemperatureTimes
from .loading import SegmentRun
from .observables import OBSERVABLES, SNAPSHOT_REGISTRY

__all__ = ["state_dict", "load_state_dict", "save", "restore", "CheckpointDamaged",
           "CHECKPOINT_SCHEMA", "REPLICA_ARRAYS", "ReplicaArray", "content_digest", "HEADER"]

CHECKPOINT_SCHEMA = 2
HEADER = "__checkpoint__"

#: kernel arrays rebuilt rather than saved: log_tb_hier from the quenched log_tb when the
#: replica is constructed; the rates (leaves, tree, event probabilities, the classes of
#: composition-rejection selection) when a segment is restored; the lattice's offset table
_REBUILT = ("leaves", "event_probs", "top", "offsets", "log_tb_hier", "sel_members", "sel_pos",
            "sel_start", "sel_cum")
#: float state that may legitimately be NaN (K_t_next: no event drawn)
_MAY_BE_NAN = ("K_t_next",)
_META_KEYS = ("seg_index", "seg", "snap_index", "sample_pos", "T", "tpar", "done", "obs_rng",
              "snap_rng", "n_snapshots", "defects")


@dataclass(frozen=True)
class ReplicaArray:
    """An array attribute of the replica (outside the kernels' groups) that a checkpoint holds."""

    key: str        # name in the checkpoint
    attr: str       # attribute of the Replica


#: the replica's own arrays in a checkpoint (one entry per addition)
REPLICA_ARRAYS = [ReplicaArray("Q_U", "U"), ReplicaArray("Q_W", "W"),
                  ReplicaArray("Q_frac", "frac")]


def state_dict(rep) -> dict:
    """Everything needed to continue the replica bit for bit."""
    d = {f"S_{k}": np.asarray(v) for k, v in rep.S._asdict().items() if k not in _REBUILT}
    d.update({f"K_{k}": np.asarray(v) for k, v in rep.K._asdict().items()})
    # quenched Kanter variables and local defect fractions: needed at every temperature change
    d.update({a.key: np.asarray(getattr(rep, a.attr)) for a in REPLICA_ARRAYS})
    if rep.field is not None:     # the interaction field (eigenstrains, pending changes)
        d.update(rep.field.arrays())
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
    for a in REPLICA_ARRAYS:
        if a.key in d:
            setattr(rep, a.attr, np.array(d[a.key]))
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
    if rep.field is not None:
        rep.field.load(d, rep.S)


# ---- checkpoint files ------------------------------------------------------------------------

def content_digest(d: dict) -> str:
    """SHA-256 over every array's name, dtype, shape and bytes (sorted by name)."""
    h = hashlib.sha256()
    for k in sorted(d):
        v = np.ascontiguousarray(d[k])
        h.update(f"{k}\0{v.dtype.str}\0{v.shape}\0".encode())
        h.update(v.tobytes())
    return h.hexdigest()


def _header(d: dict, case: int, replica: int, config_hash: str) -> dict:
    from .. import __version__

    return {"schema": CHECKPOINT_SCHEMA, "mgmeso_version": __version__, "case": case,
            "replica": replica, "config_hash": config_hash,
            "arrays": {k: [np.asarray(v).dtype.str, list(np.shape(v))] for k, v in sorted(d.items())},
            "sha256": content_digest(d)}


def save(path: Path, rep, replica: int, config_hash: str) -> None:
    """Write the checkpoint of replica ``replica`` of case ``rep.case`` atomically, with its
    header."""
    d = state_dict(rep)
    head = json.dumps(_header(d, rep.case, replica, config_hash)).encode()
    with atomic_write(path, "wb") as fh:
        np.savez(fh, **{HEADER: np.frombuffer(head, dtype=np.uint8)}, **d)


class CheckpointDamaged(UserError):
    """A checkpoint file that cannot be used (``problems``: what is wrong with it)."""

    def __init__(self, path, problems: list[str]):
        self.path = Path(path)
        self.problems = list(problems)
        super().__init__([f"checkpoint {self.path.name}: {p}" for p in problems], str(self.path.parent))


def _read(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointDamaged(path, ["is not a regular file"])
    if path.stat().st_size == 0:
        raise CheckpointDamaged(path, ["is empty (0 bytes)"])
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except Exception as exc:  # noqa: BLE001 - numpy/zipfile raise many types for a damaged file
        raise CheckpointDamaged(path, [f"is not a readable .npz file (truncated or damaged: "
                                       f"{exc.__class__.__name__}: {str(exc)[:80]})"]) from None


def _expected_layout(rep) -> dict[str, tuple[str, tuple]]:
    """dtype and shape of every state array a replica of this setup has (records excluded)."""
    return {k: (np.asarray(v).dtype.str, np.shape(v)) for k, v in state_dict(rep).items()
            if k[:2] in ("S_", "K_", "Q_", "E_")}


def _check(d: dict, rep, replica: int, config_hash: str) -> tuple[list[str], dict | None]:
    if HEADER not in d:
        return ["has no header (written by an older mgmeso, or not an mgmeso checkpoint)"], None
    try:
        head = json.loads(bytes(d.pop(HEADER)).decode())
        assert isinstance(head, dict) and isinstance(head.get("arrays"), dict)
    except (ValueError, UnicodeDecodeError, AssertionError, TypeError):
        return ["its header is unreadable (damaged)"], None
    if head.get("schema") != CHECKPOINT_SCHEMA:
        return [f"has checkpoint schema {head.get('schema')!r}; this mgmeso writes "
                f"{CHECKPOINT_SCHEMA}"], None
    probs = []
    if (head.get("case"), head.get("replica")) != (rep.case, replica):
        probs.append(f"holds case {head.get('case')} replica {head.get('replica')}, not case "
                     f"{rep.case} replica {replica} (files swapped, renamed or copied)")
    if head.get("config_hash") != config_hash:
        probs.append(f"belongs to another config (hash {head.get('config_hash')!r}, this run "
                     f"{config_hash!r})")
    listed = head["arrays"]
    for k in sorted(set(listed) - set(d)):
        probs.append(f"array {k!r} is missing")
    for k in sorted(set(d) - set(listed)):
        probs.append(f"array {k!r} is not one mgmeso wrote")
    for k in sorted(set(d) & set(listed)):
        if [d[k].dtype.str, list(d[k].shape)] != list(listed[k]):
            probs.append(f"array {k!r} is {d[k].dtype.str} {d[k].shape}, written as "
                         f"{listed[k][0]} {tuple(listed[k][1])}")
    if not probs and content_digest(d) != head.get("sha256"):
        probs.append("its content differs from its checksum (altered or damaged)")
    return probs, head


def _check_layout(d: dict, rep) -> list[str]:
    """The arrays against what a replica of this setup holds (after the checksum passed)."""
    probs = []
    for k, (dt, shape) in _expected_layout(rep).items():
        if k not in d:
            probs.append(f"array {k!r} is missing (this mgmeso's replica has it)")
        elif (d[k].dtype.str, d[k].shape) != (dt, shape):
            probs.append(f"array {k!r} is {d[k].dtype.str} {d[k].shape}; this run's replica "
                         f"has {dt} {shape}")
        elif d[k].dtype.kind == "f" and k not in _MAY_BE_NAN and not np.all(np.isfinite(d[k])):
            probs.append(f"array {k!r} holds {int(np.sum(~np.isfinite(d[k])))} NaN or infinite "
                         f"value(s)")
    rec = d.get("records")
    if rec is None or rec.ndim != 2 or rec.shape[1] != len(OBSERVABLES):
        probs.append(f"its recorded rows have {None if rec is None else rec.shape} columns; "
                     f"this mgmeso records {len(OBSERVABLES)} observables")
    try:
        meta = json.loads(bytes(d["meta"]).decode())
        missing = [k for k in _META_KEYS if k not in meta]
        if missing:
            probs.append(f"its program position lacks {', '.join(missing)}")
            return probs
    except (KeyError, ValueError, UnicodeDecodeError, TypeError):
        probs.append("its program position ('meta') is unreadable")
        return probs
    n = meta["n_snapshots"]
    if not isinstance(n, int) or n < 0:
        probs.append(f"n_snapshots = {n!r} is not a count")
        return probs
    for i in range(n):
        for name in ("time_s",) + tuple(f.name for f in SNAPSHOT_REGISTRY):
            if f"snap{i}_{name}" not in d:
                probs.append(f"snapshot {i} lacks field {name!r}")
    return probs


def restore(path: Path, rep, replica: int, config_hash: str) -> None:
    """Load the checkpoint at ``path`` into ``rep`` after checking it.

    Raises
    ------
    CheckpointDamaged
        Naming the file and every problem found; ``rep`` is then left unusable (rebuild it).
    """
    path = Path(path)
    d = _read(path)
    probs, _ = _check(d, rep, replica, config_hash)
    if not probs:
        probs = _check_layout(d, rep)
    if probs:
        raise CheckpointDamaged(path, probs)
    try:
        load_state_dict(rep, d)
    except Exception as exc:  # noqa: BLE001 - a consistent file this code cannot continue
        raise CheckpointDamaged(path, [f"could not be restored ({exc.__class__.__name__}: "
                                       f"{str(exc)[:80]})"]) from None
