"""``localisation``: the simulated deformation map of a sweep over temperature and stress.

Every finished kMC run with snapshots is summarised by :func:`mgmeso.analysis.run_localisation`
(localisation index of the plastic strain at the last snapshot, replica mean and SE, its
random-placement baseline, N x IPR, q4) and classified three ways by
:func:`mgmeso.analysis.simulated_deformation_map`: the kMC index (localised at >= 0.5), the
percolation lines at the run's plastic strain rate, and the literature's map
(docs/kmc_localisation.md section 5). Writes a CSV and the map.
"""

from __future__ import annotations

import numpy as np

from ...errors import UserError
from ...io.table import Table
from . import register_analysis
from .common import Outputs


@register_analysis("localisation")
def _localisation(sd, ds, out, options, overwrite) -> list[str]:
    """Write the localisation table and the deformation map of a sweep (``localisation``).

    The arguments and the result: :mod:`mgmeso.sweep.analyses`; ``options``: ``threshold``
    (default 0.5), ``percolation`` (default true).
    """
    from ...analysis.deformation_map import (
        LOCALISED_THRESHOLD,
        plot_simulated_deformation_map,
        simulated_deformation_map,
    )
    from ...plotting import save_figure

    runs = [sd.kmc(r["id"]).data for r, st in zip(sd.runs, sd.status("kmc"), strict=True)
            if st == "done"]
    runs = [d for d in runs if d is not None and d.has_snapshots()]
    if not runs:
        raise UserError("localisation needs finished kMC runs with snapshots "
                        "([output] snapshot_times_s)")
    res = simulated_deformation_map(runs, threshold=float(options.get("threshold",
                                                                      LOCALISED_THRESHOLD)),
                                    percolation=bool(options.get("percolation", True)))
    o = Outputs(out, overwrite)
    tab = res.table()
    Table({k: np.asarray(v, dtype=float) for k, v in tab.items()}).to_csv(
        o.path("localisation.csv"))
    ax = plot_simulated_deformation_map(res)
    save_figure(ax.figure, o.path("localisation_deformation_map.png"))
    n_loc = int(np.sum(tab["kmc_localised"]))
    lines = [f"localisation: {len(res.runs)} runs, {n_loc} localised (index >= {res.threshold:g}); "
             f"index {np.nanmin(tab['index']):.3f}-{np.nanmax(tab['index']):.3f} "
             f"(homogeneous 0.1, random placement {np.nanmin(tab['null']):.3f}-"
             f"{np.nanmax(tab['null']):.3f})"]
    return lines + o.lines()
