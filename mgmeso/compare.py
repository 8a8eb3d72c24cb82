"""The analytical counterpart of a kMC configuration, and kMC-versus-theory comparisons.

Which analytical model is the exact ensemble mean of the kMC (docs/model.md sections 2, 4):

* parallel plasticity, "paper" heterogeneity (the mean-field configuration):
  [Hao2022] Eq. 25a, with the beta times Gumbel-distributed as in the kMC
  (B scaled by T/T_ref in "energy" disorder mode);
* parallel plasticity, "local" heterogeneity: the same formulas averaged over the
  quenched disorder -- the Gumbel beta times and the binomial distribution of the
  local defect fraction that sets chi_j (uncorrelated QPD placement);
* series plasticity ("paper"): the series rule of the hereditary integrator
  (annihilation resets the SMD), exact without coalescence; with coalescence
  and footprints the difference is the mesoscale effect that is measured.

Creep-type programs (held stresses at one temperature) use Boltzmann
superposition of the closed-form J(t); a single held strain uses the Volterra
solver; anything else the hereditary integrator at the kMC sample times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from .config.material import Material
from .errors import UserError
from .kmc.lattice import Lattice
from .kmc.observables import estimator
from .kmc.setup import KmcSetup
from .theory import kinetics
from .theory.compliance import state_point
from .theory.gumbel import GumbelGrid, gumbel_grid
from .theory.hereditary import HereditaryOptions, run_program
from .theory.volterra import LinearKernel, default_start, kernel_of, relax_kernel

__all__ = ["theory_for_case", "local_kernel", "neighbourhood_size", "Comparison", "compare",
           "COMPARED", "z_limit", "Verdict", "verdicts", "verdict_lines", "replica_warning",
           "compare_run", "dma_comparison", "ALPHA", "MIN_REPLICAS"]

COMPARED = ("strain", "strain_beta", "strain_anelastic", "strain_plastic", "stress_MPa")
#: annihilations per replica needed before the plastic strain is compared in standard errors
MIN_EVENTS = 10


def neighbourhood_size(lat: Lattice, radius: int) -> int:
    """Number of distinct sites within graph distance ``radius`` of a site (itself excluded)."""
    nbr = lat.neighbour_table()
    seen = {0}
    frontier = {0}
    for _ in range(radius):
        frontier = {int(j) for i in frontier for j in nbr[i]} - seen
        seen |= frontier
    return len(seen) - 1


def beta_grid(setup: KmcSetup, T: float, n: int = 241) -> GumbelGrid:
    """Gumbel grid of the kMC's beta times at T."""
    return gumbel_grid(_B(setup, T), n)


def local_kernel(mat: Material, T: float, B: float, z_r: int, Cd: float,
                 chi_law: str = "linear", n_beta: int = 241, n_an: int = 41) -> LinearKernel:
    """Disorder average of Eq. 25a with per-site tau_max_j(tau_beta_j, chi_j) ('local' mode).

    ``chi_j = kappa k/z_r + (chi(T) - chi_g)`` with ``k ~ Binomial(z_r, C_d)`` QPD
    neighbours among the ``z_r`` sites of the neighbourhood; beta times Gumbel
    with shape ``B`` (``n_beta`` nodes; ``n_an`` nodes for the anelastic and
    plastic averages, which are smoother). The plastic coefficient is NaN when
    its disorder average diverges (B chi <= 1 for a chi class that occurs).
    """
    sp = state_point(mat, T, chi_law=chi_law)
    tb_mean = float(sp.tau_beta_s)
    k = np.arange(z_r + 1)
    Pk = binom.pmf(k, z_r, Cd)
    chik = np.clip(mat.kappa * k / z_r + (float(sp.chi) - mat.chi_g), kinetics.CHI_MIN, 1.0)
    g_an = gumbel_grid(B, n_an)
    TB, CH = np.meshgrid(tb_mean * np.exp(g_an.y), chik, indexing="ij")
    W = np.outer(g_an.w, Pk)
    tmax = kinetics.tau_max(mat, TB, CH)
    tan = kinetics.tau_an(tmax, CH)
    keep = W.ravel() > 1e-14
    w = W.ravel()[keep]
    g_b = gumbel_grid(B, n_beta)
    # <1/tau_max_j> ~ E[E^(-1/(B chi))] over the Gumbel beta times is infinite unless
    # B chi > 1 for every chi class that occurs (and B > 1 where tau_beta_j < t0):
    # the mean plastic rate of local mode then does not exist.
    k_vp = mat.A_vp * float(np.sum(W / tmax))
    if np.any((B * chik[Pk > 1e-14] <= 1.0)) and mat.A_vp > 0:
        k_vp = float("nan")
    return LinearKernel(
        J_el=mat.J_el_per_MPa, A_beta=mat.A_beta_per_MPa, beta_tau=tb_mean * np.exp(g_b.y),
        beta_w=np.asarray(g_b.w), A_an=mat.A_an_per_MPa, kww_w=w / w.sum(),
        kww_tau=tan.ravel()[keep], kww_chi=CH.ravel()[keep], k_vp=k_vp)


