"""Safe output files: never overwrite without permission, never leave half-written files.

Every writer in mgmeso goes through :func:`atomic_write`: the content goes to
a temporary file in the target directory and is moved into place with
``os.replace`` only when complete, so a killed run leaves either the old file
or the new one, never a truncated one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import OutputExistsError

__all__ = ["atomic_write", "check_writable", "prepare_outputs"]


def _default_file_mode() -> int:
    """0o666 minus the process umask: what open() would give a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def check_writable(paths: Iterable[Path], overwrite: bool) -> None:
    """Refuse (before any work) if an output exists and ``overwrite`` is false."""
    existing = [str(p) for p in paths if Path(p).exists()]
    if existing and not overwrite:
        raise OutputExistsError([
            f"output {p} already exists; pass --overwrite to replace it or choose another --out"
            for p in existing
        ])


def prepare_outputs(out_dir: Path, names: Iterable[str], overwrite: bool) -> list[Path]:
    """Output paths in ``out_dir`` (created), after checking none would be overwritten."""
    paths = [Path(out_dir) / n for n in names]
    check_writable(paths, overwrite)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return paths


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", **kwargs) -> Iterator:
    """Open a temporary file next to ``path``; move it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
        # mkstemp creates 0600 files; give the result the permissions of a normal new file
        os.chmod(tmp, _default_file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
