"""Read a TOML config into frozen dataclasses, rejecting anything invalid before a run.

Layout of a config file::

    title = "..."                 # optional
    material = "la60ni15al25"     # a file in configs/materials/, or a [material] table
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
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .fields import format_value, parse_table, suggest
from .material import Material
from .protocols import PROTOCOLS, SEGMENTS, Creep, HoldStress, Program
from .tables import Defects, Output, Simulation, TheoryOptions

__all__ = ["RunConfig", "load_config", "load_material", "material_search_path", "parse_config"]

TOP_LEVEL_KEYS = ("title", "description", "material", "protocol", "theory", "simulation", "defects",
                  "output")
MATERIAL_FILE_KEYS = ("material", "sources", "description")


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
        return self.path.stem if self.path is not None else "config"

    def output_dir(self, override: str | os.PathLike | None = None) -> Path:
        """Output directory: CLI override, then ``[output] dir``, then ``out/<config name>``."""
        if override is not None:
            return Path(override)
        if self.output.dir is not None:
            return Path(self.output.dir)
        return Path("out") / self.name


def repo_materials_dir() -> Path:
    """``configs/materials`` of the source tree this package was installed from."""
    return Path(__file__).resolve().parents[2] / "configs" / "materials"


def material_search_path(config_dir: Path | None = None) -> list[Path]:
    """Directories searched for ``material = "name"``, in order."""
    dirs: list[Path] = []
    if config_dir is not None:
        dirs += [config_dir / "materials", config_dir]
    env = os.environ.get("MGMESO_MATERIALS_PATH")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs.append(repo_materials_dir())
    return dirs


def _available_materials(dirs: list[Path]) -> list[str]:
    names = set()
    for d in dirs:
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.toml") if _looks_like_material(p))
    return sorted(names)


def _looks_like_material(p: Path) -> bool:
    try:
        return "[material]" in p.read_text(encoding="utf-8")
    except OSError:
        return False


def _resolve_material_file(name: str, config_dir: Path | None) -> Path:
    if name.endswith(".toml") or "/" in name or os.sep in name:
        p = Path(name)
        if not p.is_absolute() and config_dir is not None:
            p = config_dir / p
        if p.is_file():
            return p
        raise ConfigError([f"material = {name!r}: file {p} does not exist"])
    dirs = material_search_path(config_dir)
    for d in dirs:
        p = d / f"{name}.toml"
        if p.is_file() and _looks_like_material(p):
            return p
    avail = _available_materials(dirs)
    raise ConfigError([
        f"material = {name!r}: no material file {name}.toml found{suggest(name, avail)} "
        f"(available: {', '.join(avail) or 'none'}; searched {', '.join(str(d) for d in dirs)})"
    ])


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"config file {path} does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot read {path}: {exc}"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"not valid TOML: {exc}"], source=str(path)) from None


def _material_file_values(path: Path) -> tuple[dict, dict[str, str]]:
    doc = _read_toml(path)
    errors = []
    for key in doc:
        if key not in MATERIAL_FILE_KEYS:
            errors.append(f"unknown top-level key '{key}'{suggest(key, list(MATERIAL_FILE_KEYS))} "
                          f"(a material file holds {', '.join(MATERIAL_FILE_KEYS)})")
    table = doc.get("material")
    if not isinstance(table, dict):
        errors.append("a material file needs a [material] table")
    sources = doc.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        errors.append("[sources] must map material keys to strings naming where each value comes from")
        sources = {}
    if errors:
        raise ConfigError(errors, source=str(path))
    return dict(table), {k: v for k, v in sources.items()}


def load_material(name_or_path: str, config_dir: Path | None = None) -> tuple[Material, Path, dict]:
    """Load and validate a material file by name (``configs/materials/<name>.toml``) or path.

    Returns
    -------
    material, path, sources
        The validated parameters, the file they came from, and the per-key
        provenance notes of its ``[sources]`` table.
    """
    path = _resolve_material_file(name_or_path, config_dir)
    values, sources = _material_file_values(path)
    errors: list[str] = []
    mat = parse_table(Material, values, "[material]", errors)
    _check_sources(sources, errors)
    if errors:
        raise ConfigError(errors, source=str(path))
    return mat, path, sources


def _check_sources(sources: dict, errors: list[str]) -> None:
    from .fields import field_specs

    valid = list(field_specs(Material))
    for key in sources:
        if key not in valid:
            errors.append(f"[sources] names unknown material key '{key}'{suggest(key, valid)}")


def _parse_material(raw: Any, config_dir: Path | None, errors: list[str]):
    """Returns (material or None, origin, sources)."""
    if raw is None:
        errors.append("missing material: give material = \"<name>\" (a file in configs/materials/) "
                      "or a [material] table")
        return None, "", {}
    if isinstance(raw, str):
        try:
            mat, path, sources = load_material(raw, config_dir)
        except ConfigError as exc:
            errors.extend(exc.messages if exc.source is None
                          else [f"{exc.source}: {m}" for m in exc.messages])
            return None, "", {}
        return mat, str(path), sources
    if isinstance(raw, dict):
        table = dict(raw)
        base = table.pop("base", None)
        defaults: dict = {}
        origin = "inline"
        sources: dict[str, str] = {}
        if base is not None:
            if not isinstance(base, str):
                errors.append(f"[material] base = {format_value(base)}: must be a material name or path")
                return None, "", {}
            try:
                path = _resolve_material_file(base, config_dir)
                defaults, sources = _material_file_values(path)
            except ConfigError as exc:
                errors.extend(exc.messages)
                return None, "", {}
            origin = f"{path} with inline overrides" if table else str(path)
            for k in table:
                sources[k] = "set in the config file"
        mat = parse_table(Material, table, "[material]", errors, defaults=defaults)
        return mat, origin, sources
    errors.append(f"material = {format_value(raw)}: must be a material name or a [material] table")
    return None, "", {}


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
                      + ", ".join(repr(k) for k in PROTOCOLS) + ")")
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


def _cross_checks(mat: Material, protocol: Any, errors: list[str]) -> None:
    """Checks that need two tables (e.g. stress against the material's sigma1)."""
    s1 = mat.sigma1_MPa
    why = ("the beta barrier U_beta (1 - sigma/sigma1)^(3/2) vanishes at sigma1 "
           "([Hao2022] Eq. 9); the model holds only below it")
    if isinstance(protocol, Creep) and protocol.stress_MPa >= s1:
        errors.append(f"[protocol] stress_MPa = {protocol.stress_MPa:g}: must be below "
                      f"[material] sigma1_MPa = {s1:g}: {why}")
    if isinstance(protocol, Program):
        for i, seg in enumerate(protocol.segments):
            if isinstance(seg, HoldStress) and abs(seg.stress_MPa) >= s1:
                errors.append(f"[[protocol.segments]] #{i + 1} stress_MPa = {seg.stress_MPa:g}: "
                              f"magnitude must be below sigma1_MPa = {s1:g}: {why}")


def parse_config(doc: dict, path: Path | None = None) -> RunConfig:
    """Validate an already-parsed TOML document (see :func:`load_config`)."""
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
    if errors:
        raise ConfigError(errors, source=str(path) if path else None)
    return RunConfig(material=mat, protocol=protocol, theory=theory, simulation=sim, output=out,
                     defects=defects,
                     title=title, path=path, material_origin=origin, material_sources=sources)


def load_config(path: str | os.PathLike) -> RunConfig:
    """Read and validate a config file.

    Raises
    ------
    ConfigError
        With one message per problem; nothing has run yet.
    """
    p = Path(path)
    if p.is_dir():
        raise ConfigError([f"{p} is a directory, not a config file"])
    doc = _read_toml(p)
    return parse_config(doc, p)
