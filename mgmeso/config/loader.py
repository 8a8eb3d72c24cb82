"""Read a TOML config into frozen dataclasses, rejecting anything invalid before a run.

Layout of a config file::

    title = "..."                 # optional
    material = "la60ni15al25"     # a shipped material (mgmeso/materials/), or a [material] table
    [protocol]                    # what is done to the sample; `kind` picks the table
    [theory]                      # optional: analytical-model options
    [simulation]                  # optional: lattice and kMC settings
    [output]                      # optional: where results go

A ``[material]`` table may name a ``base`` file and override single keys.
All problems in a file are reported together, each naming the key, the value,
the allowed range and why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .fields import format_value, parse_table, suggest
from .material import Material
from .material_files import _parse_material, load_material, material_search_path
from .overrides import Override, apply_overrides, name_override
from .protocols import PROTOCOLS, SEGMENTS, Program
from .tables import Defects, Output, Simulation, TheoryOptions
from .toml_read import _read_toml, parse_toml_text

__all__ = ["RunConfig", "load_config", "load_material", "material_search_path", "parse_config",
           "parse_toml_text", "with_values"]

TOP_LEVEL_KEYS = ("title", "description", "material", "protocol", "theory", "simulation", "defects",
                  "output")


@dataclass(frozen=True)
class RunConfig:
    """A fully validated configuration."""

    material: Material
    protocol: Any
    theory: TheoryOptions
    simulation: Simulation
    output: Output
    defects: Defects = field(default_factory=Defects)
    title: str = ""
    path: Path | None = None
    material_origin: str = "inline"
    material_sources: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Name of the run: the config file's stem, or ``"config"`` for one built in code."""
        return self.path.stem if self.path is not None else "config"

    def output_dir(self, override: str | os.PathLike | None = None) -> Path:
        """Output directory: CLI override, then ``[output] dir``, then ``out/<config name>``.

        Parameters
        ----------
        override : str or path-like, optional
            The ``--out`` argument; an empty string is an error.

        Returns
        -------
        pathlib.Path
            The directory (not created here).
        """
        if override is not None:
            if not os.fspath(override).strip():
                raise ConfigError(["--out '': an empty path; give an output directory"])
            return Path(override)
        if self.output.dir is not None:
            return Path(self.output.dir)
        return Path("out") / self.name


def _parse_protocol(raw: Any, errors: list[str]):
    if raw is None:
        errors.append("missing [protocol] table (with kind = one of "
                      + ", ".join(repr(k) for k in PROTOCOLS) + ")")
        return None
    if not isinstance(raw, dict):
        errors.append(f"protocol = {format_value(raw)}: must be a [protocol] table")
        return None
    kind = raw.get("kind")
    if kind is None:
        errors.append("[protocol] missing required key 'kind' (one of "
                      + ", ".join(repr(k) for k in PROTOCOLS) + ")" + _misspelt(raw, "kind"))
        return None
    if not isinstance(kind, str) or kind not in PROTOCOLS:
        hint = suggest(kind, list(PROTOCOLS)) if isinstance(kind, str) else ""
        errors.append(f"[protocol] kind = {format_value(kind)}: allowed values are "
                      + ", ".join(repr(k) for k in PROTOCOLS) + hint)
        return None
    cls = PROTOCOLS[kind]
    if cls is Program:
        return _parse_program(raw, errors)
    return parse_table(cls, raw, f"[protocol] (kind '{kind}')", errors, ignore=("kind",))


def _misspelt(table: dict, key: str) -> str:
    """', found X: did you mean KEY?' when a key of ``table`` looks like a misspelt ``key``."""
    close = [k for k in table if isinstance(k, str) and k != key
             and suggest(k, [key]) != ""]
    if not close:
        return ""
    return f"; the table has {close[0]!r}: did you mean '{key}'?"


