"""Audit the numpydoc docstrings of mgmeso's public API.

Public means: a function or class in a module's namespace, or a method of a public class, whose
name has no leading underscore, in a module whose dotted path has no private part (dunder
methods are left to the class docstring). Each one needs a docstring; a function or method
that takes arguments (other than ``self``/``cls``) needs a ``Parameters`` section naming each
of them, and one that returns a value needs a ``Returns`` (or ``Yields``) section. A property
needs only a docstring. A method that overrides a method of the same name documented in a base
class of the package may say only ``See `Base.name`.`` (its full documentation is inherited).

Usage (from the repository root)::

    python scripts/check_docstrings.py [--exclude FILE ...] [--list] [PATH ...]

Prints the counts and exits 1 when any public item misses what it needs (``--list`` names
them). Paths and excluded files default to ``[tool.check_docstrings]`` of pyproject.toml;
``--exclude`` with no file audits everything.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

SECTION = re.compile(r"^\s*(Parameters|Returns|Yields|Other Parameters)\s*\n\s*-{3,}\s*$", re.M)


@dataclass
class Finding:
    """One public item and what its docstring lacks."""

    path: str
    line: int
    name: str
    problem: str


def _sections(doc: str) -> dict[str, str]:
    """Split a numpydoc docstring into its sections (name -> text)."""
    parts: dict[str, str] = {}
    matches = list(SECTION.finditer(doc))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(doc)
        rest = doc[m.end():end]
        nxt = re.search(r"^\s*\w[\w ]*\n\s*-{3,}\s*$", rest, re.M)
        parts[m.group(1)] = rest[: nxt.start()] if nxt else rest
    return parts


def _documented_names(text: str) -> set[str]:
    """Names of the entries ``name : type``, ``a, b : type``, ``*args`` of a section."""
    names: set[str] = set()
    for line in text.splitlines():
        if line[:1].strip():  # an entry starts at the section's indentation (cleaned: column 0)
            for n in line.split(" : ")[0].split(","):
                names.add(n.strip().lstrip("*"))
    return names


def _returns_value(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True if the function's own body returns or yields a value."""
    if fn.returns is not None and isinstance(fn.returns, ast.Constant) \
            and fn.returns.value is None:
        return False
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Return) and node.value is not None \
                and not (isinstance(node.value, ast.Constant) and node.value.value is None):
            return True
        if isinstance(node, ast.Yield | ast.YieldFrom):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def _is_abstract_stub(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body that only raises NotImplementedError (after its docstring)."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    return len(body) == 1 and isinstance(body[0], ast.Raise)


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> list[str]:
    a = fn.args
    names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs]
    if a.vararg:
        names.append(a.vararg.arg)
    if a.kwarg:
        names.append(a.kwarg.arg)
    if method and names and names[0] in ("self", "cls"):
        names = names[1:]
    return [n for n in names if not n.startswith("_")]


def _decorators(fn: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    out = set()
    for d in fn.decorator_list:
        d = d.func if isinstance(d, ast.Call) else d
        out.add(d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", ""))
    return out


def check_function(path: str, qual: str, fn: ast.FunctionDef | ast.AsyncFunctionDef,
                   method: bool) -> list[Finding]:
    """Findings of one public function or method."""
    decos = _decorators(fn)
    if "setter" in decos or "deleter" in decos:
        return []  # documented by the property's getter
    doc = ast.get_docstring(fn)
    if doc is None:
        return [Finding(path, fn.lineno, qual, "no docstring")]
    if "property" in decos or "cached_property" in decos:
        return []
    if method and re.fullmatch(r"See `[\w.]+`\.?", doc.strip()):
        return []  # inherits a documented base method's docstring
    out = []
    sections = _sections(doc)
    params = _params(fn, method)
    if params:
        if "Parameters" not in sections:
            out.append(Finding(path, fn.lineno, qual, "no Parameters section"))
        else:
            have = _documented_names(sections["Parameters"])
            have |= _documented_names(sections.get("Other Parameters", ""))
            missing = [p for p in params if p not in have]
            if missing:
                out.append(Finding(path, fn.lineno, qual,
                                   "Parameters lacks " + ", ".join(missing)))
    if _returns_value(fn) and not _is_abstract_stub(fn) \
            and "Returns" not in sections and "Yields" not in sections:
        out.append(Finding(path, fn.lineno, qual, "no Returns section"))
    return out


def check_file(path: Path, shown: str) -> tuple[int, list[Finding]]:
    """Number of public items in one module and their findings."""
    tree = ast.parse(path.read_text(), filename=str(path))
    n, out = 0, []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                and not node.name.startswith("_"):
            n += 1
            out += check_function(shown, node.name, node, method=False)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            n += 1
            if ast.get_docstring(node) is None:
                out.append(Finding(shown, node.lineno, node.name, "no docstring"))
            for sub in node.body:
                if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef) \
                        and not sub.name.startswith("_"):
                    n += 1
                    out += check_function(shown, f"{node.name}.{sub.name}", sub, method=True)
    return n, out


def _pyproject_settings() -> dict:
    """The ``[tool.check_docstrings]`` table of ./pyproject.toml (empty if there is none)."""
    p = Path("pyproject.toml")
    if not p.is_file():
        return {}
    with open(p, "rb") as fh:
        return tomllib.load(fh).get("tool", {}).get("check_docstrings", {})


def main(argv: list[str] | None = None) -> int:
    """Audit the given paths; print counts; return 1 if anything is missing.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 when every public item is documented, 1 otherwise.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="*", help="default: [tool.check_docstrings] paths")
    ap.add_argument("--exclude", nargs="*", help="default: [tool.check_docstrings] exclude")
    ap.add_argument("--list", action="store_true", help="name every finding")
    args = ap.parse_args(argv)
    conf = _pyproject_settings()
    args.paths = args.paths or conf.get("paths", ["mgmeso"])
    excluded = {Path(e).as_posix() for e in
                (args.exclude if args.exclude is not None else conf.get("exclude", []))}
    files: list[Path] = []
    for p in map(Path, args.paths):
        files += sorted(p.rglob("*.py")) if p.is_dir() else [p]
    n_items, findings, per_file = 0, [], {}
    for f in files:
        shown = f.as_posix()
        if shown in excluded or any(part.startswith("_") and part != "__init__.py"
                                    and part != "__main__.py" for part in f.parts):
            continue
        n, fs = check_file(f, shown)
        n_items += n
        findings += fs
        if fs:
            per_file[shown] = len(fs)
    no_doc = sum(f.problem == "no docstring" for f in findings)
    incomplete = len({(f.path, f.name) for f in findings if f.problem != "no docstring"})
    print(f"public items: {n_items}; without docstring: {no_doc}; "
          f"docstring lacking Parameters/Returns: {incomplete}")
    if args.list:
        for f in findings:
            print(f"{f.path}:{f.line}: {f.name}: {f.problem}")
    elif per_file:
        for path, k in sorted(per_file.items()):
            print(f"  {path}: {k}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
