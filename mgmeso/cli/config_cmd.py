"""``mgmeso config show CONFIG``: the resolved config, every default with its unit and source.

The output is itself a valid TOML config (units, meanings and sources are comments).
"""

from __future__ import annotations

from ..config import Program, load_config
from ..config.fields import field_specs, format_value


def register(sub) -> None:
    p = sub.add_parser("config", help="inspect a config file")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    show = csub.add_parser("show", help="print the resolved config with every default and unit")
    show.add_argument("config", help="config TOML file")
    show.set_defaults(func=run_show)


def _toml_value(v) -> str:
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return format_value(v)


def format_table(name: str, obj, sources: dict[str, str] | None = None, header_note: str = "") -> list[str]:
    """TOML lines for one dataclass table, with unit, meaning and source as comments."""
    lines = [f"[{name}]" + (f"  # {header_note}" if header_note else "")]
    kind = getattr(type(obj), "kind", None)
    if kind is not None:
        lines.append(f'kind = "{kind}"')
    specs = field_specs(type(obj))
    width = max((len(k) for k in specs), default=10)
    for key, (f, spec) in specs.items():
        value = getattr(obj, key)
        unit = f"[{spec.unit}] " if spec.unit else ""
        src = (sources or {}).get(key) or spec.source
        note = f"{unit}{spec.doc}" + (f" -- source: {src}" if src else "")
        if value is None:
            lines.append(f"# {key} not set  # {note}")
        else:
            lines.append(f"{key:<{width}} = {_toml_value(value):<14} # {note}")
    return lines


def run_show(args) -> int:
    cfg = load_config(args.config)
    out = [f"# resolved config: {cfg.path}"]
    if cfg.title:
        out.append(f'title = {_toml_value(cfg.title)}')
    out.append("")
    out += format_table("material", cfg.material, cfg.material_sources, f"from {cfg.material_origin}")
    m = cfg.material
    out.append(f"# derived: J_el = {m.J_el_per_MPa:.6g} 1/MPa, A_beta = {m.A_beta_per_MPa:.6g} 1/MPa, "
               f"A_vp = {m.A_vp:.6g} 1/MPa, kappa = {m.kappa:.6g}, "
               f"dH_F = {m.dH_F_J_per_mol / 1e3:.6g} kJ/mol, dS_F = {m.dS_F_J_per_mol_K:.6g} J/(mol K)")
    out.append("")
    p = cfg.protocol
    if isinstance(p, Program):
        out += [ln for ln in format_table("protocol", p)]
        for seg in p.segments:
            out.append("")
            out.append("[[protocol.segments]]")
            out.append(f'type = "{seg.type}"')
            out += format_table("x", seg)[1:]
    else:
        out += format_table("protocol", p)
    for name in ("theory", "simulation", "defects", "output"):
        out.append("")
        out += format_table(name, getattr(cfg, name))
    print("\n".join(out))
    return 0


__all__ = ["register", "format_table", "run_show"]