def _parse_program(raw: dict, errors: list[str]):
    where = "[protocol] (kind 'program')"
    base = parse_table(Program, raw, where, errors, ignore=("kind", "segments"))
    segs_raw = raw.get("segments")
    if not isinstance(segs_raw, list) or not segs_raw:
        errors.append(f"{where} needs at least one [[protocol.segments]] table with type = one of "
                      + ", ".join(repr(k) for k in SEGMENTS))
        return None
    segs = []
    for i, s in enumerate(segs_raw):
        w = f"[[protocol.segments]] #{i + 1}"
        if not isinstance(s, dict):
            errors.append(f"{w} must be a table")
            continue
        t = s.get("type")
        if t is None:
            errors.append(f"{w} missing required key 'type' (one of "
                          + ", ".join(repr(k) for k in SEGMENTS) + ")" + _misspelt(s, "type"))
            continue
        if not isinstance(t, str) or t not in SEGMENTS:
            hint = suggest(t, list(SEGMENTS)) if isinstance(t, str) else ""
            errors.append(f"{w} type = {format_value(t)}: allowed values are "
                          + ", ".join(repr(k) for k in SEGMENTS) + hint)
            continue
        seg = parse_table(SEGMENTS[t], s, f"{w} (type '{t}')", errors, ignore=("type",))
        if seg is not None:
            segs.append(seg)
    if base is None or len(segs) != len(segs_raw):
        return None
    return Program(temperature_K=base.temperature_K, t_first_s=base.t_first_s, segments=tuple(segs))


def _theory_checks(theory: TheoryOptions, protocol: Any, errors: list[str]) -> None:
    """Options of [theory] that the protocol's analytical model would silently ignore."""
    kind = getattr(type(protocol), "kind", "")
    if theory.nonlinear == "on" and not getattr(protocol, "nonlinear_theory", False):
        nonlinear_kinds = [k for k, cls in PROTOCOLS.items() if cls.nonlinear_theory]
        errors.append(
            f"[theory] nonlinear = 'on' does not apply to kind '{kind}': its analytical model is "
            "linear by construction (Boltzmann superposition of J(t) for creep, Volterra inversion "
            "for relaxation, steady states for DMA), so the option would be ignored; the "
            "non-linear model (tau_beta(sigma), chi(eps_an)) runs for kinds "
            + ", ".join(repr(k) for k in nonlinear_kinds)
            + " -- write the loading as kind = 'program' with hold_stress/hold_strain segments, "
            "or drop the key")


def _cross_checks(mat: Material, protocol: Any, errors: list[str]) -> None:
    """Append the checks that need two tables (e.g. stress against the material's sigma1)."""
    s1 = mat.sigma1_MPa
    why = ("the beta barrier U_beta (1 - sigma/sigma1)^(3/2) vanishes at sigma1 "
           "([Hao2022] Eq. 9); the model holds only below it")
    for where, stress in protocol.held_stresses():
        if abs(stress) >= s1:
            errors.append(f"{where} = {stress:g}: must be below [material] "
                          f"sigma1_MPa = {s1:g} in magnitude: {why}")


def parse_config(doc: dict, path: Path | None = None) -> RunConfig:
    """Validate an already-parsed TOML document (see :func:`load_config`).

    Parameters
    ----------
    doc : dict
        The TOML document.
    path : pathlib.Path, optional
        The file it was read from (material files are searched beside it).

    Returns
    -------
    RunConfig
        The validated config.

    Raises
    ------
    ConfigError
        With one message per problem.
    """
    errors: list[str] = []
    config_dir = path.parent if path is not None else None
    if not isinstance(doc, dict):
        raise ConfigError(["a config must be a TOML document"], source=str(path) if path else None)
    for key in doc:
        if key not in TOP_LEVEL_KEYS:
            errors.append(f"unknown top-level key '{key}'{suggest(key, list(TOP_LEVEL_KEYS))} "
                          f"(valid: {', '.join(TOP_LEVEL_KEYS)})")
    title = doc.get("title", "")
    if not isinstance(title, str):
        errors.append(f"title = {format_value(title)}: must be a string")
        title = ""
    desc = doc.get("description", "")
    if not isinstance(desc, str):
        errors.append(f"description = {format_value(desc)}: must be a string")
    mat, origin, sources = _parse_material(doc.get("material"), config_dir, errors)
    protocol = _parse_protocol(doc.get("protocol"), errors)
    theory = parse_table(TheoryOptions, doc.get("theory", {}), "[theory]", errors)
    sim = parse_table(Simulation, doc.get("simulation", {}), "[simulation]", errors)
    out = parse_table(Output, doc.get("output", {}), "[output]", errors)
    defects = parse_table(Defects, doc.get("defects", {}), "[defects]", errors)
    if mat is not None and protocol is not None:
        _cross_checks(mat, protocol, errors)
    if theory is not None and protocol is not None:
        _theory_checks(theory, protocol, errors)
    if sim is not None and sim.elastic_interactions:
        _elastic_checks(sim, defects, errors)
    if out is not None and out.dir is not None and not out.dir.strip():
        errors.append("[output] dir = '': an empty path; give a directory or leave the key out "
                      "(default: out/<config name>)")
    if errors:
        raise ConfigError(errors, source=str(path) if path else None)
    return RunConfig(material=mat, protocol=protocol, theory=theory, simulation=sim, output=out,
                     defects=defects,
                     title=title, path=path, material_origin=origin, material_sources=sources)


