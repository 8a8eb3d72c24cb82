"""``mgmeso info``: versions of mgmeso, Python and the dependencies."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys

DEPENDENCIES = ("numpy", "scipy", "numba", "llvmlite", "networkx", "zarr", "matplotlib", "tqdm")


def versions() -> dict[str, str]:
    """Versions of mgmeso and its dependencies (also stored in run outputs)."""
    from .. import __version__

    out = {"mgmeso": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def register(sub) -> None:
    p = sub.add_parser("info", help="print versions of mgmeso and its dependencies")
    p.set_defaults(func=run)


def run(args) -> int:
    for k, v in versions().items():
        print(f"{k:12s} {v}")
    print(f"{'platform':12s} {platform.platform()}")
    print(f"{'cpus':12s} {os.cpu_count()}")
    print(f"{'executable':12s} {sys.executable}")
    return 0
