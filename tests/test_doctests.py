"""The ``>>>`` examples of the docstrings run and print what they say.

Only the modules listed here carry examples (each is fast: no kMC run, one small theory
evaluation); a module added to the list must have at least one example.
"""

import doctest
import importlib

import pytest

MODULES = [
    "mgmeso.grids",                 # temperature ladders, log sample counts
    "mgmeso.config.fields",         # how values are shown in messages
    "mgmeso.config.material_files", # load_material
    "mgmeso.segments.law",          # sample offsets of a segment
    "mgmeso.theory",                # evaluate a small creep protocol
    "mgmeso.theory.gumbel",         # the Gumbel grid of beta times
    "mgmeso.kmc",                   # the bias law
    "mgmeso.kmc.lattice",           # a lattice from the registry
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0, f"{name} has no >>> example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {name} failed"
