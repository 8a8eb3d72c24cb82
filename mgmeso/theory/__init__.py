"""The mean-field QPD model with hierarchically correlated motions (docs/model.md section 1).

Vectorised numpy/scipy functions taking a :class:`~mgmeso.config.Material`:

* :mod:`.kinetics` -- tau_beta(T, sigma), chi(T), tau_max, tau_an, C_d(T)
* :mod:`.gumbel` -- discrete Gumbel weights of beta times
* :mod:`.kww` -- exact Laplace-Carson transform of the stretched exponential
* :mod:`.compliance` -- J(t) and J*(iw) per component, "exact" and "paper" forms
* :mod:`.volterra` -- stress under a strain history (inversion of J(t))
* :mod:`.hereditary` -- internal-variable integration of loading programs (non-linear)
* :mod:`.analysis` -- KWW, Arrhenius, chi-slope fits; loss features; fragility; TTS
* :mod:`.protocols` -- every protocol of a config, as tables

:func:`evaluate` runs the protocol of a config, e.g. [Hao2022]'s creep at 430 K and 25 MPa:

>>> import tomllib
>>> from mgmeso.config import parse_config
>>> cfg = parse_config(tomllib.loads('''
... material = "la60ni15al25"
... [protocol]
... kind = "creep"
... temperature_K = 430.0
... stress_MPa = 25.0
... creep_time_s = 330.0
... '''))
>>> res = evaluate(cfg)
>>> res.kind, list(res.tables), res.summary["chi"]
('creep', ['theory'], 0.4)
>>> print(f"strain after 330 s: {res.summary['strain_end_of_creep']:.3g}")
strain after 330 s: 0.00136
"""

from .analysis import (
    FitResult,
    arrhenius_fit,
    chi_from_tan_delta,
    fragility,
    kww_fit,
    loss_features,
    relaxation_steps,
    tts_shifts,
)
from .compliance import (
    COMPONENTS,
    StatePoint,
    complex_compliance,
    creep_compliance,
    creep_recovery_strain,
    state_point,
)
from .gumbel import gumbel_grid
from .kinetics import chi, defect_concentration, tau_an, tau_beta, tau_max
from .kww import kww_carson, kww_carson_paper
from .protocols import TheoryResult, dma_columns, evaluate

__all__ = [
    "FitResult", "arrhenius_fit", "chi_from_tan_delta", "fragility", "kww_fit", "loss_features",
    "relaxation_steps", "tts_shifts", "COMPONENTS", "StatePoint", "complex_compliance",
    "creep_compliance", "creep_recovery_strain", "state_point", "gumbel_grid", "chi",
    "defect_concentration", "tau_an",
    "tau_beta", "tau_max", "kww_carson", "kww_carson_paper", "TheoryResult", "dma_columns",
    "evaluate",
]
