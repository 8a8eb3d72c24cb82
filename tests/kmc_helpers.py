"""Shared checks of kMC replicas used by several test modules."""

from __future__ import annotations

import numpy as np

from mgmeso.kmc.replica import Replica

#: a program config with defect dynamics (tests/test_kmc_defects.py, tests/test_elastic_defects.py);
#: ``{rules}`` takes the plasticity rules and any interaction keys of ``[simulation]``
DEFECTS_CFG = '''
material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = {T}
t_first_s = 1.0
[[protocol.segments]]
type = "{seg}"
{segkey}
duration_s = {dur}
samples = {samples}
spacing = "linear"
[simulation]
lattice = "sc"
L = {L}
replicas = 1
heterogeneity = "{het}"
{rules}
[defects]
enabled = true
max_step_s = {step}
{extra}
'''

#: the mean-field rules: parallel plasticity, one-site footprints, no coalescence
MEANFIELD = 'plasticity = "parallel"\ncoalescence = false\nfootprint_max_sites = 1\n'


def resumed_run(setup, advances: int, events: int, seed: int = 4, other_seed: int = 99):
    """(uninterrupted replica, replica resumed from a checkpoint taken after ``advances`` calls
    of ``advance(events)``), the resumed one rebuilt from another seed so that everything
    must come from the checkpoint.
    """
    ref = Replica(setup, 0, np.random.SeedSequence(seed))
    ref.run()
    part = Replica(setup, 0, np.random.SeedSequence(seed))
    for _ in range(advances):
        part.advance(events)
    state = {k: np.array(v) for k, v in part.state_dict().items()}
    again = Replica(setup, 0, np.random.SeedSequence(other_seed))
    again.load_state_dict(state)
    while not again.done:
        again.advance(events)
    return ref, again
