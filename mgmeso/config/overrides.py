"""Command-line overrides of config keys (``--set KEY=VALUE``, ``--seed``, ``--replicas``).

An override replaces a key of the parsed TOML document *before* validation, so
a value from the command line is checked exactly like one written in the file;
messages about an overridden key name the argument that set it.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

__all__ = ["Override", "apply_overrides", "name_override", "parse_set", "set_dotted"]


@dataclass(frozen=True)
class Override:
    """One command-line replacement of a config key.

    ``key`` is dotted (``simulation.L``, ``protocol.segments.2.duration_s``; list
    items are numbered from 1 as in the error messages), ``origin`` is what the
    user typed (``--replicas 8``), named in messages about the key.
    """

    key: str
    value: Any
    origin: str


def parse_set(text: str) -> Override:
    """Parse ``KEY=VALUE`` of ``--set``.

    The value is read as a TOML value (``8``, ``1e-3``, ``true``, ``[1.0, 2.0]``, ``"text"``);
    anything that is not valid TOML is taken as a string (``--set material=la60ni15al25``).

    Parameters
    ----------
    text : str
        The argument of ``--set``.

    Returns
    -------
    Override
        Dotted key, value and the argument itself (for messages).

    Raises
    ------
    ConfigError
        If there is no ``=`` or the dotted key has an empty part.
    """
    origin = f"--set {text}"
    key, eq, raw = text.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not eq or not key or any(not p.strip() for p in parts):
        raise ConfigError([(f"{origin!r}: expected KEY=VALUE with a dotted config key, e.g. "
                            "--set simulation.L=32 or --set protocol.temperature_K=440")])
    raw = raw.strip()
    try:
        value = tomllib.loads(f"v = {raw}")["v"] if raw else ""
    except (tomllib.TOMLDecodeError, RecursionError):
        value = raw
    return Override(key, value, origin)


def apply_overrides(doc: dict, overrides: Sequence[Override]) -> dict:
    """Return a copy of the TOML document with every override applied (not yet validated).

    Parameters
    ----------
    doc : dict
        The parsed TOML document (left unchanged).
    overrides : sequence of Override
        Applied in order; a list item is addressed by its 1-based number.

    Returns
    -------
    dict
        The new document.

    Raises
    ------
    ConfigError
        If a key runs through a value or past the end of a list.
    """
    doc = copy.deepcopy(doc)
    for ov in overrides:
        problem = _set_path(doc, ov.key.split("."), ov.value)
        if problem is not None:
            raise ConfigError([f"{ov.origin}: {problem}"])
    return doc


def _set_path(doc: dict, parts: list[str], value: Any) -> str | None:
    """Set ``doc[parts[0]][parts[1]]...`` in place (list items numbered from 1, missing tables
    created, ``material = "name"`` becoming ``{base = "name"}``); what is wrong, or None.
    """
    node: Any = doc
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        where = ".".join(parts[:i]) or "the config"
        if isinstance(node, list):
            if not part.isdigit() or not 1 <= int(part) <= len(node):
                return (f"{where} is a list of {len(node)} item(s); '{part}' must be an "
                        f"item number from 1 to {len(node)}")
            if last:
                node[int(part) - 1] = value
                return None
            node = node[int(part) - 1]
            continue
        if not isinstance(node, dict):
            return f"{where} is a value, not a table, so it has no key '{part}'"
        if last:
            node[part] = value
            return None
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        elif i == 0 and part == "material" and isinstance(nxt, str):
            nxt = node[part] = {"base": nxt}      # the named material file becomes the base
        node = nxt
    return None


def set_dotted(doc: dict, key: str, value: Any) -> str | None:
    """Set a dotted key in a config document in place; a message if the path does not exist.

    Parameters
    ----------
    doc : dict
        The TOML document, changed in place.
    key : str
        Dotted key (list items numbered from 1).
    value : object
        The new value (copied).

    Returns
    -------
    str or None
        A message if the path does not exist, else None.
    """
    problem = _set_path(doc, key.split("."), copy.deepcopy(value))
    return None if problem is None else f"{key}: {problem}"


def name_override(message: str, overrides: Sequence[Override]) -> str:
    """Add which command-line argument set a key to a message about that key.

    Parameters
    ----------
    message : str
        A validation message.
    overrides : sequence of Override
        The overrides of the run.

    Returns
    -------
    str
        The message, with ``[set on the command line by ...]`` when an override set the key
        it names.
    """
    for ov in overrides:
        parts = ov.key.split(".")
        table = parts[0] if len(parts) > 1 else ""
        names = [p for p in parts[1:] if not p.isdigit()] or parts[:1]
        named = any(f" {n} = " in message or f" {n}[" in message or f"'{n}'" in message
                    or message.startswith(f"{n} = ") for n in names)
        if f"top-level key '{parts[0]}'" in message:
            named, table = True, ""
        if named and (not table or f"[{table}]" in message or f"[[{table}." in message
                      or message.startswith(f"{table} = ")):
            return f"{message} [set on the command line by {ov.origin}]"
    return message
