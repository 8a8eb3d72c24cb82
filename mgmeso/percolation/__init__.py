"""Liquid-like zones and percolation (docs/percolation.md).

The public API, each returning a result object with its numbers, ``summary()``
and ``write(out_dir, overwrite=False)``:

* :func:`estimate_threshold` -- site-percolation threshold of a registered lattice
  from wrapping probabilities over sizes (:class:`ThresholdEstimate`);
* :func:`static_map` -- static liquid-like fraction of a config's glass against T,
  beside the analytical delta(T), and site maps (:class:`StaticMap`);
* :func:`dynamic_map` -- dynamic liquid-like zones and footprints in the snapshots
  of a kMC run store (:class:`DynamicMap`);
* :func:`deformation_map` -- where liquid-like zones percolate in the (strain
  rate, T) plane (:class:`DeformationMap`).

The building blocks stay in their modules: :func:`label_clusters` (periodic
labelling with wrapping), :func:`static_glass`, :func:`dynamic_liquid_like`,
:mod:`.maps` (curves and lines), :mod:`.graph` (networkx references). The
figures are in :mod:`mgmeso.plotting.percolation_plots`.
"""

from .clusters import Clusters, label_clusters
from .liquid import StaticGlass, dynamic_liquid_like, static_glass
from .run_maps import DynamicMap, dynamic_map
from .static_maps import DeformationMap, SiteMap, StaticMap, deformation_map, static_map
from .threshold import ThresholdEstimate, estimate_threshold, literature_threshold

__all__ = ["estimate_threshold", "ThresholdEstimate", "literature_threshold", "static_map",
           "StaticMap", "dynamic_map", "DynamicMap", "deformation_map", "DeformationMap",
           "SiteMap", "label_clusters", "Clusters", "static_glass", "StaticGlass",
           "dynamic_liquid_like"]