def _B(setup: KmcSetup, T: float) -> float:
    """Gumbel shape of the kMC's beta times at T (energy mode narrows it as T/T_ref)."""
    B = setup.material.B_beta
    return B * T / setup.T_ref_K if setup.sim.disorder == "energy" else B


def _kernel(setup: KmcSetup, T: float, chi_law: str) -> LinearKernel:
    mat = setup.material
    grid = beta_grid(setup, T)
    if setup.sim.heterogeneity == "local":
        if setup.sim.defect_correlation_length > 0:
            raise UserError("the local-mode theory assumes uncorrelated QPD placement "
                            "(defect_correlation_length = 0)")
        if setup.sim.hierarchy_beta_time != "site":
            raise UserError(f"hierarchy_beta_time = '{setup.sim.hierarchy_beta_time}': the "
                            f"local-mode theory averages the site rule (each tau_max_j from the "
                            f"site's own tau_beta_j); there is no analytical counterpart of the "
                            f"neighbourhood rule, run it with 'mgmeso run'")
        z_r = neighbourhood_size(setup.lattice, setup.sim.chi_radius)
        Cd = float(kinetics.defect_concentration(mat, T))
        return local_kernel(mat, T, _B(setup, T), z_r, Cd, chi_law)
    return kernel_of(mat, state_point(mat, T, chi_law=chi_law), grid)


def _boltzmann(kernel: LinearKernel, segs, times: np.ndarray) -> dict:
    """Strain under piecewise-constant stress: sum of jumps times J(t - t_k)."""
    out = {k: np.zeros(times.size) for k in ("elastic", "beta", "anelastic", "plastic")}
    stress = np.zeros(times.size)
    t0, s_prev = 0.0, 0.0
    for seg in segs:
        s_held = seg.held_stress_MPa()
        jump = s_held - s_prev
        # a sample at a segment's end time belongs to that segment (recorded before the change)
        on = times > t0
        if jump != 0.0:
            J = kernel.creep(np.clip(times - t0, 0.0, None))
            for k in out:
                out[k] += np.where(on, jump * J[k], 0.0)
        stress = np.where(on, s_held, stress)
        t0 += seg.duration(0.0, 0.0)
        s_prev = s_held
    total = sum(out.values())
    return {"time_s": times, "stress_MPa": stress, "strain": total,
            "strain_elastic": out["elastic"], "strain_beta": out["beta"],
            "strain_anelastic": out["anelastic"], "strain_plastic": out["plastic"]}


def theory_for_case(setup: KmcSetup, case: int, times: np.ndarray, chi_law: str = "linear"):
    """Analytical ensemble mean of the kMC case at ``times``.

    Returns
    -------
    (dict, str)
        Time-domain columns at ``times`` and a label naming the model used.
    """
    sim = setup.sim
    prog = setup.programs[case]
    T = prog.temperature_K
    segs = prog.segments
    times = np.asarray(times, dtype=float)
    if sim.plasticity == "parallel":
        label = ("disorder-averaged Eq. 25a (local mode)" if sim.heterogeneity == "local"
                 else "mean-field Eq. 25a (exact form)")
        kern = _kernel(setup, T, chi_law)
        if all(s.held_stress_MPa() is not None for s in segs):
            return _boltzmann(kern, segs, times), label + ", Boltzmann superposition"
        if len(segs) == 1 and segs[0].held_strain() is not None:
            eps = segs[0].held_strain()
            t0 = default_start(state_point(setup.material, T), beta_grid(setup, T), float(times.min()))
            d = relax_kernel(kern, lambda t: np.full_like(t, eps), times, 60, t0)
            return d, label + ", Volterra inversion"
        if sim.heterogeneity == "local":
            raise UserError("the local-mode theory is available for creep/recovery and single "
                            "stress relaxations only")
        opts = HereditaryOptions(modes_per_decade=8)
        return run_program(setup.material, prog, opts, eval_times=times), \
            "mean-field Eq. 25a, hereditary integration"
    if sim.heterogeneity == "local":
        raise UserError("no analytical counterpart for series plasticity in local mode")
    opts = HereditaryOptions(series=True, modes_per_decade=8)
    label = "series rule without coalescence (hereditary integration)"
    return run_program(setup.material, prog, opts, eval_times=times), label