def _elastic_checks(sim, defects, errors: list[str]) -> None:
    """Check ``[simulation] elastic_interactions = true`` against the other tables."""
    from ..kmc.eshelby import FINE
    if sim.lattice not in FINE:
        errors.append(f"[simulation] elastic_interactions = true needs a lattice with an elastic "
                      f"propagator ({', '.join(FINE)}); got lattice = '{sim.lattice}'")
    # [defects] enabled = true is allowed: a healed site's frozen strain stays in its plastic
    # store, hence in the eigenstrain field, and every defect update that changes a site
    # rebuilds the field from the state (docs/kmc_elastic.md section 6.11)


def load_config(path: str | os.PathLike, overrides: Sequence[Override] = ()) -> RunConfig:
    """Read and validate a config file, with command-line overrides applied first.

    Parameters
    ----------
    path
        The TOML file.
    overrides
        Values that replace (or add) keys of the file before validation, so that
        they are checked exactly as if they had been written in it
        (see :func:`parse_set` and :class:`Override`).

    Raises
    ------
    ConfigError
        With one message per problem; nothing has run yet.

    Returns
    -------
    RunConfig
        The validated config: material, protocol and every optional table.
    """
    p = Path(path)
    if str(path) == "":
        raise ConfigError(["the config path is empty; give a TOML file"])
    try:
        is_dir = p.is_dir()
    except OSError as exc:
        raise ConfigError([f"cannot read config {str(p)[:80]!r}: {exc.strerror or exc}"]) from None
    if is_dir:
        raise ConfigError([f"{p} is a directory, not a config file"])
    doc = _read_toml(p)
    if not overrides:
        return parse_config(doc, p)
    doc = apply_overrides(doc, overrides)
    try:
        return parse_config(doc, p)
    except ConfigError as exc:
        raise ConfigError([name_override(m, overrides) for m in exc.messages], exc.source) from None


def with_values(cfg: RunConfig, table: str, changes: dict[str, Any],
                origins: dict[str, str] | None = None) -> RunConfig:
    """Return ``cfg`` with keys of one table replaced, validated like the file.

    Ranges and the table's cross-key checks apply; for code that changes an already loaded
    config (CLI overrides).

    Parameters
    ----------
    cfg : RunConfig
        The loaded config.
    table : str
        Attribute name of the table (``"simulation"``, ``"output"``, ...).
    changes : dict
        Keys of that table and their new values.
    origins : dict, optional
        Maps a key to the argument that set it, named in the messages.

    Returns
    -------
    RunConfig
        A new config (``cfg`` is unchanged).

    Raises
    ------
    ConfigError
        If a new value is invalid.
    """
    import dataclasses

    from .fields import field_specs

    obj = getattr(cfg, table)
    values = {k: list(v) if isinstance(v, tuple) else v
              for k in field_specs(type(obj)) if (v := getattr(obj, k)) is not None}
    values.update(changes)
    errors: list[str] = []
    new = parse_table(type(obj), values, f"[{table}]", errors)
    if errors:
        overrides = [Override(f"{table}.{k}", v, (origins or {}).get(k, f"{k} = {v!r}"))
                     for k, v in changes.items()]
        raise ConfigError([name_override(m, overrides) for m in errors],
                          str(cfg.path) if cfg.path else None)
    return dataclasses.replace(cfg, **{table: new})
