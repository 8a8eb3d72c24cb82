"""Integrity of the files mgmeso writes: checksums of zarr arrays, orphaned temporary stores.

A finished run store records, in its root attribute ``integrity``, for every array the
SHA-256 of its metadata file and of all its chunk files (in sorted order; every chunk is
written, also one holding only fill values, so a missing chunk file is damage), the number
of chunk files, and a digest of the root attributes. :func:`verify_tree` recomputes them.
Only the data's bytes are covered: ``provenance.json`` (when and where the run was made)
is outside the checksums and outside the byte identity of two runs with the same seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
from pathlib import Path

__all__ = ["ALGORITHM", "array_digest", "attributes_digest", "manifest", "verify_tree",
           "expected_chunks", "orphans", "remove_orphans", "tmp_name"]

ALGORITHM = "sha256"


def expected_chunks(meta: dict) -> int:
    """Count the chunk files of a zarr v3 array (regular chunk grid) from its metadata."""
    shape = meta.get("shape") or []
    chunks = meta["chunk_grid"]["configuration"]["chunk_shape"]
    return math.prod(math.ceil(s / c) if s else 0 for s, c in zip(shape, chunks)) if shape else 1


def _chunk_files(array_dir: Path) -> list[Path]:
    c = array_dir / "c"
    if not c.is_dir():
        return [array_dir / "c"] if (array_dir / "c").is_file() else []   # 0-d: a file "c"
    return sorted(p for p in c.rglob("*") if p.is_file())


def array_digest(array_dir: Path) -> tuple[str, int]:
    """SHA-256 of an array's metadata and chunk files, and the number of chunk files."""
    h = hashlib.sha256()
    h.update((array_dir / "zarr.json").read_bytes())
    files = _chunk_files(array_dir)
    for p in files:
        h.update(p.relative_to(array_dir).as_posix().encode())
        h.update(b"\0")
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest(), len(files)


def attributes_digest(attrs: dict) -> str:
    """Digest of the root attributes other than ``integrity`` (canonical JSON)."""
    rest = {k: v for k, v in attrs.items() if k != "integrity"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, allow_nan=True).encode()).hexdigest()


def _arrays(root: Path) -> list[str]:
    """Paths (relative, posix) of every zarr array below ``root``."""
    out = []
    for meta in sorted(root.rglob("zarr.json")):
        try:
            node = json.loads(meta.read_text()).get("node_type")
        except (OSError, ValueError, AttributeError):
            node = "array"          # unreadable metadata: reported by verify_tree
        if node == "array":
            out.append(meta.parent.relative_to(root).as_posix())
    return out


def manifest(root: Path, attrs: dict) -> dict:
    """Compute the ``integrity`` attribute of a finished store at ``root``."""
    arrays = {}
    for name in _arrays(root):
        digest, n = array_digest(root / name)
        arrays[name] = {"sha256": digest, "chunks": n}
    return {"complete": True, "algorithm": ALGORITHM, "arrays": arrays,
            "attributes_sha256": attributes_digest(attrs)}


def verify_tree(root: Path, root_meta: dict) -> list[str]:
    """Problems of the store at ``root`` against its manifest (empty: intact).

    ``root_meta`` is the parsed root ``zarr.json``. Checks: the manifest is there and says
    complete; every listed array exists with its metadata, all its chunk files and their
    recorded checksum; no array is there that the manifest does not list; the root
    attributes and the consolidated metadata (what xarray reads) match the files.
    """
    attrs = root_meta.get("attributes") or {}
    integ = attrs.get("integrity")
    if not isinstance(integ, dict) or not isinstance(integ.get("arrays"), dict):
        return ["it has no completeness marker (the 'integrity' attribute is missing): the store "
                "was not finished (a killed run, or a copy that stopped part way)"]
    if integ.get("complete") is not True:
        return ["it is marked incomplete (integrity.complete is not true)"]
    problems = []
    listed = integ["arrays"]
    if attributes_digest(attrs) != integ.get("attributes_sha256"):
        problems.append("its root attributes (config, seed, ...) differ from their checksum")
    present = set(_arrays(root))
    for name in sorted(present - set(listed)):
        problems.append(f"array {name!r} is not one the run wrote")
    consolidated = ((root_meta.get("consolidated_metadata") or {}).get("metadata") or {})
    for name, rec in sorted(listed.items()):
        d = root / name
        if not (d / "zarr.json").is_file():
            problems.append(f"array {name!r} is missing ({name}/zarr.json not found)")
            continue
        try:
            meta = json.loads((d / "zarr.json").read_text())
            n_exp = expected_chunks(meta)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            problems.append(f"array {name!r}: its metadata {name}/zarr.json is unreadable "
                            f"({exc.__class__.__name__})")
            continue
        if consolidated.get(name) != meta:
            problems.append(f"array {name!r}: the consolidated metadata in zarr.json differs "
                            f"from {name}/zarr.json")
        digest, n = array_digest(d)
        if n != rec.get("chunks") or n != n_exp:
            problems.append(f"array {name!r}: {n} chunk file(s) found, {rec.get('chunks')} "
                            f"written (missing or extra chunk files under {name}/c)")
        elif digest != rec.get("sha256"):
            problems.append(f"array {name!r}: its content differs from its checksum (a chunk "
                            f"file under {name}/c or its metadata was altered or damaged)")
    return problems


# ---- temporary stores of killed writers ------------------------------------------------------

_TMP = re.compile(r"\.tmp(\d+)$")


def tmp_name(out: Path) -> Path:
    """Name the temporary directory a store is written into before it is moved to ``out``."""
    return out.with_name(f"{out.name}.tmp{os.getpid()}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False            # our own leftover from an earlier attempt in this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphans(out: Path) -> list[Path]:
    """Temporary stores ``<out>.tmp<pid>`` left by writers that are no longer running."""
    out = Path(out)
    if not out.parent.is_dir():
        return []
    found = []
    for p in out.parent.glob(out.name + ".tmp*"):
        m = _TMP.search(p.name)
        if m and p.name == f"{out.name}.tmp{m.group(1)}" and p.is_dir() and not p.is_symlink() \
                and not _alive(int(m.group(1))):
            found.append(p)
    return sorted(found)


def remove_orphans(out: Path) -> list[Path]:
    """Remove :func:`orphans` of ``out``; returns what was removed."""
    gone = orphans(out)
    for p in gone:
        shutil.rmtree(p, ignore_errors=True)
    return gone
