"""What the analytical model returns for a protocol: named tables and a summary (`TheoryResult`),
and the columns of its time-domain tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..io.table import Table

TIME_COLUMNS = ("time_s", "stress_MPa", "strain", "strain_elastic", "strain_beta",
                "strain_anelastic", "strain_plastic", "temperature_K")


@dataclass
class TheoryResult:
    """Tables (``theory`` first) and a summary of derived numbers."""

    kind: str
    tables: dict[str, Table]
    summary: dict = field(default_factory=dict)
