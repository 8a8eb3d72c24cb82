"""Declarative parameter fields and the one validator that reads TOML tables into them.

Every config table maps 1:1 onto a frozen dataclass whose fields are declared
with :func:`param`: the field carries its unit, a one-line meaning, the allowed
range, why that range, and where its default comes from. :func:`parse_table`
turns a TOML table into the dataclass, collecting every problem (unknown key
with a did-you-mean suggestion, wrong type, NaN, out of range) as a message
that names the key, the value, the allowed range and the reason.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import types
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any

__all__ = ["Spec", "param", "parse_table", "field_specs", "format_value", "range_text"]


@dataclass(frozen=True)
class Spec:
    """Metadata of one config key."""

    unit: str = ""
    doc: str = ""
    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    why: str = ""
    source: str = ""
    choices: tuple[str, ...] | None = None
    min_items: int = 1


def param(
    default: Any = MISSING,
    *,
    unit: str = "",
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    hi_open: bool = False,
    why: str = "",
    source: str = "",
    choices: tuple[str, ...] | None = None,
    min_items: int = 1,
) -> Any:
    """Declare a dataclass field that is a validated config key.

    Parameters
    ----------
    default : object, optional
        Default value (a list becomes a tuple, so that the frozen dataclass stays hashable);
        omitted: the key is required.
    unit : str
        Unit of the value (also the suffix of the key's name).
    doc : str
        One-line meaning of the key, shown by ``mgmeso config`` and in messages.
    lo, hi : float, optional
        Allowed range; ``lo_open``/``hi_open`` make an end exclusive.
    lo_open, hi_open : bool
        Exclude ``lo`` / ``hi`` from the range.
    why : str
        Why that range (quoted in the error message).
    source : str
        Where the default comes from (paper, table, equation).
    choices : tuple of str, optional
        Allowed values of a string key.
    min_items : int
        Fewest items of a list-valued key.

    Returns
    -------
    dataclasses.Field
        The field, with its :class:`Spec` in ``metadata["spec"]``.
    """
    spec = Spec(unit, doc, lo, hi, lo_open, hi_open, why, source, choices, min_items)
    if isinstance(default, list):
        default = tuple(default)
    if default is MISSING:
        return field(metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def field_specs(cls: type) -> dict[str, tuple[dataclasses.Field, Spec]]:
    """Return the config keys of a dataclass, in declaration order.

    Parameters
    ----------
    cls : type
        A dataclass whose fields were declared with :func:`param`.

    Returns
    -------
    dict
        ``name -> (field, Spec)`` for every declared key (other fields are left out).
    """
    out = {}
    for f in dataclasses.fields(cls):
        spec = f.metadata.get("spec")
        if spec is not None:
            out[f.name] = (f, spec)
    return out


def range_text(spec: Spec) -> str:
    """Human form of the allowed range, e.g. ``(0, 1]``.

    Parameters
    ----------
    spec : Spec
        The key's metadata.

    Returns
    -------
    str
        ``[lo, hi]`` with open ends as parentheses, ``one of ...`` for choices, ``""`` if
        unbounded.
    """
    if spec.choices is not None:
        return "one of " + ", ".join(repr(c) for c in spec.choices)
    if spec.lo is None and spec.hi is None:
        return ""
    left = "(" if (spec.lo_open or spec.lo is None) else "["
    right = ")" if (spec.hi_open or spec.hi is None) else "]"
    lo = "-inf" if spec.lo is None else format_value(spec.lo)
    hi = "inf" if spec.hi is None else format_value(spec.hi)
    return f"{left}{lo}, {hi}{right}"


def format_value(v: Any) -> str:
    """Format a value as TOML would write it (for messages and ``mgmeso config show``).

    Parameters
    ----------
    v : object
        A bool, float, str, list/tuple of those, or anything else (then its ``repr``).

    Returns
    -------
    str
        ``true``/``false``, floats in ``%g`` (``%.6g`` when very large or small), quoted
        strings, lists in brackets.

    Examples
    --------
    >>> format_value(1e-5), format_value(True), format_value((1.0, 2.5))
    ('1e-05', 'true', '[1, 2.5]')
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
            return f"{v:.6g}"
        return f"{v:g}"
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(format_value(x) for x in v) + "]"
    return repr(v)


class _Bad(Exception):
    pass


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_name(a) for a in typing.get_args(tp) if a is not type(None))
    if origin is tuple:
        return f"a list of {_type_name(typing.get_args(tp)[0])}s"
    return {float: "a number", int: "an integer", bool: "true/false", str: "a string"}.get(tp, str(tp))


def _coerce_scalar(value: Any, tp: type) -> Any:
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad
        try:
            v = float(value)
        except OverflowError:   # an integer literal beyond the float range
            raise _Bad("is too large for a floating-point number") from None
        if not math.isfinite(v):
            raise _Bad("must be finite (NaN and infinity are not allowed)")
        return v
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _Bad
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise _Bad
        return value
    if tp is str:
        if not isinstance(value, str):
            raise _Bad
        return value
    raise TypeError(f"unsupported field type {tp}")  # programming error


