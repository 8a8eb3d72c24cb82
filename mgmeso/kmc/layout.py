"""The argument groups of the kMC kernels: what each holds, its types, its named indices.

Kernels (:mod:`.kernels`, :mod:`.defect_kernels`) take

* ``S`` (:data:`Sites`): per-site arrays, quenched and dynamic, the sum tree and the
  composition-rejection classes;
* ``K`` (:data:`Clock`): the mutable run state -- RNG state, time, integer strain sums
  (indexed by ``SUM_*``) and event counters (``C_*``);
* ``C`` (:data:`Control`): scalars fixed during one kernel call, in typed groups:

  - ``C.law`` (:class:`~mgmeso.segments.Law`): the loading law of the current segment;
  - ``C.times`` (:data:`Times`, floats): the temperature-dependent lattice times;
  - ``C.calib`` (:data:`Calib`, floats and the bias-law code): unit strains, the saturation
    stress of each process, the instantaneous compliance, the strain amplitudes of the units
    in local equilibrium and the drift coefficient of the current classification;
  - ``C.rules`` (:data:`Rules`, booleans and the footprint size): the model's rules;
  - ``C.geom`` (:data:`Geometry`, integers): the lattice;
  - ``C.t_stop`` (float) and ``C.max_events`` (int): where a call of ``run_until`` stops.

Groups of scalars are copied by value into the kernels (no reference counting); only
``S`` and ``K`` hold arrays. The Python layer builds the groups with the helpers below,
which fix the types (numba compiles one specialisation per combination of types).
"""

from __future__ import annotations

import math
from collections import namedtuple

from ..segments import STRAIN, STRESS, UNLOAD, Law

__all__ = ["Sites", "Clock", "Times", "Calib", "Rules", "Geometry", "Control", "law_group",
           "times_group", "rules_group", "geometry_group", "STRESS", "STRAIN", "UNLOAD",
           "STATUS_TIME", "STATUS_EVENTS", "STATUS_UNLOADED", "STATUS_NO_EVENTS",
           "SUM_BETA", "SUM_SMD", "SUM_PLASTIC", "N_SUMS",
           "C_BETA", "C_SMD", "C_ANN", "C_COAL", "C_NULL", "C_ALL", "C_HIST", "COAL_HIST"]

Sites = namedtuple("Sites", [
    "kind",      # int8: 1 = QPD, 0 = matrix
    "elim",      # int8: 0 dynamic, 1 beta in equilibrium, 2 beta and SMD in equilibrium,
                 # 3 also the annihilations replaced by their mean drift
    "beta",      # int8: beta state -1, 0, +1 (0 = unpolarised)
    "smd",       # int8: SMD state -1, 0, +1 (0 = unpolarised / no SMD)
    "fp_size",   # int8: size of the footprint of the SMD nucleated at the site
    "owner",     # int32: nucleus of the SMD whose footprint covers the site, -1 if none
    "fp_next",   # int32: next site of the owner's footprint list, -1 at the end
    "log_tb",    # float32: ln(tau_beta_j/<tau_beta>) at the reference temperature
    "log_tb_hier",  # float32: the same offset of the hierarchy's beta time, from which
                 # tau_max_j is built in 'local' mode: the site's own (log_tb) or the geometric
                 # mean over its chi neighbourhood ([simulation] hierarchy_beta_time)
    "log_S",     # float32: ln S_j, stable factor of the SMD rate at the current chi
    "chi",       # float32: local chi_j at the current temperature ('local' mode)
    "eps_p",     # float32: plastic strain deposited at the site (for maps)
    "last_smd",  # float32: time of the last SMD event the site took part in (-1 never)
    "leaves",    # float64: per-site total rate (leaves of the blocked sum tree)
    "event_probs",  # float32 (N, 2): per site, the probability that an event is an
                 # annihilation, r_ann/(r_dyn + r_ann), and the SMD thinning probability q_j;
                 # filled with the leaves (fill_rates) so that an event costs no exponential.
                 # Single precision keeps the relative error of tiny probabilities at 6e-8.
    "top",       # float64: block sums and their binary tree (see sumtree.py)
    "offsets",   # int32 (nb, z, dim + 1): neighbour offset table
    # composition-rejection selection ([simulation] event_selection = "composition",
    # :mod:`.composition`); empty arrays with the sum tree
    "sel_members",  # int32[N]: the sites grouped by rate class
    "sel_pos",   # int32: empty (the position index of composition.cr_update, which the
                 # engine does not use: it rebuilds)
    "sel_start",  # int64[N_CLASSES + 3]: first position of each class, occupied range
    "sel_cum",   # float64[N_CLASSES + 1]: cumulative class weights
])

