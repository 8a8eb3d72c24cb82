"""Configuration: TOML tables mapped 1:1 onto frozen dataclasses.

Use :func:`load_config` for a whole config file and :func:`load_material` for a
material file. Every dimensional key carries its unit in its name.
"""

from .loader import RunConfig, load_config, load_material, parse_config
from .material import Material
from .overrides import Override, parse_set
from .protocols import (
    PROTOCOLS,
    SEGMENTS,
    Creep,
    CyclicTraining,
    DmaIsochronal,
    DmaIsothermal,
    HoldStrain,
    HoldStress,
    Program,
    RampStrain,
    SteppedRelaxation,
    StressRelaxation,
    Temperature,
    Tension,
    Unload,
)
from .tables import Defects, Output, Simulation, TheoryOptions

__all__ = [
    "RunConfig", "load_config", "load_material", "parse_config", "Override", "parse_set",
    "Material", "PROTOCOLS",
    "SEGMENTS", "Creep", "CyclicTraining", "DmaIsochronal", "DmaIsothermal", "HoldStrain",
    "HoldStress", "Program", "RampStrain", "SteppedRelaxation", "StressRelaxation", "Temperature",
    "Tension", "Unload", "Output", "Simulation", "TheoryOptions", "Defects",
]
