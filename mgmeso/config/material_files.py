"""Find, read and check material files: the shipped ones (``mgmeso/materials/``) and the user's,
and a config's ``material`` key or ``[material]`` table.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .fields import format_value, parse_table, suggest
from .material import Material
from .toml_read import _read_toml

MATERIAL_FILE_KEYS = ("material", "sources", "description")


def package_materials_dir() -> Path:
    """Return the directory of the material files shipped with the package (package data).

    Returns
    -------
    pathlib.Path
        ``mgmeso/materials`` of the installed package.
    """
    return Path(str(resources.files("mgmeso") / "materials"))


def material_search_path(config_dir: Path | None = None) -> list[Path]:
    """Directories searched for ``material = "name"``, in order.

    Parameters
    ----------
    config_dir : pathlib.Path, optional
        Directory of the config file: its ``materials/`` subdirectory and itself come first.

    Returns
    -------
    list of pathlib.Path
        Then the ``MGMESO_MATERIALS_PATH`` entries, then the shipped materials.
    """
    dirs: list[Path] = []
    if config_dir is not None:
        dirs += [config_dir / "materials", config_dir]
    env = os.environ.get("MGMESO_MATERIALS_PATH")
    if env:
        dirs += [Path(p) for p in env.split(os.pathsep) if p]
    dirs.append(package_materials_dir())
    return dirs


def _available_materials(dirs: list[Path]) -> list[str]:
    names: set[str] = set()
    for d in dirs:
        if d.is_dir():
            names.update(p.stem for p in d.glob("*.toml") if _looks_like_material(p))
    return sorted(names)


def _looks_like_material(p: Path) -> bool:
    try:
        return "[material]" in p.read_text(encoding="utf-8")
    except OSError:
        return False


def _resolve_material_file(name: str, config_dir: Path | None, key: str = "material") -> Path:
    """Find the file a material name or path refers to; ``key`` names the config key in messages."""
    try:
        return _find_material_file(name, config_dir, key)
    except OSError as exc:   # e.g. a name longer than the file system allows
        raise ConfigError([f"{key} = {format_value(name[:80])}{'...' if len(name) > 80 else ''}: "
                           f"cannot be a material file ({exc.strerror or exc})"]) from None


def _find_material_file(name: str, config_dir: Path | None, key: str) -> Path:
    if not name.strip() or any(ord(c) < 32 for c in name):
        raise ConfigError([(f"{key} = {format_value(name)}: must name a material file "
                            "(a name such as \"la60ni15al25\" or a path ending in .toml)")])
    if name.endswith(".toml") or "/" in name or os.sep in name:
        p = Path(name)
        if not p.is_absolute() and config_dir is not None:
            p = config_dir / p
        if p.is_file():
            return p
        what = "is a directory, not a material file" if p.is_dir() else "does not exist"
        raise ConfigError([f"{key} = {name!r}: file {p} {what}"])
    dirs = material_search_path(config_dir)
    for d in dirs:
        p = d / f"{name}.toml"
        if p.is_file() and _looks_like_material(p):
            return p
    avail = _available_materials(dirs)
    raise ConfigError([
        (f"{key} = {name!r}: no material file {name}.toml found{suggest(name, avail)} "
         f"(available: {', '.join(avail) or 'none'}; searched {', '.join(str(d) for d in dirs)})")
    ])


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
    assert isinstance(table, dict)  # reported above otherwise
    return dict(table), {k: v for k, v in sources.items()}


def load_material(name_or_path: str, config_dir: Path | None = None) -> tuple[Material, Path, dict]:
    """Load and validate a material file by name or path.

    A name is a shipped ``mgmeso/materials/<name>.toml`` or a file beside the config.

    Parameters
    ----------
    name_or_path : str
        A material name (``"la60ni15al25"``) or the path of a TOML file.
    config_dir : pathlib.Path, optional
        Directory of the config that names the material (searched first).

    Returns
    -------
    material, path, sources
        The validated parameters, the file they came from, and the per-key
        provenance notes of its ``[sources]`` table.

    Raises
    ------
    ConfigError
        Naming every bad or missing key of the file.

    Examples
    --------
    >>> mat, path, sources = load_material("la60ni15al25")
    >>> path.name, mat.E_unrelaxed_MPa > 0
    ('la60ni15al25.toml', True)
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
    """Parse the ``material`` entry: return (material or None, origin, sources)."""
    if raw is None:
        errors.append("missing material: give material = \"<name>\" (a shipped material in "
                      "mgmeso/materials/) or a [material] table")
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
        sources = {}
        if base is not None:
            if not isinstance(base, str):
                errors.append(f"[material] base = {format_value(base)}: must be a material name or path")
                return None, "", {}
            try:
                path = _resolve_material_file(base, config_dir, key="[material] base")
                defaults, sources = _material_file_values(path)
            except ConfigError as exc:
                errors.extend(exc.messages if exc.source is None
                              else [f"[material] base = {base!r}: {exc.source}: {m}"
                                    for m in exc.messages])
                return None, "", {}
            origin = f"{path} with inline overrides" if table else str(path)
            for k in table:
                sources[k] = "set in the config file"
        n_before = len(errors)
        mat = parse_table(Material, table, "[material]", errors, defaults=defaults)
        if base is None and any("missing required key" in m for m in errors[n_before:]):
            errors.append("[material] has no base key: an inline material either names a file to "
                          "start from (base = \"la60ni15al25\") or gives every required key")
        return mat, origin, sources
    errors.append(f"material = {format_value(raw)}: must be a material name or a [material] table")
    return None, "", {}
