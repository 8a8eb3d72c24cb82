"""``mgmeso config show CONFIG``: the resolved config, every default with its unit and source.

The output is itself a valid TOML config (units, meanings and sources are
comments) that reads back to the same config, with the same config hash: floats
are written with every digit (``repr``), strings with TOML escapes for quotes,
backslashes and control characters.
"""

from __future__ import annotations

import math

from ..config.fields import field_specs
from .common import add_set_option, config_from_args


def register(sub) -> None:
    """Add the ``config`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("config", help="inspect a config file")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    show = csub.add_parser("show", help="print the resolved config with every default and unit")
    show.add_argument("config", help="config TOML file")
    add_set_option(show)
    show.set_defaults(func=run_show)


def toml_string(s: str) -> str:
    """Quote a string as a TOML basic string that reads back to exactly ``s``.

    Parameters
    ----------
    s : str
        The text.

    Returns
    -------
    str
        The quoted string with TOML escapes.
    """
    out = []
    for c in s:
        o = ord(c)
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{o:04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def toml_value(v) -> str:
    """Exact TOML form of a config value (bool, int, float, str or a list of them).

    Parameters
    ----------
    v : bool, int, float, str or list of those
        The value.

    Returns
    -------
    str
        TOML text that reads back to ``v``.
    """
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)   # the shortest text that reads back to the same double
    if isinstance(v, str):
        return toml_string(v)
    if isinstance(v, (tuple, list)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")  # a new field type: a bug


def comment(text: str) -> str:
    """Text safe inside a TOML comment (one line, no control characters).

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with control characters replaced by spaces.
    """
    return "".join(c if ord(c) >= 0x20 and ord(c) != 0x7F else " " for c in text)


def format_table(name: str, obj, sources: dict[str, str] | None = None, header_note: str = "") -> list[str]:
    """TOML lines for one dataclass table, with unit, meaning and source as comments.

    Parameters
    ----------
    name : str
        Table name (``material``, ``protocol``, ...).
    obj : dataclass
        The table's values.
    sources : dict, optional
        Per-key provenance notes (material ``[sources]``).
    header_note : str
        Comment after the table header.

    Returns
    -------
    list of str
        The lines.
    """
    lines = [f"[{name}]" + (f"  # {comment(header_note)}" if header_note else "")]
    kind = getattr(type(obj), "kind", None)
    if kind is not None:
        lines.append(f"kind = {toml_string(kind)}")
    specs = field_specs(type(obj))
    width = max((len(k) for k in specs), default=10)
    for key, (_, spec) in specs.items():
        value = getattr(obj, key)
        unit = f"[{spec.unit}] " if spec.unit else ""
        src = (sources or {}).get(key) or spec.source
        note = comment(f"{unit}{spec.doc}" + (f" -- source: {src}" if src else ""))
        if value is None:
            lines.append(f"# {key} not set  # {note}")
        else:
            lines.append(f"{key:<{width}} = {toml_value(value):<14} # {note}")
    return lines


def show_lines(cfg) -> list[str]:
    """Render the resolved config as TOML lines.

    Parameters
    ----------
    cfg : RunConfig
        The config.

    Returns
    -------
    list of str
        A valid TOML config with units, meanings and sources as comments.
    """
    out = [f"# resolved config: {comment(str(cfg.path))}"]
    if cfg.title:
        out.append(f"title = {toml_string(cfg.title)}")
    out.append("")
    out += format_table("material", cfg.material, cfg.material_sources, f"from {cfg.material_origin}")
    m = cfg.material
    out.append(f"# derived: J_el = {m.J_el_per_MPa:.6g} 1/MPa, A_beta = {m.A_beta_per_MPa:.6g} 1/MPa, "
               f"A_vp = {m.A_vp:.6g} 1/MPa, kappa = {m.kappa:.6g}, "
               f"dH_F = {m.dH_F_J_per_mol / 1e3:.6g} kJ/mol, dS_F = {m.dS_F_J_per_mol_K:.6g} J/(mol K)")
    out.append("")
    p = cfg.protocol
    out += format_table("protocol", p)
    for seg in p.toml_segments():
        out.append("")
        out.append("[[protocol.segments]]")
        out.append(f"type = {toml_string(seg.type)}")
        out += format_table("x", seg)[1:]
    for name in ("theory", "simulation", "defects", "output"):
        out.append("")
        out += format_table(name, getattr(cfg, name))
    return out


def run_show(args) -> int:
    """Print the resolved config (``mgmeso config show``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    print("\n".join(show_lines(config_from_args(args))))
    return 0


__all__ = ["format_table", "register", "run_show", "show_lines", "toml_string", "toml_value"]