@dataclass
class Comparison:
    """kMC ensemble mean and SE against theory, per case."""

    labels: list[str]
    model: list[str]
    times: list[np.ndarray]
    kmc_mean: list[dict]
    kmc_se: list[dict]
    theory: list[dict]
    z: list[dict]

    def max_abs_z(self) -> dict[str, float]:
        out = {}
        for name in COMPARED:
            vals = [np.nanmax(np.abs(z[name])) if np.any(np.isfinite(z[name])) else np.nan
                    for z in self.z]
            out[name] = float(np.nanmax(vals)) if np.any(np.isfinite(vals)) else float("nan")
        return out


def _z(mean, se, th):
    diff = mean - th
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / se
    # zero standard error: exact agreement is z = 0, anything else is not comparable
    tiny = np.abs(diff) <= 1e-12 * np.maximum(np.abs(th), 1e-300)
    return np.where(se > 0, z, np.where(tiny, 0.0, np.nan))


def compare(setup: KmcSetup, mean_of, se_of, chi_law: str = "linear") -> Comparison:
    """Compare ensemble statistics with the theory, case by case.

    ``mean_of(name)`` and ``se_of(name)`` return (case, sample) arrays.
    """
    labels, models, times, means, ses, ths, zs = [], [], [], [], [], [], []
    t_all = mean_of("time_s")
    for c in range(setup.n_cases):
        ok = np.isfinite(t_all[c])
        t = t_all[c][ok]
        th, model = theory_for_case(setup, c, t, chi_law)
        # the ensemble mean is estimated with the equilibrium units at their conditional
        # mean (same expectation as the drawn values, no observation noise)
        m = {n: mean_of(estimator(n))[c][ok] for n in COMPARED}
        s = {n: se_of(estimator(n))[c][ok] for n in COMPARED}
        thc = {n: np.asarray(th[n])[: t.size] for n in COMPARED}
        z = {n: _z(m[n], s[n], thc[n]) for n in COMPARED}
        # The plastic strain is a sum of annihilation events: with a handful per replica its
        # distribution is discrete and skewed, and a standard error means nothing. It is
        # compared only where each replica has seen MIN_EVENTS on average.
        n_ann = mean_of("events_annihilation")[c][ok] + mean_of("events_coalescence")[c][ok]
        z["strain_plastic"] = np.where(n_ann >= MIN_EVENTS, z["strain_plastic"], np.nan)
        labels.append(setup.case_labels[c])
        models.append(model)
        times.append(t)
        means.append(m)
        ses.append(s)
        ths.append(thc)
        zs.append(z)
    return Comparison(labels, models, times, means, ses, ths, zs)


# ---- comparisons of a stored run, and the test of the deviations ---------------------------

#: family-wise false-alarm probability of the pass/fail test (per compared quantity)
ALPHA = 0.05
#: fewer replicas than this: the standard errors themselves are too uncertain to trust a pass
MIN_REPLICAS = 8


def z_limit(n_points: int, n_replicas: int, alpha: float = ALPHA) -> float:
    """Largest |z| expected, at family-wise level ``alpha``, among ``n_points`` deviations in
    standard errors estimated from ``n_replicas`` replicas.

    The Sidak rule: each point is tested at ``1 - (1 - alpha)^(1/n)``; z of a mean over R
    replicas divided by its estimated SE follows Student's t with R - 1 degrees of freedom.
    Time points of one replica are positively correlated, for which the rule is
    conservative (the true family-wise rate is below ``alpha``). NaN if n < 1 or R < 2.
    """
    from scipy.stats import t as student_t

    if n_points < 1 or n_replicas < 2:
        return float("nan")
    per_point = 1.0 - (1.0 - alpha) ** (1.0 / n_points)
    return float(student_t.ppf(1.0 - per_point / 2.0, n_replicas - 1))