def _coerce(value: Any, tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _coerce(value, args[0])
    if origin is tuple:
        elem = typing.get_args(tp)[0]
        items = value if isinstance(value, list) else [value]
        return tuple(_coerce_scalar(x, elem) for x in items)
    return _coerce_scalar(value, tp)


def _check_range(v: Any, spec: Spec) -> bool:
    if spec.choices is not None:
        return v in spec.choices
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return True
    if spec.lo is not None and (v < spec.lo or (spec.lo_open and v == spec.lo)):
        return False
    if spec.hi is not None and (v > spec.hi or (spec.hi_open and v == spec.hi)):
        return False
    return True


def _describe(name: str, spec: Spec) -> str:
    unit = f" in {spec.unit}" if spec.unit else ""
    return f"{name} is the {spec.doc}{unit}"


def suggest(key: str, valid: list[str]) -> str:
    """Return a 'did you mean' phrase for a misspelt key (empty if nothing is close).

    Parameters
    ----------
    key : str
        The unknown key.
    valid : list of str
        The keys allowed where it was found.

    Returns
    -------
    str
        ``"; did you mean 'x'?"`` (with a case-sensitivity note when only the case differs),
        or ``""``.
    """
    lowered = {v.lower(): v for v in valid}
    if key.lower() in lowered:
        return f"; did you mean '{lowered[key.lower()]}'? (keys are case-sensitive)"
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(key.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_table(
    cls: type,
    table: Any,
    where: str,
    errors: list[str],
    *,
    ignore: tuple[str, ...] = (),
    defaults: dict[str, Any] | None = None,
) -> Any:
    """Read a TOML table into the frozen dataclass ``cls``.

    Problems are appended to ``errors`` (never raised), so that one run of the
    validator reports everything wrong with a file. Returns the instance, or
    ``None`` if any problem was found.

    Parameters
    ----------
    cls
        Dataclass whose fields were declared with :func:`param`.
    table
        The parsed TOML table (a dict), or anything else (then it is an error).
    where
        Human name of the table, e.g. ``"[material]"``.
    errors
        Message list to append to.
    ignore
        Keys handled by the caller (e.g. a ``kind`` discriminator).
    defaults
        Values that replace the dataclass defaults (e.g. from a base file).

    Returns
    -------
    object or None
        An instance of ``cls``, or None if any problem was found.
    """
    if not isinstance(table, dict):
        errors.append(f"{where} must be a table of key = value pairs, got {format_value(table)}")
        return None
    specs = field_specs(cls)
    type_hints = typing.get_type_hints(cls)
    n_before = len(errors)
    values: dict[str, Any] = {}
    for key, raw in table.items():
        if key in ignore:
            continue
        if not isinstance(key, str):
            continue  # TOML keys are strings; a caller passing others is a bug
        if key not in specs:
            valid = list(specs)
            errors.append(
                f"{where} unknown key '{key}'{suggest(key, valid)} "
                f"(valid keys: {', '.join(valid)})"
            )
            continue
        f, spec = specs[key]
        tp = type_hints[key]
        try:
            v = _coerce(raw, tp)
        except _Bad as exc:
            reason = str(exc) or f"must be {_type_name(tp)}"
            errors.append(f"{where} {key} = {format_value(raw)}: {reason} ({_describe(key, spec)})")
            continue
        items = v if isinstance(v, tuple) else (v,)
        if isinstance(v, tuple) and len(v) < spec.min_items:
            errors.append(f"{where} {key} = {format_value(raw)}: needs at least {spec.min_items} value(s)")
            continue
        if isinstance(v, tuple) and len(set(v)) < len(v):
            twice = sorted({x for x in v if v.count(x) > 1})
            errors.append(
                f"{where} {key} = {format_value(raw)}: values must be distinct "
                f"({', '.join(format_value(x) for x in twice)} given more than once): each value "
                f"is a separate case, point or time, and a repeated one adds nothing but breaks "
                f"fits across them ({_describe(key, spec)})")
            continue
        ok = True
        for i, x in enumerate(items):
            if not _check_range(x, spec):
                idx = f"[{i}]" if isinstance(v, tuple) else ""
                why = f": {spec.why}" if spec.why else ""
                errors.append(
                    f"{where} {key}{idx} = {format_value(x)}: allowed range is {range_text(spec)}"
                    f"{why} ({_describe(key, spec)})"
                )
                ok = False
        if ok:
            values[key] = v
    merged = dict(defaults or {})
    merged.update(values)
    for key, (f, spec) in specs.items():
        if key in merged or key in table:  # a key given with a bad value was reported above
            continue
        if f.default is MISSING and f.default_factory is MISSING:
            errors.append(
                f"{where} missing required key '{key}' ({_describe(key, spec)}"
                + (f", allowed range {range_text(spec)}" if range_text(spec) else "")
                + ")"
            )
    if len(errors) > n_before:
        return None
    obj = cls(**merged)
    check = getattr(obj, "check", None)
    if check is not None:
        for msg in check():
            errors.append(f"{where} {msg}")
        if len(errors) > n_before:
            return None
    return obj