Clock = namedtuple("Clock", [
    "rng",       # uint64[4]: xoshiro256** state
    "t",         # float64[1]: simulated time (s)
    "t_next",    # float64[1]: time of the drawn but not yet executed next event (NaN: none)
    "sums",      # int64[N_SUMS]: sums of beta states, SMD states, plastic units (dynamic units)
    "frozen",    # float64[1]: permanent strain outside the unit sums: frozen in by healed QPD
                 # sites (defect dynamics) plus the mean plastic drift of elim = 3 units
    "work",      # float64[1]: net anelastic work density, the sum of sigma d(eps_an) (MPa)
    "counts",    # int64[C_HIST + COAL_HIST]: events beta, smd, annihilation, coalescence, null,
                 # total; then coalescences by merged footprint size (last bin: that or more)
    "ahead",     # int64[2 + 2 AHEAD]: proposals of composition-rejection drawn ahead of the
                 # events (composition.cr_pop); emptied (ahead[0] = 0) when the rates change
])

#: lattice-wide times at the current temperature (ln of seconds)
Times = namedtuple("Times", [
    "log_tb_mean",   # ln <tau_beta>
    "temp_factor",   # factor of the quenched ln tau_beta offsets (energy disorder: T_ref/T)
    "log_tan",       # ln tau_an before the stable factor ('paper' mode)
    "log_tmax",      # ln tau_max ('paper' mode)
    "log_t0",        # ln t0 of the hierarchy (tau_max = t0 (tau/t0)^(1/chi) above t0)
])

#: strain calibration, the bias law and the linearisation of the current classification
Calib = namedtuple("Calib", [
    "sig_sat_beta",  # MPa: saturation stress of the beta units (linear law: of all units)
    "d_beta",    # strain of one beta unit, per site (times inv_N: per lattice)
    "d_an",      # strain of one SMD unit
    "d_p",       # strain of one plastic unit
    "inv_N",     # 1 / number of sites
    "J_inst",    # 1/MPa: instantaneous compliance at zero stress (elastic + units in equilibrium)
    "k_fast",    # 1/(MPa s): mean plastic drift of the elim = 3 units
    "sig_sat_an",    # MPa: saturation stress of the SMD units
    "sig_sat_p",     # MPa: saturation stress of the plastic units (parallel rule)
    "bias_law",      # int: bias.LINEAR or bias.PHYSICAL ([simulation] bias_law)
    "J_el",          # 1/MPa: elastic compliance 1/E_u
    "eq_beta",       # strain of the beta units in equilibrium when all are +1: d_beta n / N
    "eq_an",         # the same for the SMD units in equilibrium
])

#: the model's rules
Rules = namedtuple("Rules", [
    "local",         # bool: 'local' heterogeneity (tau_max_j from chi_j)
    "series",        # bool: series plasticity (annihilation resets the SMD)
    "coalescence",   # bool: SMDs whose footprints touch coalesce
    "growth",        # bool: footprints grow at most at the alpha rate ('alpha' growth)
    "fp_max",        # int: largest footprint (sites)
])

#: the lattice, for neighbour arithmetic (:func:`.lattice.neighbour`)
Geometry = namedtuple("Geometry", ["L", "dim", "nb", "z"])   # ints

Control = namedtuple("Control", ["t_stop", "max_events", "law", "times", "calib", "rules", "geom"])

# return codes of run_until
STATUS_TIME, STATUS_EVENTS, STATUS_UNLOADED, STATUS_NO_EVENTS = 0, 1, 2, 3
# integer strain sums K.sums: beta states, SMD states, plastic units (dynamic units only)
SUM_BETA, SUM_SMD, SUM_PLASTIC = 0, 1, 2
N_SUMS = 3
# counters K.counts
C_BETA, C_SMD, C_ANN, C_COAL, C_NULL, C_ALL = 0, 1, 2, 3, 4, 5
# coalescence-size histogram: counts[C_HIST + s] for merged footprint size s (0 < s < COAL_HIST)
C_HIST, COAL_HIST = 6, 256


def law_group(law: Law) -> Law:
    """The law with the kernels' types (int control, float parameters)."""
    return Law(int(law.control), *(float(x) for x in law[1:]))


def times_group(times, t0_s: float) -> Times:
    """Kernel times from :class:`~.calibration.TemperatureTimes` and the hierarchy's t0."""
    return Times(float(times.log_tb_mean), float(times.temp_factor), float(times.log_tan),
                 float(times.log_tmax), math.log(t0_s))


def rules_group(sim) -> Rules:
    """Kernel rules from the ``[simulation]`` table."""
    return Rules(local=sim.heterogeneity == "local", series=sim.plasticity == "series",
                 coalescence=bool(sim.coalescence), growth=sim.footprint_growth == "alpha",
                 fp_max=int(sim.footprint_max_sites))


def geometry_group(lat) -> Geometry:
    return Geometry(int(lat.L), int(lat.dim), int(lat.nb), int(lat.z))
