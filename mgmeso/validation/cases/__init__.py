"""Validation cases; importing this package registers all of them, in report order."""

from . import (  # noqa: F401
    closed_forms,
    duan2022,
    fitting,
    hao2022,
    hao2023,
    kmc,
    percolation,
    zhang2023,
)
