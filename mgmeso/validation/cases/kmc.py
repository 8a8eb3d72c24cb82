"""Groups 2 and 3: the kMC cases, registered and not run in this version.

They need the kMC engine that is being refactored (issue 13); they will compare the
ensemble mean of the mean-field configuration with the analytical model (creep,
recovery, relaxation, tension, DMA; 3 standard errors, KS test of the z-scores) and
measure the mesoscale rules against mean field. Until then they report ``not run``,
which is neither a pass nor a failure.
"""

from __future__ import annotations

from ..core import Case, register

register(Case(
    "kmc_vs_analytical", "2 kMC vs analytical", "kMC ensemble (mean-field configuration) against the "
    "analytical model", "docs/model.md section 4", None, None,
    placeholder="waits for the refactored kMC engine (issue 13); the existing comparisons are in "
    "validation/kmc_dma and tests/test_kmc_vs_theory.py"))

register(Case(
    "kmc_mesoscale_vs_meanfield", "3 mesoscale vs mean field", "Mesoscale rules (series rule, "
    "coalescence, footprints, lattice, elastic interactions) against mean field", "docs/model.md section 4",
    None, None, placeholder="waits for the refactored kMC engine (issue 13) and the elastic "
    "interactions (issue 16); the existing study is validation/kmc_deviation"))
