"""Arguments and checks shared by the subcommands (overrides, worker counts, output labels)."""

from __future__ import annotations

import argparse
import sys

from ..config import Override, load_config, parse_set

__all__ = [
    "MAX_WORKERS",
    "add_set_option",
    "config_from_args",
    "output_label",
    "warn_if_jit_cold",
    "workers_arg",
]

#: most threads a run may ask for (more than the cores only adds switching)
MAX_WORKERS = 1024


def add_set_option(p: argparse.ArgumentParser) -> None:
    """Add the repeatable ``--set KEY=VALUE`` option to a subcommand's parser.

    Parameters
    ----------
    p : argparse.ArgumentParser
        The subcommand's parser.
    """
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key before validation, e.g. --set simulation.L=32 "
                   "--set protocol.temperature_K=440 (dotted keys; segments are numbered from 1: "
                   "protocol.segments.2.duration_s=100); may be repeated")


def config_from_args(args):
    """Load ``args.config`` with ``--seed``, ``--replicas`` and ``--set`` applied.

    The overrides are validated exactly like keys written in the file.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments (``config`` and optionally ``seed``, ``replicas``, ``set``).

    Returns
    -------
    RunConfig
        The validated config.
    """
    overrides: list[Override] = []
    seed = getattr(args, "seed", None)
    if seed is not None:
        overrides.append(Override("simulation.seed", seed, f"--seed {seed}"))
    replicas = getattr(args, "replicas", None)
    if replicas is not None:
        overrides.append(Override("simulation.replicas", replicas, f"--replicas {replicas}"))
    overrides += [parse_set(s) for s in getattr(args, "set", None) or ()]
    return load_config(args.config, overrides)


def workers_arg(text: str) -> int:
    """argparse type of ``--workers``: an integer from 1 to MAX_WORKERS.

    Parameters
    ----------
    text : str
        The argument.

    Returns
    -------
    int
        The worker count.

    Raises
    ------
    argparse.ArgumentTypeError
        For anything else.
    """
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer (threads to use)") from None
    if not 1 <= n <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{n}: must be between 1 and {MAX_WORKERS} (the number of threads; at least one "
            "runs the replicas)")
    return n


def output_label(cli_value, cfg) -> str:
    """How the user set an output directory, for messages: the argument or the config key.

    Parameters
    ----------
    cli_value : str or None
        The ``--out`` argument.
    cfg : RunConfig
        The config.

    Returns
    -------
    str
        ``--out``, ``[output] dir`` or the default.
    """
    if cli_value is not None:
        return "--out"
    if cfg.output.dir is not None:
        return "[output] dir"
    return "the default output directory"


def warn_if_jit_cold(quiet: bool = False) -> bool:
    """Say so on stderr when the kMC kernels have no compiled cache yet.

    The first run compiles them for a minute or more, while a progress bar would sit at 0 %.

    Parameters
    ----------
    quiet : bool
        Only report, print nothing.

    Returns
    -------
    bool
        Whether the cache was cold.
    """
    try:
        from ..kmc import kernels

        # numba's on-disk cache index of the main kernel (empty: nothing compiled yet)
        index = kernels.run_until._cache._cache_file._load_index()  # type: ignore[attr-defined]
        cold = not index
    except Exception:  # noqa: BLE001 - numba internals differ between versions: say nothing
        return False
    if cold and not quiet:
        print("mgmeso: compiling the kMC kernels (first run only, cached afterwards; this can take "
              "a few minutes)...", file=sys.stderr, flush=True)
    return cold
