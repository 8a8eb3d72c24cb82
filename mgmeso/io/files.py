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
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from ..errors import OutputExistsError, UserError

__all__ = [
    "atomic_write",
    "check_output_dir",
    "check_output_file",
    "check_output_store",
    "check_writable",
    "prepare_outputs",
    "remove_stale",
]


def _default_file_mode() -> int:
    """0o666 minus the process umask: what open() would give a new file."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _show(path) -> str:
    return repr(str(path)) if (not str(path) or str(path) != str(path).strip()
                               or any(ord(c) < 32 for c in str(path))) else str(path)


def _probe(directory: Path, path: Path, arg: str) -> None:
    """Create and remove a temporary directory in ``directory``: the only sure test that we can
    write there (permissions, read-only file systems, /proc).
    """
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".mgmeso-probe-", dir=directory))
    except OSError as exc:
        raise UserError(f"{arg} {_show(path)}: cannot write in {directory} "
                        f"({exc.strerror or exc})") from None


def _check_parents(path: Path, arg: str) -> None:
    """Every existing ancestor of ``path`` must be a directory we may write into."""
    for parent in path.parents:
        if parent.exists() or parent.is_symlink():
            if not parent.is_dir():
                raise UserError(f"{arg} {_show(path)}: {parent} is a file, not a directory, so "
                                f"nothing can be written below it")
            _probe(parent, path, arg)
            return


def _check_text(path, arg: str) -> Path:
    text = os.fspath(path)
    if not text.strip():
        raise UserError(f"{arg} {_show(text)}: an empty path; give a file or directory name")
    if "\0" in text:
        raise UserError(f"{arg} {_show(text)}: a path cannot contain a NUL character")
    try:
        os.lstat(text)
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError as exc:   # a name too long for the file system, a loop of links, ...
        raise UserError(f"{arg} {_show(text[:80])}{'...' if len(text) > 80 else ''}: "
                        f"{exc.strerror or exc}") from None
    return Path(text)


def check_output_dir(path, arg: str = "--out") -> Path:
    """Validate an output *directory* before any work is done.

    It may exist (as a directory) or not; it must not be an empty path, an existing file or
    device (``/dev/null``), or lie below a file; its nearest existing ancestor must be writable.
    Nothing is created here: the directory appears when the first output is written.

    Raises
    ------
    UserError
        Naming the argument (``arg``), the path and what is wrong.

    Parameters
    ----------
    path : str or path-like
        The directory.
    arg : str
        The argument that named the path, in messages.

    Returns
    -------
    pathlib.Path
        The directory.
    """
    p = _check_text(path, arg)
    if p.exists() or p.is_symlink():
        if not p.is_dir():
            raise UserError(f"{arg} {_show(p)}: exists and is not a directory (the outputs are "
                            f"several files written into a directory); choose a directory")
        _probe(p, p, arg)
        return p
    _check_parents(p, arg)
    return p


def check_output_file(path, overwrite: bool, arg: str = "--out") -> Path:
    """Validate an output *file*.

    A regular file may be replaced with ``overwrite``; a directory or a device never is
    (``--overwrite`` replaces files only).

    Parameters
    ----------
    path : str or path-like
        The file.
    overwrite : bool
        Whether an existing file may be replaced.
    arg : str
        The argument that named the path, in messages.

    Returns
    -------
    pathlib.Path
        The file.

    Raises
    ------
    OutputExistsError
        If the file exists and ``overwrite`` is false.
    UserError
        For a path that cannot be an output file.
    """
    p = _check_text(path, arg)
    if p.exists() or p.is_symlink():
        if p.is_dir():
            raise UserError(f"{arg} {_show(p)}: is a directory; give a file name "
                            f"(--overwrite replaces files, never directories)")
        if not p.is_file():
            raise UserError(f"{arg} {_show(p)}: exists and is not a regular file (a device, pipe "
                            f"or socket); mgmeso writes outputs atomically and would replace it")
        if not overwrite:
            raise OutputExistsError(f"output {p} already exists; pass --overwrite to replace it "
                                    f"or choose another {arg}")
    _check_parents(p, arg)
    return p


def check_output_store(path, overwrite: bool, arg: str = "--out",
                       marker: str = "zarr.json") -> Path:
    """Validate an output *store* (a directory written as a whole, e.g. a zarr run store).

    An existing store is replaced only with ``overwrite``, and only if it is one (it holds
    ``marker``): a regular file or a directory of other data is never renamed or removed.

    Parameters
    ----------
    path : str or path-like
        The store.
    overwrite : bool
        Whether an existing store may be replaced.
    arg : str
        The argument that named the path, in messages.
    marker : str
        File that marks a directory as a store.

    Returns
    -------
    pathlib.Path
        The store path.
    """
    p = _check_text(path, arg)
    if p.exists() or p.is_symlink():
        if not p.is_dir():
            raise UserError(f"{arg} {_show(p)}: exists and is not a run store (a file or device); "
                            f"--overwrite replaces only a store mgmeso wrote -- choose another "
                            f"{arg} or remove the file yourself")
        if not (p / marker).is_file():
            raise UserError(f"{arg} {_show(p)}: is a directory that is not a run store (no "
                            f"{marker} in it); --overwrite replaces only a store mgmeso wrote -- "
                            f"give a new path such as {p / 'run.zarr'}")
        if not overwrite:
            raise OutputExistsError(f"output {p} already exists; pass --overwrite to replace it "
                                    f"or choose another {arg}")
    _check_parents(p, arg)
    return p


def check_writable(paths: Iterable[Path] | Mapping[Path, str], overwrite: bool,
                   arg: str = "--out") -> None:
    """Refuse, before any work, outputs that exist or cannot be files.

    Refused: an existing output when ``overwrite`` is false, or a path that cannot be an
    output file (a directory, a device, below a file).

    Parameters
    ----------
    paths : iterable of pathlib.Path, or mapping of pathlib.Path to str
        The outputs; a mapping gives the argument that named each (``{path: "--csv"}``).
    overwrite : bool
        Whether existing files may be replaced.
    arg : str
        The argument that named the path, in messages.

    Raises
    ------
    OutputExistsError
        If every problem is an existing file.
    UserError
        Otherwise, with one message per problem.
    """
    items = paths.items() if isinstance(paths, Mapping) else ((p, arg) for p in paths)
    problems = []
    for p, a in items:
        try:
            check_output_file(p, overwrite, a)
        except UserError as exc:
            problems.append(exc)
    if problems:
        cls = OutputExistsError if all(isinstance(e, OutputExistsError) for e in problems) \
            else UserError
        raise cls([m for e in problems for m in e.messages])


def prepare_outputs(out_dir: Path, names: Iterable[str], overwrite: bool,
                    arg: str = "--out") -> list[Path]:
    """Check the output directory and files, and return the output paths.

    No file may be overwritten without ``overwrite``. The directory is created when the first
    file is written (no empty directory is left when the work fails).

    Parameters
    ----------
    out_dir : pathlib.Path
        The output directory.
    names : iterable of str
        File names in it.
    overwrite : bool
        Whether existing files may be replaced.
    arg : str
        The argument that named the path, in messages.

    Returns
    -------
    list of pathlib.Path
        The output paths, in the order of ``names``.
    """
    out_dir = check_output_dir(out_dir, arg)
    paths = [out_dir / n for n in names]
    check_writable(paths, overwrite, arg)
    return paths


def remove_stale(out_dir: Path, previous: Iterable[str], written: Iterable[str]) -> list[Path]:
    """Remove files an earlier run listed in its manifest that this run did not write.

    Only regular files directly in ``out_dir`` are removed.

    Parameters
    ----------
    out_dir : pathlib.Path
        The output directory.
    previous : iterable of str
        File names of the earlier manifest.
    written : iterable of str
        File names this run wrote.

    Returns
    -------
    list of pathlib.Path
        The removed paths.
    """
    keep = set(written)
    removed = []
    for name in previous:
        if not isinstance(name, str) or name in keep or Path(name).name != name:
            continue   # only plain names in this directory: a manifest never points elsewhere
        p = Path(out_dir) / name
        if p.is_file() and not p.is_symlink():
            p.unlink()
            removed.append(p)
    return removed


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w", **kwargs) -> Iterator:
    """Open a temporary file next to ``path``; move it into place on success.

    Parameters
    ----------
    path : pathlib.Path
        The final file.
    mode : str
        Open mode (``"w"`` or ``"wb"``).
    **kwargs
        Passed to :func:`os.fdopen` (``encoding``, ``newline``).

    Yields
    ------
    file object
        The temporary file; on an exception it is removed and ``path`` is left as it was.
    """
    path = Path(path)
    if path.exists() and not path.is_file():
        # os.replace would swap a directory or a device (/dev/null) for our file
        raise UserError(f"output {path} exists and is not a regular file; not replaced")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
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
