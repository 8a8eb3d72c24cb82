"""Defect dynamics of one replica: aging, rejuvenation and reordering (docs/model.md section 2).

Switched on by ``[defects] enabled = true`` (docs/kmc_aging.md). At each update,
over the interval dt since the previous one:

* **Aging.** Every site is a two-state unit (QPD or matrix) in resampling form:
  at rate ``1/tau_max_j`` (its local alpha time) its kind is redrawn, QPD with
  probability ``C_eq(T)`` ([Hao2022] Eq. 1, not frozen below Tg). Over dt the
  exact transition probability of such a unit is used, so the lattice fraction
  relaxes toward ``C_eq(T)`` on the alpha time with no step error at frozen rates
  (the rates of the neighbours change only between updates). Below Tg,
  tau_max grows so fast that the fraction freezes: the glass transition of the
  defect population is kinetic. A site inside another SMD's footprint cannot
  form until the footprint dissolves.
* **Rejuvenation.** The kernels accumulate the net anelastic work density
  ``sum sigma d(eps_an)`` (MPa). ``rejuvenation_yield_per_MPa`` times that work
  times N sites become new QPDs, placed on free matrix sites next to footprints
  that moved during the interval ([Hao2022] Eq. 22c: chi rises with anelastic
  strain; under cyclic loading the work is the dissipated energy of [Zhang2023]
  Eq. 6, so the excess grows with the training frequency).
* **Reordering** ([Zhang2023] Eq. 21, off by default): each annihilation of the
  interval heals its site with ``reordering_probability``; the sites are drawn
  with weights ``1/tau_max_j``, the rates at which they annihilate.

chi_j, tau_max_j and the equilibrium classification are then recomputed by
the replica from the new local defect fractions.
"""

from __future__ import annotations

import numpy as np

from ..config import Defects
from ..config.material import Material
from ..theory.kinetics import equilibrium_defect_concentration
from . import defect_kernels as dk
from . import kernels as kn
from .fastcall import Entries
from .plastic_renewal import renewal_hops

__all__ = ["DefectDynamics"]