@dataclass(frozen=True)
class Verdict:
    """Pass/fail of one compared quantity."""

    name: str
    max_abs_z: float
    n_points: int
    limit: float

    @property
    def passed(self) -> bool | None:
        if self.n_points == 0 or not np.isfinite(self.limit):
            return None
        return bool(self.max_abs_z <= self.limit)

    def line(self) -> str:
        if self.passed is None:
            return f"{self.name}: not tested (no point with a standard error)"
        return (f"{self.name}: largest |z| {self.max_abs_z:.2f} over {self.n_points} points, "
                f"expected at most {self.limit:.2f}: {'pass' if self.passed else 'FAIL'}")


def verdicts(z_by_name: dict[str, list[np.ndarray]], n_replicas: int) -> list[Verdict]:
    """One :class:`Verdict` per quantity from its z values (any number of arrays, NaN skipped)."""
    out = []
    for name, zs in z_by_name.items():
        z = np.concatenate([np.ravel(np.asarray(a, float)) for a in zs]) if zs else np.zeros(0)
        z = z[np.isfinite(z)]
        mz = float(np.max(np.abs(z))) if z.size else float("nan")
        out.append(Verdict(name, mz, int(z.size), z_limit(int(z.size), n_replicas)))
    return out


def verdict_lines(vs: list[Verdict], n_replicas: int) -> list[str]:
    """The test rule, one line per quantity, the overall result and the replica warning."""
    lines = [f"test: z = (kMC mean - theory) / SE; pass if the largest |z| of a quantity is at "
             f"most the limit for its number of points (Sidak, family-wise {ALPHA:.0%}, "
             f"Student's t with {n_replicas - 1} degrees of freedom)"]
    lines += [f"  {v.line()}" for v in vs]
    tested = [v for v in vs if v.passed is not None]
    ok = sum(v.passed for v in tested)
    lines.append(f"  overall: {'pass' if tested and ok == len(tested) else 'FAIL' if tested else 'not tested'}"
                 f" ({ok} of {len(tested)} quantities pass)")
    return lines


def replica_warning(n_replicas: int) -> str | None:
    if n_replicas >= MIN_REPLICAS:
        return None
    return (f"only {n_replicas} replica(s): standard errors from fewer than {MIN_REPLICAS} "
            f"replicas are themselves uncertain, so pass/fail says little; run more replicas")


def compare_run(data) -> Comparison:
    """A stored time-domain run (:class:`~mgmeso.kmc.reader.RunData`) against its theory."""
    return compare(data.setup, data.mean, data.se, data.config.theory.chi_law)


def dma_comparison(data, window_K: float | None = None) -> dict[str, np.ndarray]:
    """Lock-in E', E'' of a stored DMA run against the exact and paper forms of the model,
    averaged over each lock-in window, with ``E_storage_z`` and ``E_loss_z``."""
    from .kmc.analysis import dma_run_table
    from .kmc.lockin import window_average
    from .theory.protocols import dma_columns

    d = dma_run_table(data, window_K)
    cfg = data.config
    mat = cfg.material
    grid = gumbel_grid(mat.B_beta, cfg.theory.gumbel_points)

    def model(T, form=""):
        c = dma_columns(mat, T, d["frequency_Hz"], grid, cfg.theory.chi_law)
        return c[f"E_storage{form}_MPa"] + 1j * c[f"E_loss{form}_MPa"]

    # the lock-in estimates the window average of E*: average the model over the same window
    Ex = window_average(model, d["temperature_K"], d["window_K"])
    Ep = window_average(lambda T: model(T, "_paper"), d["temperature_K"], d["window_K"])
    cols = dict(d)
    cols.update({"E_storage_theory_MPa": Ex.real, "E_storage_paper_MPa": Ep.real,
                 "E_loss_theory_MPa": Ex.imag, "E_loss_paper_MPa": Ep.imag,
                 "tan_delta_theory": Ex.imag / Ex.real, "tan_delta_paper": Ep.imag / Ep.real})
    with np.errstate(invalid="ignore", divide="ignore"):
        cols["E_storage_z"] = (d["E_storage_MPa"] - Ex.real) / d["E_storage_MPa_se"]
        cols["E_loss_z"] = (d["E_loss_MPa"] - Ex.imag) / d["E_loss_MPa_se"]
    return cols
