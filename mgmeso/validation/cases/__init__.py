"""Validation cases; importing this package registers all of them, in report order."""

from . import closed_forms, kmc, hao2022, hao2023, duan2022, zhang2023, percolation, fitting  # noqa: F401
