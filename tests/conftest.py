"""Shared fixtures."""

import dataclasses
from pathlib import Path

import pytest

from mgmeso.config import load_material

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"


@pytest.fixture(scope="session")
def la60():
    """La60Ni15Al25, [Hao2022] Table 1."""
    return load_material("la60ni15al25")[0]


@pytest.fixture(scope="session")
def debye_material(la60):
    """A standard linear solid: elastic + one beta Debye element (no anelastic, no flow)."""
    return dataclasses.replace(la60, A_an_per_MPa=0.0, A_vp_per_MPa=0.0)


@pytest.fixture(scope="session")
def maxwell_material(la60):
    """A Maxwell element: elastic + viscoplastic flow only."""
    return dataclasses.replace(la60, A_an_per_MPa=0.0, A_vp_per_MPa=1.5e-5,
                               E_relaxed_beta_MPa=la60.E_unrelaxed_MPa * (1 - 1e-13))
