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

>>> from mgmeso.theory import evaluate
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

# The names below are loaded on first use (PEP 562): importing one submodule (the kMC needs
# only .kinetics) must not import the fits and analyses, which pull in scipy.optimize,
# scipy.signal and scipy.stats (seconds of start-up for every `mgmeso run`).
_LAZY = {
    "analysis": ("FitResult", "arrhenius_fit", "chi_from_tan_delta", "fragility", "kww_fit",
                 "loss_features", "relaxation_steps", "tts_shifts"),
    "compliance": ("COMPONENTS", "StatePoint", "complex_compliance", "creep_compliance",
                   "creep_recovery_strain", "state_point"),
    "gumbel": ("gumbel_grid",),
    "kinetics": ("chi", "defect_concentration", "tau_an", "tau_beta", "tau_max"),
    "kww": ("kww_carson", "kww_carson_paper"),
    "protocols": ("TheoryResult", "dma_columns", "evaluate"),
}
_WHERE = {name: mod for mod, names in _LAZY.items() for name in names}

__all__ = [
    "FitResult", "arrhenius_fit", "chi_from_tan_delta", "fragility", "kww_fit", "loss_features",
    "relaxation_steps", "tts_shifts", "COMPONENTS", "StatePoint", "complex_compliance",
    "creep_compliance", "creep_recovery_strain", "state_point", "gumbel_grid", "chi",
    "defect_concentration", "tau_an",
    "tau_beta", "tau_max", "kww_carson", "kww_carson_paper", "TheoryResult", "dma_columns",
    "evaluate",
]


def __getattr__(name: str):
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
