"""Analyses of kMC runs across runs and fields: localisation of plastic strain, avalanches and
the simulated deformation map (docs/kmc_localisation.md).
"""

from .avalanches import PowerLawFit, fit_power_law, rate_bursts, sample_power_law, snapshot_avalanches
from .deformation_map import (
                              DeformationMapResult,
                              RunLocalisation,
                              plot_simulated_deformation_map,
                              run_localisation,
                              simulated_deformation_map,
)
from .localisation import Correlation, correlation, ipr, null_plane_share, plane_index, plane_share

__all__ = ["Correlation", "DeformationMapResult", "PowerLawFit", "RunLocalisation", "correlation",
           "fit_power_law", "ipr", "null_plane_share", "plane_index", "plane_share",
           "plot_simulated_deformation_map", "rate_bursts", "run_localisation", "sample_power_law",
           "simulated_deformation_map", "snapshot_avalanches"]
