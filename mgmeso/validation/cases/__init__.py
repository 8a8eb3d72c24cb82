"""Validation cases; importing this package registers all of them, in report (group) order."""

# isort: off
from . import closed_forms, kmc_analytical, kmc_mesoscale, hao2022, hao2022_time, hao2023, duan2022  # noqa: F401
from . import zhang2023, percolation, fitting, joint_fit  # noqa: F401
# isort: on