class DefectDynamics:
    """Aging, rejuvenation and reordering bookkeeping of one replica.

    Parameters
    ----------
    cfg : Defects
        The ``[defects]`` table.
    material : Material
    nbr : int32[N, z]
        Neighbour table of the lattice.
    seed_seq : numpy SeedSequence
        Child of the replica's seed; drives every choice made here.
    """

    def __init__(self, cfg: Defects, material: Material, nbr: np.ndarray,
                 seed_seq: np.random.SeedSequence):
        self.cfg = cfg
        self.material = material
        self.nbr = nbr
        self.rng = np.random.default_rng(seed_seq)
        self.t_last = 0.0          # time of the last update (s)
        self.work_last = 0.0       # K.work at the last update (MPa)
        self.ann_last = 0          # annihilation count at the last update
        self.credit = 0.0          # rejuvenation defects earned but not yet placed
        self.healed = 0            # totals, for reports (formed includes rejuvenated)
        self.formed = 0
        self.rejuvenated = 0
        self.renewed = 0           # plastic renewal hops (section 7.8 of docs/kmc_elastic.md)
        self.p_last: np.ndarray | None = None   # the plastic store at the last update (renewal only)
        self._entries = Entries()  # the kernels below run at every sample: no type dispatch

    @property
    def next_update_s(self) -> float:
        """Time of the next defect update (s): the last one plus ``max_step_s``."""
        return self.t_last + self.cfg.max_step_s

    def step(self, S, C, K, T_K: float, sigma_MPa: float, t: float) -> int:
        """Update the defect population from ``self.t_last`` to ``t``.

        Parameters
        ----------
        S, C, K
            The replica's kernel groups (sites, control, clock; :mod:`.layout`); ``S.kind`` and the
            per-site arrays are changed in place.
        T_K : float
            Temperature of the interval (K).
        sigma_MPa : float
            Macroscopic stress (MPa), for the rejuvenation by plastic work.
        t : float
            End of the interval (s).

        Returns
        -------
        int
            Number of sites whose kind changed.
        """
        dt = t - self.t_last
        if dt <= 0.0:
            return 0
        cfg, rng = self.cfg, self.rng
        n = S.kind.size
        ln_ta = np.empty(n)
        call = self._entries.call
        self._entries.check(S, K)
        call(dk.log_alpha_times, S, C, ln_ta)
        p_redraw = -np.expm1(-dt * np.exp(-ln_ta))
        u_when, u_kind = rng.random(n), rng.random(n)
        c_eq = float(equilibrium_defect_concentration(self.material, T_K))
        qpd = S.kind == 1
        redraw = u_when < p_redraw
        heal = redraw & qpd & (u_kind >= c_eq)
        form = redraw & ~qpd & (u_kind < c_eq) & (S.owner == -1)

        n_ann = int(K.counts[kn.C_ANN])
        if cfg.reordering_probability > 0.0 and n_ann > self.ann_last:
            k = int(rng.binomial(n_ann - self.ann_last, cfg.reordering_probability))
            cand = np.flatnonzero(qpd & ~heal)
            if k and cand.size:
                w = np.exp(-(ln_ta[cand] - ln_ta[cand].min()))
                chosen = rng.choice(cand, size=min(k, cand.size), replace=False, p=w / w.sum())
                heal[chosen] = True

        work = float(K.work[0])
        if cfg.rejuvenation_yield_per_MPa > 0.0:
            self.credit += cfg.rejuvenation_yield_per_MPa * n * (work - self.work_last)
            if self.credit >= 1.0:
                active = S.last_smd >= np.float32(self.t_last)
                cand = np.unique(self.nbr[active].ravel())
                cand = cand[(S.kind[cand] == 0) & (S.owner[cand] == -1) & ~form[cand]]
                take = min(int(self.credit), cand.size)
                if take:
                    form[rng.choice(cand, size=take, replace=False)] = True
                    self.credit -= take
                    self.rejuvenated += take

        if cfg.plastic_renewal_probability > 0.0:   # docs/kmc_elastic.md section 7.8
            self.renewed += renewal_hops(S.kind, S.owner, S.eps_p, self._p_last(n), C.calib.d_p,
                                         self.nbr, cfg.plastic_renewal_probability, rng, heal, form)

        self.t_last, self.work_last, self.ann_last = t, work, n_ann
        heal_idx, form_idx = np.flatnonzero(heal), np.flatnonzero(form)
        call(dk.heal_sites, heal_idx, float(sigma_MPa), float(t), S, C, K)
        call(dk.form_sites, form_idx, S)
        if cfg.plastic_renewal_probability > 0.0:
            self.p_last = S.eps_p.copy()
        self.healed += heal_idx.size
        self.formed += form_idx.size
        return int(heal_idx.size + form_idx.size)

    def _p_last(self, n: int) -> np.ndarray:
        # a fresh replica has no plastic strain before its first update
        if self.p_last is None:
            self.p_last = np.zeros(n, np.float32)
        return self.p_last

    # ------------------------------------------------------------- checkpoint
    def state(self) -> dict:
        """JSON-compatible state (with the generator's state).

        Returns
        -------
        dict
            Times, counters, credit and the bit generator's state (for checkpoints).
        """
        return {"t_last": self.t_last, "work_last": self.work_last, "ann_last": self.ann_last,
                "credit": self.credit, "healed": self.healed, "formed": self.formed,
                "rejuvenated": self.rejuvenated, "renewed": self.renewed,
                "p_last": None if self.p_last is None else self.p_last.astype(float).tolist(),
                "rng": self.rng.bit_generator.state}

    def load(self, d: dict) -> None:
        """Restore the state saved by :meth:`state` (a resumed run continues bit for bit).

        Parameters
        ----------
        d : dict
            The saved state.
        """
        self.t_last, self.work_last = float(d["t_last"]), float(d["work_last"])
        self.ann_last, self.credit = int(d["ann_last"]), float(d["credit"])
        self.healed, self.formed = int(d["healed"]), int(d["formed"])
        self.rejuvenated = int(d["rejuvenated"])
        self.renewed = int(d.get("renewed", 0))
        p = d.get("p_last")
        self.p_last = None if p is None else np.asarray(p, np.float32)
        self.rng.bit_generator.state = d["rng"]
