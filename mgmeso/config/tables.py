"""The ``[theory]``, ``[simulation]`` and ``[output]`` tables."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import param

__all__ = ["TheoryOptions", "Simulation", "Defects", "Output", "AUTO_COMPOSITION_MIN_SITES"]

#: [simulation] event_selection = "auto": composition-rejection from this many sites (below it
#: the two selections cost the same within the scatter and the tree keeps the draws of earlier
#: versions; from 32^3 sc on composition is faster: docs/kmc.md section 6)
AUTO_COMPOSITION_MIN_SITES = 32768


class _LatticeNames:
    """The names of the lattice registry (:data:`mgmeso.kmc.lattice.LATTICE_TYPES`), read when a
    config is checked: a registered lattice is a valid ``[simulation] lattice`` without an edit
    here, and loading the config package does not import the kMC (numba).
    """

    @staticmethod
    def _names() -> tuple[str, ...]:
        from ..kmc.lattice import lattice_names
        return lattice_names()

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self):
        return iter(self._names())


@dataclass(frozen=True, kw_only=True)
class TheoryOptions:
    """Numerical and modelling options of the analytical model."""

    gumbel_points: int = param(
        241, doc="nodes of the discrete Gumbel distribution of beta times ([Hao2022] Eq. 24)",
        lo=1, hi=20001, why="1 node is a single Debye time; more than 20001 gains nothing")
    chi_law: str = param(
        "linear", doc="chi(T) above Tg: 'linear' ([Hao2022] Eq. 22b) or 'defects' "
        "(chi = kappa C_d(T), [Hao2022] Eqs. 1, 10)", choices=("linear", "defects"))
    nonlinear: str = param(
        "auto", doc="use tau_beta(sigma) and chi(eps_an) ([Hao2022] Eqs. 9, 22c): 'auto' turns them "
        "on for tension only", choices=("auto", "on", "off"))
    strain_term: bool = param(True, doc="include the a2 * eps_an term of chi in nonlinear runs")
    reordering_term: bool = param(False, doc="include the -b_vp * eps_vp reordering term of chi "
                                  "([Zhang2023] Eq. 21) in nonlinear runs")
    kww_modes_per_decade: int = param(
        6, doc="Debye modes per decade representing the stretched exponential in the hereditary "
        "(nonlinear) integrator", lo=2, hi=40, why="2-40 modes per decade")
    relaxation_points_per_decade: int = param(
        40, doc="time nodes per decade of the Volterra solver for stress relaxation",
        lo=5, hi=400, why="5-400 nodes per decade")


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """Lattice and kinetic Monte Carlo settings (``mgmeso run``), docs/model.md section 2."""

    lattice: str = param("sc", doc="lattice type (registered in mgmeso.kmc.lattice)",
                         choices=_LatticeNames())  # type: ignore[arg-type]
    L: int = param(16, doc="cells per lattice side (sites: L^d times the basis)", lo=3, hi=4096,
                   why="at least 3 cells so that periodic images are distinct neighbours")
    seed: int = param(20261121, doc="master seed of numpy SeedSequence", lo=0, hi=2**63 - 1,
                      why="a non-negative 64-bit integer")
    replicas: int = param(4, doc="independent replicas (spawned seeds; disorder redrawn in each)",
                          lo=1, hi=100000, why="at least one replica")
    heterogeneity: str = param(
        "paper", doc="'paper': tau_an, tau_max from <tau_beta> and chi(T), Gumbel spread on beta "
        "only (ensemble = [Hao2022] Eq. 25a); 'local': each site's tau_max from its own tau_beta_j "
        "and chi_j", choices=("paper", "local"))
    plasticity: str = param(
        "series", doc="'series': annihilation turns the SMD's strain plastic and resets it "
        "(mesoscale rule); 'parallel': annihilation adds a plastic unit drawn from the bias and "
        "leaves the SMD (mean-field rule)", choices=("series", "parallel"))
    coalescence: bool = param(True, doc="SMDs annihilate when their growing footprints touch")
    footprint_max_sites: int = param(
        13, doc="largest SMD footprint (nucleus plus recruited neighbours)", lo=1, hi=127,
        why="1 (one-site footprints) to 127 sites")
    footprint_growth: str = param(
        "alpha", doc="'alpha' (default): a footprint grows at an SMD event with probability "
        "min(1, tau_an_j/tau_max_j), i.e. SMDs expand at most at the alpha rate 1/tau_max_j "
        "([Hao2022] Sec. 3.3), however fast they flip; 'every_event': at each SMD event, which "
        "makes creep flow hundreds of times faster than [Hao2022] Eq. 25a (docs/kmc.md K2, K3)",
        choices=("every_event", "alpha"))
    disorder: str = param(
        "log_time", doc="'log_time': ln(tau_beta_j) offset ln(E_j)/B fixed; 'energy': the same draw "
        "as an activation-energy offset, so the spread narrows as T rises",
        choices=("log_time", "energy"))
    energy_reference_T_K: float | None = param(
        None, unit="K", doc="temperature at which the energy-mode spread equals the Gumbel B "
        "(default: the 1 Hz beta-peak temperature, where tau_beta = 1/(2 pi) s)",
        lo=0.0, lo_open=True, hi=5000.0, why="a positive absolute temperature")
    defect_correlation_length: float = param(
        0.0, doc="correlation length of QPD placement in cells (0: uncorrelated)", lo=0.0, hi=1e3,
        why="0 (uncorrelated) or a positive length")
    chi_radius: int = param(1, doc="graph radius of the neighbourhood of the local defect "
                            "fraction (local chi_j)", lo=1, hi=5, why="1 to 5 neighbour shells")
    hierarchy_beta_time: str = param(
        "site", doc="'local' mode: the beta time from which tau_max_j = t0 (tau_h/t0)^(1/chi_j) is "
        "built. 'site': the site's own tau_beta_j (docs/model.md); 'neighbourhood': the geometric mean "
        "of tau_beta over the chi_radius neighbourhood and the site, the same region chi_j is "
        "averaged over (docs/kmc_aging.md: with B chi < 1 the 'site' rule's mean plastic rate "
        "is set by the lattice's fastest beta site)", choices=("site", "neighbourhood"))
    bias_law: str = param(
        "physical", doc="equilibrium of a two-state unit at stress sigma: 'physical', "
        "<s> = tanh(sigma/sigma_sat) with sigma_sat = sqrt(C_d k T/(A V)) per process from the site "
        "volume, the temperature and the compliance (docs/kmc_elastic.md section 1); 'linear', "
        "<s> = clip(sigma/sigma_sat, -1, 1) with one numerical sigma_sat "
        "(bias_saturation_stress_MPa): the mean-field validation mode, whose ensemble is the linear "
        "analytical model at any stress below sigma_sat", choices=("physical", "linear"))
    bias_saturation_stress_MPa: float | None = param(
        None, unit="MPa", doc="bias_law = 'linear' only: stress at which all units are polarised; "
        "the ensemble is linear below it and the unit strain is A sigma_sat / C_d (default: twice "
        "the largest stress of the program)", lo=0.0, lo_open=True, hi=1e6, why="a positive stress")
    elimination_factor: float = param(
        100.0, doc="a unit is in local equilibrium if its rate exceeds this multiple of the "
        "fastest sampling rate (0: never)", lo=0.0, hi=1e12,
        why="0 (off) or a positive multiple; 100 keeps the error below e^-100")
    plastic_drift: bool = param(
        True, doc="parallel rule: units whose annihilation rate exceeds the loading rate deposit "
        "their plastic strain as its mean drift instead of as events (exact in the mean; "
        "docs/kmc_dma.md)")
    temperature_slice_K: float = param(
        0.5, unit="K", doc="temperature ramps run as steps of this size, each at its midpoint "
        "temperature (the error converges as the slice shrinks; docs/kmc_dma.md)", lo=1e-3, hi=50.0,
        why="between 0.001 and 50 K")
    checkpoint_every_s: float = param(
        60.0, unit="s", doc="wall-clock interval between checkpoints", lo=1.0, hi=1e6,
        why="between 1 s and 1e6 s of wall time")
    elastic_interactions: bool = param(
        False, doc="bias every unit by the local stress: the applied stress plus the lattice Eshelby "
        "field of the inelastic strains of all other sites ([material] poisson_ratio; self-term and "
        "q = 0 removed, so the mean local stress is the applied one; docs/kmc_elastic.md section 6). "
        "Off: the mean-field-comparable engine")
    elastic_update: str = param(
        "exact", doc="field update: 'exact', the local stress at every event equals a fresh full "
        "computation to round-off; 'windowed', the far field of the changes since the last FFT "
        "refresh is replaced by its mean (faster, approximate; docs/kmc_elastic.md section 3)",
        choices=("exact", "windowed"))
    elastic_near_radius: float | None = param(
        None, unit="nearest-neighbour distances", doc="radius of the stencil updated at every change "
        "(default: 0 with 'exact', where a stencil only adds writes; 3 with 'windowed', where it "
        "sets the error)", lo=0.0, hi=64.0, why="0 to 64 nearest-neighbour distances, below L/2")
    elastic_refresh_per_site: float | None = param(
        None, unit="changes per site", doc="eigenstrain changes between two FFT refreshes of the "
        "field, per site. Default (unset): 'exact' refreshes every 2.5 sqrt(N log2 N) changes, "
        "the balance of the FFT against the query's scan of the changed sites; 'windowed' "
        "every 0.02 N, which sets its lag (docs/kmc_elastic.md section 6.3)", lo=1e-4, hi=10.0,
        why="between 1e-4 and 10 changes per site")
    stress_dependent_rates: bool = param(
        False, doc="the event rates follow the local stress: tau_beta(sigma) of [Hao2022] Eqs. 8, 9 "
        "and, through the hierarchy, tau_an and tau_max, drawn exactly by thinning against a "
        "bound of each site's stress (docs/kmc_elastic.md section 6.10); with "
        "elastic_interactions = true it needs elastic_update = 'exact'; without interactions the "
        "stress is the applied (macroscopic) one. Off: the rates at zero stress, the engine as "
        "before")
    rate_bound_margin_MPa: float = param(
        150.0, unit="MPa", doc="stress_dependent_rates: margin of the stress bounds for the "
        "changes of the far field and of the applied stress; an epoch of the bounds ends (one "
        "FFT refresh) when it is used up (docs/kmc_elastic.md section 6.10)", lo=1.0, hi=1e4,
        why="between 1 and 1e4 MPa")
    plastic_rate_law: str = param(
        "resampling", doc="parallel rule: 'resampling', plastic units at the rate 1/tau_max, "
        "each drawn from equilibrium at the stress (its flux saturates with the bias); 'eyring', "
        "forward and backward rates exp(+-sigma/sigma_sat_p)/(2 tau_max) of the same two-level "
        "unit ([Argon1979]; same equilibrium, the same slope at zero stress, a flux growing as "
        "sinh), by thinning: needs stress_dependent_rates = true and bias_law = 'physical' "
        "(docs/kmc_elastic.md section 6.10)", choices=("resampling", "eyring"))

    event_selection: str = param(
        "auto", doc="the way the non-interacting engine draws the next event's site: 'tree', the "
        "blocked binary sum tree; 'composition', composition-rejection over classes of rates "
        "within a factor 2 ([Slepoy2008]; the same process with other random draws, a cost per "
        "event that hardly grows with N); 'auto' (default): the tree below 32768 sites, "
        "composition from 32768 sites (32^3 sc), where it is faster (docs/kmc.md section 6). "
        "The interacting loop (elastic_interactions or stress_dependent_rates) always uses the "
        "tree", choices=("auto", "tree", "composition"))

    def selection_for(self, n_sites: int) -> str:
        """Return the event selection of a replica of ``n_sites`` sites.

        ``event_selection`` with 'auto' resolved; the interacting loop always uses the tree,
        and :meth:`check` refuses an explicit 'composition' there.

        Parameters
        ----------
        n_sites : int
            Number of lattice sites of the replica.

        Returns
        -------
        str
            ``"tree"`` or ``"composition"``.
        """
        if self.elastic_interactions or self.stress_dependent_rates:
            return "tree"
        if self.event_selection == "auto":
            return "composition" if n_sites >= AUTO_COMPOSITION_MIN_SITES else "tree"
        return self.event_selection

    def check(self) -> list[str]:
        """Cross-key checks, run by :func:`~mgmeso.config.fields.parse_table` after the ranges.

        Returns
        -------
        list of str
            One message per problem (empty: the table is consistent).
        """
        msgs = []
        if self.plasticity == "parallel" and (self.coalescence or self.footprint_max_sites != 1):
            msgs.append(
                f"plasticity = 'parallel' is the mean-field rule: it needs coalescence = false and "
                f"footprint_max_sites = 1 (got coalescence = {str(self.coalescence).lower()}, "
                f"footprint_max_sites = {self.footprint_max_sites})")
        if self.hierarchy_beta_time != "site" and self.heterogeneity != "local":
            msgs.append(f"hierarchy_beta_time = '{self.hierarchy_beta_time}' needs heterogeneity = "
                        f"'local' (got '{self.heterogeneity}': 'paper' mode builds tau_max from "
                        f"<tau_beta> for all sites)")
        if self.bias_law == "physical" and self.bias_saturation_stress_MPa is not None:
            msgs.append(f"bias_saturation_stress_MPa = {self.bias_saturation_stress_MPa:g} applies to "
                        f"bias_law = 'linear' only: with bias_law = 'physical' each process's "
                        f"saturation stress follows from [material] site_volume_nm3, the "
                        f"temperature and the compliance (docs/kmc_elastic.md section 1); set "
                        f"bias_law = 'linear' or drop the key")
        if self.elastic_interactions and self.elastic_near_radius is not None and \
                self.elastic_near_radius >= self.L / 2:
            msgs.append(f"elastic_near_radius = {self.elastic_near_radius:g} must be below L/2 = "
                        f"{self.L / 2:g} (the stencil would reach a site's periodic image)")
        if self.stress_dependent_rates and self.elastic_interactions and \
                self.elastic_update != "exact":
            msgs.append(f"stress_dependent_rates = true with elastic_interactions = true needs "
                        f"elastic_update = 'exact' (got '{self.elastic_update}'): the thinning "
                        f"needs the exact local stress (docs/kmc_elastic.md section 6.10)")
        if self.stress_dependent_rates and not self.elastic_interactions:
            # lazy import: the kmc package imports the config
            from ..kmc.eshelby import FINE
            if self.lattice not in FINE:
                msgs.append(f"stress_dependent_rates = true needs a lattice with an elastic "
                            f"propagator ({', '.join(FINE)}), also without interactions (the "
                            f"thinning runs in the interacting loop with a zero field, "
                            f"docs/kmc_elastic.md section 6.10); got lattice = '{self.lattice}'")
        if self.plastic_rate_law == "eyring" and not (
                self.stress_dependent_rates and self.plasticity == "parallel" and
                self.bias_law == "physical"):
            msgs.append(f"plastic_rate_law = 'eyring' needs stress_dependent_rates = true, "
                        f"plasticity = 'parallel' and bias_law = 'physical' (got "
                        f"{str(self.stress_dependent_rates).lower()}, '{self.plasticity}', "
                        f"'{self.bias_law}'): the Eyring rates of the plastic two-level unit are "
                        f"drawn by thinning (docs/kmc_elastic.md section 6.10)")
        if self.event_selection == "composition" and (self.elastic_interactions or
                                                      self.stress_dependent_rates):
            msgs.append("event_selection = 'composition' is for the non-interacting engine: with "
                        "elastic_interactions or stress_dependent_rates the interacting loop's "
                        "thinning updates the sum tree's leaves at every event; use "
                        "event_selection = 'auto' or 'tree' (docs/kmc.md section 6)")
        if self.defect_correlation_length > self.L / 2:
            msgs.append(f"defect_correlation_length = {self.defect_correlation_length:g} must be at "
                        f"most L/2 = {self.L / 2:g} cells")
        return msgs


@dataclass(frozen=True, kw_only=True)
class Defects:
    """Defect dynamics of the kMC (aging, rejuvenation): docs/model.md section 2, docs/kmc_aging.md."""

    enabled: bool = param(False, doc="let QPD sites heal and form (aging toward the equilibrium "
                          "C_d(T) of [Hao2022] Eq. 1 on the local alpha time), anelastic work create "
                          "defects and annihilations reorder; chi_j and tau_max_j then follow the "
                          "local defect fraction (chi = kappa C_d, Eq. 10)")
    fictive_temperature_K: float | None = param(
        None, unit="K", doc="the initial defect fraction is the equilibrium C_d at this temperature "
        "(as-quenched: above Tg; default: the analytical model's C_d at the starting temperature, "
        "i.e. frozen at Tg below Tg)", lo=0.0, lo_open=True, hi=5000.0,
        why="a positive absolute temperature")
    rejuvenation_yield_per_MPa: float = param(
        0.0, unit="1/MPa", doc="QPDs created per site per MPa (MJ/m^3) of net anelastic work "
        "integral sigma d(eps_an), placed next to recently active SMD footprints ([Hao2022] Eq. 22c, "
        "[Zhang2023] Eq. 6; 0: off)", lo=0.0, hi=1e3, why="0 (off) or a positive yield")
    reordering_probability: float = param(
        0.0, doc="probability that an SMD annihilation heals its QPD site ([Zhang2023] Eq. 21; "
        "docs/model.md E5: off by default)", lo=0.0, hi=1.0, why="a probability")
    plastic_renewal_probability: float = param(
        0.0, doc="probability per net plastic deposit that a QPD hands its defect to a free matrix "
        "neighbour at the next defect update (its barrier renewed; docs/kmc_elastic.md section 7.8; "
        "0: off)", lo=0.0, hi=1.0, why="a probability")
    max_step_s: float = param(
        60.0, unit="s", doc="longest simulated interval between defect updates (they also happen "
        "at every sample, temperature slice and segment start)", lo=1e-6, hi=1e9,
        why="a positive interval; the update is exact for each site at frozen rates and its "
        "error shrinks with the interval")


@dataclass(frozen=True, kw_only=True)
class Output:
    """Where results go."""

    dir: str | None = param(None, doc="output directory (default: out/<config name>)")
    plot: bool = param(False, doc="also draw PNG figures (same as --plot)")
    snapshot_times_s: tuple[float, ...] = param(
        (), unit="s", doc="times at which kMC site fields are saved", lo=0.0, hi=1e12,
        why="times within the run", min_items=0)
