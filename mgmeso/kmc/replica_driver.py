"""How a replica runs its loading program: segments, temperature slices and kernel chunks.

The functions take the :class:`.replica.Replica` whose program they drive and are bound to
it as its methods (``Replica.advance``, ``Replica.run`` and the private segment steps), so
that the replica's state lives in one class and the order of the program's steps in one
module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..segments import STRESS, Start
from . import kernels as kn
from .disorder import local_defect_fraction
from .loading import SegmentRun, plan_ramp, plan_samples

if TYPE_CHECKING:
    from .replica import Replica

__all__ = ["CHUNK_EVENTS", "advance", "run"]

CHUNK_EVENTS = 2_000_000


def _defect_update(rep: Replica) -> None:
    """Advance the defect dynamics to now (a no-op when they are off)."""
    if rep.dyn is None or rep.t <= rep.dyn.t_last:
        return
    sigma, _ = rep._macro(rep.t)
    if rep.dyn.step(rep.S, rep.control(rep.t, 0), rep.K, rep.T, sigma, rep.t):
        # kinds changed: local fractions, chi_j, stable factors, classification, rates
        rep.frac = local_defect_fraction(rep.S.kind, rep.dyn.nbr, rep.setup.sim.chi_radius)
        rep.n_qpd = int(np.count_nonzero(rep.S.kind))
        rep._set_temperature(rep.T, sigma)
        rep.K.t_next[0] = np.nan
        rep._build_tree()


# ---------------------------------------------------------------- segments
def _begin_segment(rep: Replica) -> None:
    """Start the next segment: its law, temperature (ramp) and sample plan."""
    rep._defect_update()
    prog = rep.program
    seg = prog.segments[rep.seg_index]
    t = rep.t
    sigma, eps = rep._macro(t)
    prev = rep.seg
    start = Start(t, sigma, eps, rep.T, STRESS if prev is None else prev.law.control)
    dur = seg.duration(eps, rep.T)
    ramp = plan_ramp(seg, start, rep.setup.sim.temperature_slice_K)
    T_new = seg.held_temperature_K(rep.T) if ramp is None else ramp.first_slice_temperature(t)
    if prev is None or T_new != rep.T:
        rep._set_temperature(T_new, sigma)
    samples, t_end, spacing = plan_samples(seg, t, dur, prog.t_first_s, sigma, rep._J_inst())
    rep.seg = SegmentRun(seg.law(start), ramp, samples, t_end, spacing, not samples)
    rep.sample_pos = 0
    rep.K.t_next[0] = np.nan  # rates change at a segment start: redraw the next event
    rep._build_tree()


def _next_slice(rep: Replica) -> None:
    """Move the temperature to the midpoint of the next ramp slice (to the final
    temperature at the end of the ramp).
    """
    rep._defect_update()
    seg = rep.seg
    assert seg is not None and seg.ramp is not None  # only called during a ramp
    T = seg.ramp.next_slice(seg.law.t0)
    sigma, _ = rep._macro(rep.t)
    rep._set_temperature(T, sigma)
    rep.K.t_next[0] = np.nan   # rates changed: redraw the next event
    rep._build_tree()


def _end_segment(rep: Replica) -> None:
    rep.seg_index += 1
    if rep.seg_index >= len(rep.program.segments):
        rep.done = True


# -------------------------------------------------------------------- run
def advance(rep: Replica, max_events: int = CHUNK_EVENTS) -> None:
    """Run to the next stop (sample, snapshot, segment end) or for ``max_events`` events.

    Parameters
    ----------
    rep : Replica
        The replica to advance.
    max_events : int, optional
        Largest number of events of this call's kernel call.
    """
    if rep.done:
        return
    if rep.seg is None or rep.seg.finished:
        if rep.seg is not None:
            rep._end_segment()
            if rep.done:
                return
        rep._begin_segment()
    seg = rep.seg
    assert seg is not None  # set by _begin_segment
    if seg.finished:    # a segment without samples
        return
    snaps = rep.setup.snapshot_times_s
    t_sample = seg.samples[rep.sample_pos]
    t_stop, is_snap = t_sample, False
    if rep.snap_index < len(snaps) and snaps[rep.snap_index] <= t_sample:
        t_stop, is_snap = max(snaps[rep.snap_index], rep.t), True
    edge = seg.slice_edge
    if rep.dyn is not None and rep.dyn.next_update_s < min(edge, t_stop):
        status = rep.run_kernel(rep.control(rep.dyn.next_update_s, max_events))
        if status != kn.STATUS_EVENTS:
            rep._defect_update()
        if status == kn.STATUS_UNLOADED:
            rep._record()
            seg.finished = True
        return
    if edge <= t_stop:
        status = rep.run_kernel(rep.control(edge, max_events))
        if status != kn.STATUS_EVENTS:
            rep._next_slice()
        return
    status = rep.run_kernel(rep.control(t_stop, max_events))
    if status == kn.STATUS_EVENTS:
        return
    if status == kn.STATUS_UNLOADED:
        rep._defect_update()
        rep._record()
        seg.finished = True
        return
    if is_snap:   # snapshots change nothing: no defect update at a snapshot alone
        rep.snapshots.append(rep.snapshot())
        rep.snap_index += 1
        if t_stop < t_sample:
            return
    rep._defect_update()
    rep._record()
    rep.sample_pos += 1
    if rep.sample_pos >= len(seg.samples):
        if seg.ends_on_event:
            assert seg.spacing is not None  # an unloading always has one
            seg.samples.append(rep.t + seg.spacing)  # not at zero stress yet
        else:
            seg.finished = True


def run(rep: Replica, on_chunk=None) -> None:
    """Run the whole program; ``on_chunk(replica)`` is called after every kernel call.

    Parameters
    ----------
    rep : Replica
        The replica to run.
    on_chunk : callable, optional
        Called with the replica after every kernel call (progress, checkpoints).
    """
    while not rep.done:
        rep.advance()
        if on_chunk is not None:
            on_chunk(rep)
