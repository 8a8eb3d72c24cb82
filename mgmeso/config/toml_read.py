"""Read TOML text and files for the config loader, with one clear error per problem (syntax,
depth, encoding).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: deepest nesting of tables and lists a config may have ([[protocol.segments]] needs 4)
MAX_DEPTH = 8


def _too_deep(doc: dict) -> str | None:
    """Return the dotted path of the first value nested deeper than MAX_DEPTH, if any."""
    stack: list[tuple[Any, str, int]] = [(doc, "", 0)]
    while stack:
        node, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            return where
        items = node.items() if isinstance(node, dict) else (
            enumerate(node, 1) if isinstance(node, list) else ())
        for k, v in items:
            if isinstance(v, (dict, list)):
                stack.append((v, f"{where}.{k}" if where else str(k), depth + 1))
    return None


def _read_toml(path: Path) -> dict:
    try:
        # utf-8-sig: a byte-order mark (written by some Windows editors) is accepted and dropped
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError([f"config file {path} does not exist"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([(f"cannot read {path}: not UTF-8 text (byte {exc.start}: "
                            f"{exc.reason}); TOML files are UTF-8")]) from None
    except OSError as exc:
        raise ConfigError([f"cannot read {path}: {exc.strerror or exc}"]) from None
    return parse_toml_text(text, str(path))


def parse_toml_text(text: str, source: str | None = None) -> dict:
    """Parse TOML text, turning every parser failure into a :class:`ConfigError`.

    Parameters
    ----------
    text : str
        The TOML document.
    source : str, optional
        File name for the messages.

    Returns
    -------
    dict
        The parsed document.

    Raises
    ------
    ConfigError
        On invalid TOML or nesting deeper than any mgmeso key takes.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], source=source) from None
    except RecursionError:
        raise ConfigError([(f"not valid for mgmeso: brackets or braces nested too deeply for the "
                            f"TOML reader (a config nests at most {MAX_DEPTH} levels)")],
                          source=source) from None
    where = _too_deep(doc)
    if where is not None:
        raise ConfigError([(f"{where}: nested more than {MAX_DEPTH} levels of tables and lists "
                            "deep; no mgmeso key takes such a value")], source=source)
    return doc
