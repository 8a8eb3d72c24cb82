"""Subcommand registry. Each module adds its subparser and a ``func(args) -> int``."""

from __future__ import annotations

from . import config_cmd, info_cmd, theory_cmd

REGISTRY = [theory_cmd.register, config_cmd.register, info_cmd.register]
