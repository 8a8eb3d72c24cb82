"""Analyses of kMC runs across runs and fields: localisation of plastic strain, avalanches and
the simulated deformation map (docs/kmc_localisation.md).
"""

from .avalanches import PowerLawFit, fit_power_law, rate_bursts, sample_power_law, snapshot_avalanches
from .localisation import Correlation, correlation, ipr, null_plane_share, plane_index, plane_share

__all__ = ["Correlation", "PowerLawFit", "correlation", "fit_power_law", "ipr", "null_plane_share",
           "plane_index", "plane_share", "rate_bursts", "sample_power_law", "snapshot_avalanches"]
