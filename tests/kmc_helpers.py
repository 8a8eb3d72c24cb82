"""Shared checks of kMC replicas used by several test modules."""

from __future__ import annotations

import numpy as np

from mgmeso.kmc.replica import Replica


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
