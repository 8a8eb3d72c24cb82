"""Material parameters of the QPD model (the ``[material]`` table).

Symbols follow [Hao2022] (Hao et al., Int. J. Plast. 2022), Table 1 and Eqs. 8-25; see
``docs/model.md`` section 1 and ``docs/references.md``. Derived quantities (J_el, A_beta, kappa,
dH_F, dS_F) are properties so that a material file never stores two values
that could disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..constants import R_J_PER_MOL_K
from .fields import param

__all__ = ["Material"]

_POSITIVE = dict(lo=0.0, lo_open=True)
_MODULUS: dict[str, Any] = dict(lo=1e-3, hi=1e7, why="moduli of solids lie between 1 kPa and 10 TPa")


@dataclass(frozen=True, kw_only=True)
class Material:
    """Parameters of one glass for the QPD model.

    All keys map 1:1 onto the ``[material]`` TOML table. Derived quantities
    are read-only properties.
    """

    name: str = param("unnamed", doc="alloy or parameter-set name")
    E_unrelaxed_MPa: float = param(
        unit="MPa", doc="unrelaxed Young's storage modulus before the beta relaxation (E_u)",
        source="[Hao2022] Table 1", **_MODULUS)
    E_relaxed_beta_MPa: float = param(
        unit="MPa", doc="relaxed modulus after the beta relaxation (E_r)",
        source="[Hao2022] Table 1", **_MODULUS)
    U_beta_kJ_per_mol: float = param(
        unit="kJ/mol", doc="apparent activation energy of the beta relaxation",
        lo=0.0, lo_open=True, hi=2000.0,
        why="a positive activation energy; secondary relaxations of glasses have 10-300 kJ/mol",
        source="[Hao2022] Table 1, Eq. 8")
    tau_beta0_s: float = param(
        unit="s", doc="Arrhenius pre-factor of tau_beta", lo=0.0, lo_open=True, hi=1e3,
        why="a positive attempt time (vibrational times are ~1e-13 s)",
        source="[Hao2022] Table 1, Eq. 8")
    A_an_per_MPa: float = param(
        unit="1/MPa", doc="intensity (compliance) of the anelastic process",
        lo=0.0, hi=1e3, why="a compliance intensity is non-negative (and below 1e3 1/MPa)",
        source="[Hao2022] Table 1, Eq. 17a")
    A_vp_per_MPa: float | None = param(
        None, unit="1/MPa", doc="intensity of the viscoplastic process (defaults to A_an)",
        lo=0.0, hi=1e3, why="a compliance intensity is non-negative (and below 1e3 1/MPa)",
        source="[Hao2022] Table 1 assumes A_vp = A_an (Eq. 19)")
    chi_g: float = param(
        doc="correlation factor chi at and below Tg",
        lo=0.0, hi=1.0, lo_open=True,
        why="chi = 1 - mu_1 lies in (0, 1]: 0 is perfect order, 1 no correlation ([Hao2022] Eq. 10)",
        source="[Hao2022] Table 1, Eq. 22a")
    a1_per_K: float = param(
        unit="1/K", doc="slope d chi/dT above Tg", lo=0.0, hi=1.0,
        why="chi does not decrease on heating above Tg ([Hao2022] Eq. 22b)",
        source="[Hao2022] Table 1 (unit K^-1 implied, docs/model.md E5)")
    a2: float = param(
        doc="rise of chi per unit anelastic strain (Eq. 22c)", lo=0.0, hi=1e4,
        why="anelastic strain disorders the glass ([Hao2022] Eq. 22c)",
        source="[Hao2022] Table 1")
    t0_s: float = param(
        unit="s", doc="hierarchy time scale t0 setting the alpha-beta separation",
        lo=0.0, lo_open=True, hi=1e6, why="a positive time below 1e6 s",
        source="[Hao2022] Table 1, Eq. 11b")
    sigma1_MPa: float = param(
        unit="MPa", doc="stress at which the beta barrier vanishes at 0 K",
        lo=0.0, lo_open=True, hi=1e7, why="a positive stress scale (below 10 TPa)",
        source="[Hao2022] Table 1, Eq. 9")
    Tg_K: float = param(
        unit="K", doc="glass transition temperature (switch of chi(T))",
        lo=0.0, lo_open=True, hi=5000.0, why="an absolute temperature, positive and below 5000 K",
        source="[Hao2022] Sec. 2.1 (DSC, 3 K/min)")
    B_beta: float = param(
        1.0, doc="Gumbel shape parameter of the beta-time distribution (larger is narrower)",
        lo=0.05, hi=20.0,
        why="B below 0.05 spreads beta times over more than 100 decades; above ~20 it is a single "
            "Debye time for every purpose (larger B is narrower, docs/model.md E4)",
        source="not reported in [Hao2022] (docs/model.md E12); 1.0 keeps distinct beta peaks at 1-16 Hz "
               "as in [Hao2022] Fig. 3b (see mgmeso/materials/la60ni15al25.toml)")
    Cd_at_Tg: float = param(
        0.25, doc="QPD (defect) concentration at Tg", lo=0.0, hi=1.0, lo_open=True, hi_open=True,
        why="a site fraction lies strictly between 0 and 1",
        source="docs/model.md section 1: the liquid-like fraction at which the papers place the glass "
               "transition ([Duan2022], discussion of Fig. 2; [Qiao2019] Sec. 5.1)")
    b_vp: float = param(
        0.0, doc="reordering coefficient: chi falls by b_vp per unit viscoplastic strain",
        lo=0.0, hi=1e4,
        why="reordering lowers chi ([Zhang2023] Eq. 21); off (0) by default, docs/model.md E5",
        source="[Zhang2023] Eq. 21")
    site_volume_nm3: float = param(
        2.8, unit="nm^3", doc="volume V of one lattice site, the SMD nucleus (a flow unit); with the "
        "temperature and the compliance it fixes the saturation stress of the physical bias law, "
        "sigma_sat = sqrt(C_d k T/(A V)) (docs/kmc_elastic.md section 1)",
        lo=0.1, hi=100.0,
        why="a flow unit of a few atoms (0.1 nm^3) to a few thousand (100 nm^3); shear "
            "transformation zones hold tens to hundreds of atoms ([Argon1979], [Johnson2005], "
            "[Pan2008])",
        source="docs/kmc_elastic.md section 1.3: 100 atoms of La60Ni15Al25 (2.8 nm^3)")
    poisson_ratio: float = param(
        0.35, doc="Poisson ratio of the isotropic glass (shear modulus of the elastic "
        "interactions, mu = E_u/(2 (1 + nu)))",
        lo=-1.0, hi=0.5, lo_open=True, hi_open=True,
        why="an isotropic solid is stable only for -1 < nu < 1/2; metallic glasses have 0.3-0.42 "
            "([Wang2012])",
        source="La-based glasses, [Wang2012] (docs/kmc_elastic.md section 6)")

    def check(self) -> list[str]:
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = []
        if self.E_relaxed_beta_MPa >= self.E_unrelaxed_MPa:
            msgs.append(
                f"E_relaxed_beta_MPa = {self.E_relaxed_beta_MPa:g} must be below "
                f"E_unrelaxed_MPa = {self.E_unrelaxed_MPa:g}: the beta relaxation softens the glass "
                "(A_beta = 1/E_r - 1/E_u > 0, [Hao2022] Sec. 4.2)")
        return msgs

    # ---- derived quantities -------------------------------------------------
    @property
    def J_el_per_MPa(self) -> float:
        """Elastic compliance 1/E_u (1/MPa)."""
        return 1.0 / self.E_unrelaxed_MPa

    @property
    def A_beta_per_MPa(self) -> float:
        """Beta compliance intensity 1/E_r - 1/E_u (1/MPa), [Hao2022] Sec. 4.2."""
        return 1.0 / self.E_relaxed_beta_MPa - 1.0 / self.E_unrelaxed_MPa

    @property
    def A_vp(self) -> float:
        """Viscoplastic intensity (1/MPa): A_vp_per_MPa, or A_an if not given."""
        return self.A_an_per_MPa if self.A_vp_per_MPa is None else self.A_vp_per_MPa

    @property
    def U_beta_J_per_mol(self) -> float:
        """Activation energy of the beta relaxation in J/mol."""
        return 1e3 * self.U_beta_kJ_per_mol

    @property
    def kappa(self) -> float:
        """chi = kappa * C_d ([Hao2022] Eq. 10), from chi_g = kappa * C_d(Tg)."""
        return self.chi_g / self.Cd_at_Tg

    @property
    def dH_F_J_per_mol(self) -> float:
        """QPD formation enthalpy (J/mol) such that d chi/dT at Tg equals a1.

        From C_d = 1/(1 + exp(-dS/R) exp(dH/RT)), dC_d/dT = C_d (1 - C_d) dH/(R T^2);
        with chi = kappa C_d and kappa = chi_g/C_d(Tg):
        a1 = chi_g (1 - C_d(Tg)) dH / (R Tg^2).
        """
        return self.a1_per_K * R_J_PER_MOL_K * self.Tg_K**2 / (self.chi_g * (1.0 - self.Cd_at_Tg))

    @property
    def dS_F_J_per_mol_K(self) -> float:
        """QPD formation entropy (J/mol/K) such that C_d(Tg) = Cd_at_Tg ([Hao2022] Eq. 1)."""
        c = self.Cd_at_Tg
        return self.dH_F_J_per_mol / self.Tg_K - R_J_PER_MOL_K * math.log(1.0 / c - 1.0)
