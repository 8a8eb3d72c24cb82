"""The ``mgmeso`` command: subcommands callable in-process as ``main(argv)``.

User errors (bad config, data, arguments; an output that exists without
``--overwrite``) print one clear message and return exit code 2; they never
show a traceback. Ctrl-C returns 130 (the shell convention for SIGINT) with a
one-line message; a closed output pipe (``mgmeso config show CFG | head``)
ends quietly.
"""

from __future__ import annotations

import argparse
import os
import sys

from ..errors import UserError

__all__ = ["build_parser", "console_main", "main"]

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that raises :class:`UserError` instead of exiting."""

    def error(self, message: str):
        raise UserError(f"{message}\n{self.format_usage().strip()}\n"
                        f"(run '{self.prog} --help' for details)")


def _without_synopsis(doc: str) -> str:
    """Strip a module docstring's leading ``mgmeso verb ARGS`` synopsis (usage shows that)."""
    if doc.startswith("``mgmeso"):
        end = doc.find("``", 2)
        if end > 0:
            doc = doc[end + 2:].lstrip(":.,; \n")
    return doc[:1].upper() + doc[1:]


def _describe_subcommands(parser: argparse.ArgumentParser) -> None:
    """Give every subcommand's --help a description: its one-line help, then the docstring of
    the module that implements it (registrations only pass ``help=``).
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {a.dest: a.help for a in action._choices_actions}
        for name, sub in action.choices.items():
            if sub.description is None:
                func = sub.get_default("func")
                doc = (sys.modules[func.__module__].__doc__ or "") if func is not None else ""
                text = (helps.get(name) or "").strip()
                body = _without_synopsis(doc.strip()).replace("``", "'")
                if text:
                    text = text[0].upper() + text[1:] + "."
                sub.description = "\n\n".join(t for t in (text, body) if t) or None
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
            _describe_subcommands(sub)


def build_parser() -> argparse.ArgumentParser:
    """Build the ``mgmeso`` argument parser with every registered subcommand.

    Returns
    -------
    argparse.ArgumentParser
        The parser.
    """
    from .. import __version__
    from . import commands

    parser = _Parser(prog="mgmeso", description=(
        "QPD relaxation model of metallic glasses: analytical theory and lattice kMC."))
    parser.add_argument("--version", action="version", version=f"mgmeso {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for register in commands.REGISTRY:
        register(sub)
    _describe_subcommands(parser)
    return parser


def _is_interrupted(exc: UserError) -> bool:
    """Tell the kMC's own 'interrupted, checkpoints saved' error (without importing the engine)."""
    ens = sys.modules.get("mgmeso.kmc.ensemble")
    return ens is not None and isinstance(exc, getattr(ens, "Interrupted", ()))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 success, 2 user error, 130 interrupted.
    """
    try:
        from ..plotting import use_file_backend

        use_file_backend()   # the CLI only writes files; mgmeso.plotting leaves the backend alone
        parser = build_parser()
        argv = sys.argv[1:] if argv is None else list(argv)
        if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
            # argparse would only say that COMMAND is missing
            raise UserError(f"unknown option {argv[0]!r} before the command; usage: mgmeso "
                            "COMMAND [options] (run 'mgmeso --help' for the commands)")
        args = parser.parse_args(argv)
        return int(args.func(args) or 0)
    except UserError as exc:
        if _is_interrupted(exc):
            print(f"mgmeso: {exc.format()}", file=sys.stderr)
            return EXIT_INTERRUPTED
        print(f"mgmeso: error: {exc.format()}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("mgmeso: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        # Ctrl-C while a compiled extension initialises (scipy's HiGHS) surfaces as an
        # ImportError caused by the KeyboardInterrupt: an interruption, not a broken install
        if not _from_interrupt(exc):
            raise
        print("mgmeso: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except SystemExit as exc:   # --help, --version
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def _from_interrupt(exc: BaseException) -> bool:
    """Tell whether a KeyboardInterrupt is in the cause or context chain of ``exc``.

    Parameters
    ----------
    exc : BaseException
        The exception caught.

    Returns
    -------
    bool
        True when the chain holds a KeyboardInterrupt.
    """
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ or e.__context__
    return False


def _quiet_broken_pipe() -> int:
    """Stop without a traceback when the reader of our stdout went away (``| head``).

    Python would flush stdout again at exit and fail once more, so point it at /dev/null first.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 141   # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe


def console_main() -> None:
    """Entry point of the ``mgmeso`` console script: :func:`main`, then exit with its code."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        code = _quiet_broken_pipe()
    except KeyboardInterrupt:   # a second Ctrl-C while the first one was being reported
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        # CPython 3.11 marks a KeyboardInterrupt raised inside exec() of a string (scipy does
        # that while it is imported) as unhandled even when it was caught, and then kills the
        # process with SIGINT at exit; everything is saved by now, so leave directly
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)
    sys.exit(code)
