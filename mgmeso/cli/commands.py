"""Subcommand registry. Each module adds its subparser and a ``func(args) -> int``."""

from __future__ import annotations

from . import (
    compare_cmd,
    config_cmd,
    export_cmd,
    fit_cmd,
    info_cmd,
    percolation_cmd,
    plot_cmd,
    run_cmd,
    sweep_cmd,
    theory_cmd,
    validate_cmd,
)

REGISTRY = [theory_cmd.register, run_cmd.register, compare_cmd.register, export_cmd.register,
            plot_cmd.register, percolation_cmd.register, fit_cmd.register, config_cmd.register,
            info_cmd.register, sweep_cmd.register, validate_cmd.register]
