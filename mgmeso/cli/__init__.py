"""The ``mgmeso`` command: subcommands callable in-process as ``main(argv)``.

User errors (bad config, data, arguments; an output that exists without
``--overwrite``) print one clear message and return exit code 2; they never
show a traceback.
"""

from __future__ import annotations

import argparse
import sys

from ..errors import UserError

__all__ = ["main", "console_main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that raises :class:`UserError` instead of exiting."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise UserError(f"{message}\n{self.format_usage().strip()}\n"
                        f"(run '{self.prog} --help' for details)")


def build_parser() -> argparse.ArgumentParser:
    from . import commands

    parser = _Parser(prog="mgmeso", description=(
        "QPD relaxation model of metallic glasses: analytical theory and lattice kMC."))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for register in commands.REGISTRY:
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI. Returns the exit code (0 success, 2 user error)."""
    from ..plotting import use_file_backend

    use_file_backend()      # the CLI only writes files; mgmeso.plotting itself leaves the backend alone
    parser = build_parser()
    from ..kmc.ensemble import Interrupted

    try:
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except Interrupted as exc:
        print(f"mgmeso: {exc.format()}", file=sys.stderr)
        return 130
    except UserError as exc:
        print(f"mgmeso: error: {exc.format()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mgmeso: interrupted", file=sys.stderr)
        return 130


def console_main() -> None:
    sys.exit(main())
