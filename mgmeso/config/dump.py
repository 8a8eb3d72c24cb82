"""A resolved config as plain data (for run metadata and checkpoint identity)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

from .loader import RunConfig

__all__ = ["config_dict", "config_hash"]


def _plain(obj):
    if dataclasses.is_dataclass(obj):
        d = {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        kind = getattr(type(obj), "kind", None) or getattr(type(obj), "type", None)
        if kind is not None:
            d = {("kind" if hasattr(type(obj), "kind") else "type"): kind, **d}
        return d
    if isinstance(obj, (list, tuple)):
        return [_plain(x) for x in obj]
    return obj


def config_dict(cfg: RunConfig) -> dict:
    """Every table of the resolved config as JSON-compatible data.

    Parameters
    ----------
    cfg : RunConfig
        The resolved config.

    Returns
    -------
    dict
        ``title``, ``config_file``, ``material_origin`` and one dict per table.
    """
    proto = _plain(cfg.protocol)
    if getattr(cfg.protocol, "segments", ()):      # a free program: its segments' tables
        proto["segments"] = [_plain(s) for s in cfg.protocol.segments]
    return {
        "title": cfg.title,
        "config_file": str(cfg.path) if cfg.path else None,
        "material_origin": cfg.material_origin,
        "material": _plain(cfg.material),
        "protocol": proto,
        "theory": _plain(cfg.theory),
        "simulation": _plain(cfg.simulation),
        "defects": _plain(cfg.defects),
        "output": _plain(cfg.output),
    }


def config_hash(cfg: RunConfig, ignore_sim: tuple[str, ...] = ("checkpoint_every_s",)) -> str:
    """Hash of everything that determines a run's result (not where or how often it is saved).

    Parameters
    ----------
    cfg : RunConfig
        The resolved config.
    ignore_sim : tuple of str
        ``[simulation]`` keys left out (they change how a run is saved, not its result).

    Returns
    -------
    str
        The first 16 hex digits of the SHA-256 of the config's JSON form.
    """
    d = config_dict(cfg)
    # where the config and its material were read from does not change the result (and a
    # config printed by 'mgmeso config show' and read back must hash the same)
    d.pop("config_file")
    d.pop("material_origin")
    d["output"] = {"snapshot_times_s": d["output"]["snapshot_times_s"]}
    for k in ignore_sim:
        d["simulation"].pop(k, None)
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
