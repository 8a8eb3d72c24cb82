"""``mgmeso info``: versions of mgmeso, Python and the dependencies."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

DEPENDENCIES = ("numpy", "scipy", "numba", "llvmlite", "networkx", "zarr", "matplotlib", "tqdm")


def versions() -> dict[str, str]:
    """Versions of mgmeso and its dependencies (also stored in run outputs).

    Returns
    -------
    dict of str to str
        Package name -> version (``not installed`` where missing).
    """
    from .. import __version__

    out = {"mgmeso": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def register(sub) -> None:
    """Add the ``info`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("info", help="print versions of mgmeso and its dependencies")
    p.set_defaults(func=run)


def run(args) -> int:
    """Print the versions, platform, CPU count and interpreter (``mgmeso info``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0.
    """
    for k, v in versions().items():
        print(f"{k:12s} {v}")
    print(f"{'platform':12s} {platform.platform()}")
    print(f"{'cpus':12s} {os.cpu_count()}")
    print(f"{'executable':12s} {sys.executable}")
    return 0
