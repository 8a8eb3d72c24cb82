"""Hereditary (internal-variable) integration of the QPD model under any loading program.

The linear creep function of [Hao2022] Eq. 25a is a sum of relaxing internal
strains, which lets the model run under mixed stress/strain control, changing
temperature and the non-linear terms of [Hao2022] (tau_beta(sigma), Eq. 9;
chi(eps_an), Eq. 22c; optional reordering, [Zhang2023] Eq. 21):

* beta: one Debye mode per node of a Gumbel grid,
  ``de_j/dt = (W_j A_beta sigma - e_j) / tau_j``, ``tau_j = tau_beta(sigma, T) e^{y_j}``;
* anelastic: the stretched exponential written as a Prony series on a fixed
  grid of reduced rates, ``exp(-u^chi) = sum_k g_k(chi) exp(-r_k u)``, with
  ``da_k/dt = (g_k A_an sigma - a_k) r_k / tau_an`` -- the same decomposition
  into Debye units (the one-sided stable law of index chi) that the kMC
  samples per site;
* viscoplastic: ``dp/dt = A_vp sigma / tau_max``; or, with the series rule of the
  kMC (docs/model.md section 2: annihilation turns the SMD's strain plastic and resets it),
  ``da_k/dt = (g_k A_an sigma - a_k) r_k/tau_an - a_k/tau_max`` and
  ``dp/dt = sum_k a_k / tau_max`` -- the exact ensemble mean of the kMC series rule
  without coalescence.

Under strain control ``sigma = (eps - slow inelastic strain) / J_inst``. Modes
much faster than the first sample time are in equilibrium with the stress and
are folded into the instantaneous compliance J_inst (the stiff limit). In
the linear case the result equals Boltzmann superposition of J(t); the
tests check it against :mod:`mgmeso.theory.volterra` and the closed-form
creep-recovery.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import nnls

from ..config.material import Material
from ..errors import ModelRangeError
from ..program import LoadingProgram
from ..segments import STRESS, Law, Ramp, Start
from . import kinetics
from .gumbel import gumbel_grid

__all__ = ["prony_rates", "prony_weights", "HereditaryOptions", "run_program"]

_LOG_RATE_LO, _LOG_RATE_HI = -7.0, 10.0
_CHI_STEP = 1e-3


@lru_cache(maxsize=8)
def prony_rates(modes_per_decade: int) -> np.ndarray:
    """Return the fixed grid of reduced rates r_k (in units of 1/tau_an).

    Parameters
    ----------
    modes_per_decade : int
        Rates per decade.

    Returns
    -------
    numpy.ndarray
        float64 (n_modes,), read-only, log-spaced.
    """
    r = 10.0 ** np.arange(_LOG_RATE_LO, _LOG_RATE_HI + 1e-9, 1.0 / modes_per_decade)
    r.setflags(write=False)
    return r


@lru_cache(maxsize=4096)
def _prony_fit(chi_index: int, modes_per_decade: int) -> np.ndarray:
    chi = chi_index * _CHI_STEP
    r = prony_rates(modes_per_decade)
    if chi >= 1.0:
        # exp(-u) itself: the mode at rate 1
        g = np.zeros(r.size)
        g[np.argmin(np.abs(np.log(r)))] = 1.0
        return g
    u_hi = np.log(1e12) ** (1.0 / chi)
    u = np.geomspace(1e-10, u_hi, 400)
    A = np.exp(-np.outer(u, r))
    b = np.exp(-np.power(u, chi))
    w = 1e3  # weight of the row that enforces sum g = 1 (phi(0) = 1)
    g, _ = nnls(np.vstack([A, w * np.ones_like(r)]), np.concatenate([b, [w]]), maxiter=20 * r.size)
    return g


def prony_weights(chi: float, modes_per_decade: int = 6) -> np.ndarray:
    """Non-negative weights g_k with ``exp(-u^chi) ≈ sum g_k exp(-r_k u)``.

    Fitted by NNLS at chi on a 0.001 grid and interpolated linearly between
    (a convex combination of two valid decompositions), so the weights are
    continuous in chi. Accuracy: ~1e-8 for chi <= 0.5 and ~1e-4 at chi = 0.9
    with 6 modes per decade.

    Parameters
    ----------
    chi : float
        Stretching exponent, clipped to [CHI_MIN, 1].
    modes_per_decade : int
        Rates per decade (:func:`prony_rates`).

    Returns
    -------
    numpy.ndarray
        float64 (n_modes,): the weights g_k >= 0.
    """
    x = float(np.clip(chi, kinetics.CHI_MIN, 1.0)) / _CHI_STEP
    i0 = int(np.floor(x))
    lam = x - i0
    g0 = _prony_fit(i0, modes_per_decade)
    if lam < 1e-12:
        return g0
    return (1.0 - lam) * g0 + lam * _prony_fit(i0 + 1, modes_per_decade)


@dataclass(frozen=True)
class HereditaryOptions:
    """Modelling switches of the hereditary integrator."""

    nonlinear: bool = False          # tau_beta(sigma) and the chi strain terms
    series: bool = False             # series plasticity rule: annihilation resets the SMD unit
    strain_term: bool = True         # + a2 eps_an   (only if nonlinear)
    reordering_term: bool = False    # - b_vp eps_vp (only if nonlinear)
    chi_law: str = "linear"
    beta_points: int = 121
    modes_per_decade: int = 6
    rtol: float = 1e-7


class _Model:
    """State layout and right-hand side for one segment (fixed fast/slow split)."""

    def __init__(self, mat: Material, opts: HereditaryOptions):
        self.mat = mat
        self.opts = opts
        g = gumbel_grid(mat.B_beta, opts.beta_points)
        self.y_beta = np.asarray(g.y)
        self.w_beta = np.asarray(g.w)
        self.r_an = np.asarray(prony_rates(opts.modes_per_decade))
        nb, na = self.y_beta.size, self.r_an.size
        self.n = nb + na + 1
        self.ib = np.arange(nb)
        self.ia = np.arange(nb, nb + na)
        self.ip = nb + na

    # -- constitutive pieces ----------------------------------------------------
    def chi(self, T, eps_an, eps_vp):
        o = self.opts
        ea = eps_an if (o.nonlinear and o.strain_term) else 0.0
        ev = eps_vp if (o.nonlinear and o.reordering_term) else 0.0
        return float(kinetics.chi(self.mat, T, ea, ev, law=o.chi_law))

    def times(self, T, sigma, chi):
        s = sigma if self.opts.nonlinear else 0.0
        tb = float(kinetics.tau_beta(self.mat, T, s))
        tm = float(kinetics.tau_max(self.mat, tb, chi))
        return tb, tm, float(kinetics.tau_an(tm, chi))

    def classify(self, T, t_fast):
        """Masks of modes in equilibrium (faster than t_fast at T and zero stress)."""
        tb, tm, ta = self.times(T, 0.0, self.chi(T, 0.0, 0.0))
        fast_b = tb * np.exp(self.y_beta) < t_fast
        fast_a = ta / self.r_an < t_fast
        return fast_b, fast_a


class _Segment:
    """RHS of one segment: control law, temperature law and the fast/slow split."""

    def __init__(self, model: _Model, fast_b, fast_a, control, T_of_t):
        self.m = model
        self.fb, self.fa = fast_b, fast_a
        self.sb, self.sa = ~fast_b, ~fast_a
        self.control = control  # ("stress", f(t)) or ("strain", f(t))
        self.T_of_t = T_of_t
        mat = model.mat
        self.Wfast = float(np.sum(model.w_beta[fast_b]))
        self.Ab, self.Aan, self.Avp = mat.A_beta_per_MPa, mat.A_an_per_MPa, mat.A_vp

    def pack(self, full):
        m = self.m
        return np.concatenate([full[m.ib][self.sb], full[m.ia][self.sa], [full[m.ip]]])

    def unpack(self, y, sigma, chi, full_out):
        """Fill a full-length state vector (fast modes at their equilibrium)."""
        m = self.m
        nsb = int(self.sb.sum())
        nsa = int(self.sa.sum())
        eb = np.empty(m.ib.size)
        eb[self.sb] = y[:nsb]
        eb[self.fb] = m.w_beta[self.fb] * self.Ab * sigma
        ea = np.empty(m.ia.size)
        ea[self.sa] = y[nsb:nsb + nsa]
        g = prony_weights(chi, m.opts.modes_per_decade)
        ea[self.fa] = g[self.fa] * self.Aan * sigma
        full_out[m.ib] = eb
        full_out[m.ia] = ea
        full_out[m.ip] = y[-1]
        return full_out

    def stress_chi(self, t, y):
        """Stress and chi at time t for the (slow) state y."""
        m = self.m
        nsb = int(self.sb.sum())
        nsa = int(self.sa.sum())
        T = self.T_of_t(t)
        eb_s = float(np.sum(y[:nsb]))
        ea_s = float(np.sum(y[nsb:nsb + nsa]))
        p = float(y[-1])
        kind, f = self.control
        chi1 = m.chi(T, ea_s, p)
        gfast = float(np.sum(prony_weights(chi1, m.opts.modes_per_decade)[self.fa]))
        if kind == "stress":
            sigma = f(t)
        else:
            J_inst = m.mat.J_el_per_MPa + self.Ab * self.Wfast + self.Aan * gfast
            sigma = (f(t) - eb_s - ea_s - p) / J_inst
        chi = m.chi(T, ea_s + self.Aan * gfast * sigma, p)
        return sigma, chi, T

    def rhs(self, t, y):
        m = self.m
        nsb = int(self.sb.sum())
        nsa = int(self.sa.sum())
        sigma, chi, T = self.stress_chi(t, y)
        tb, tm, ta = m.times(T, sigma, chi)
        taus = tb * np.exp(m.y_beta[self.sb])
        dy = np.empty_like(y)
        dy[:nsb] = (m.w_beta[self.sb] * self.Ab * sigma - y[:nsb]) / taus
        g = prony_weights(chi, m.opts.modes_per_decade)
        a = y[nsb:nsb + nsa]
        dy[nsb:nsb + nsa] = (g[self.sa] * self.Aan * sigma - a) * m.r_an[self.sa] / ta
        if m.opts.series:
            dy[nsb:nsb + nsa] -= a / tm
            # fast (equilibrium) modes sit at g A sigma tau_max/(tau_max + tau_an_k) ~ g A sigma
            dy[-1] = (float(np.sum(a)) + self.Aan * sigma * float(np.sum(g[self.fa]))) / tm
        else:
            dy[-1] = self.Avp * sigma / tm
        return dy


def run_program(mat: Material, program: LoadingProgram, opts: HereditaryOptions,
                eval_times: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Integrate the QPD model through a loading program.

    Each segment gives its law (what is controlled and how), its temperature ramp and its
    duration (:mod:`mgmeso.segments`); a segment that ends on an event (unloading to zero
    stress) is integrated up to the event.

    ``eval_times`` (absolute, s): report at these times instead of the
    segments' own sample times (each time goes to the segment whose window
    ``(start, end]`` holds it).

    Returns
    -------
    dict of ndarray
        ``time_s, stress_MPa, strain, strain_elastic, strain_beta,
        strain_anelastic, strain_plastic, temperature_K, chi`` at the sample
        times of every segment.

    Parameters
    ----------
    mat : Material
        The material parameters.
    program : LoadingProgram
        The segments to run.
    opts : HereditaryOptions
        Grid sizes, tolerances and the optional non-linear terms.
    eval_times : numpy.ndarray, optional
        Absolute report times (s), see above.
    """
    model = _Model(mat, opts)
    full = np.zeros(model.n)     # current full state
    t_now, T_now, sigma_now, strain_now = 0.0, program.temperature_K, 0.0, 0.0
    control_now = STRESS
    t_fast = 1e-2 * program.t_first_s
    rows: list[np.ndarray] = []
    for iseg, seg in enumerate(program.segments):
        start = Start(t_now, sigma_now, strain_now, T_now, control_now)
        dur = seg.duration(strain_now, T_now)
        law = seg.law(start)
        ramp = seg.ramp(start)
        T_of_t = _temperature_law(ramp, seg.held_temperature_K(T_now))
        T_min = min(T_now, T_of_t(t_now) if ramp is None else ramp.T1_K)
        fast_b, fast_a = model.classify(T_min, t_fast)
        segm = _Segment(model, fast_b, fast_a, _control(law), T_of_t)
        # `full` holds fast modes at equilibrium, so modes that turn slow start from there
        y0 = segm.pack(full)
        events = None
        if seg.ends_on_event:      # unloading: integrate up to zero stress
            dur = seg.search_horizon_s(strain_now) if sigma_now != 0.0 else 0.0

            def hit_zero(s, y, segm=segm, t0=t_now):
                return segm.stress_chi(t0 + s, y)[0]
            hit_zero.terminal = True  # type: ignore[attr-defined]  # scipy's event attributes
            hit_zero.direction = -1.0 if sigma_now > 0.0 else 1.0  # type: ignore[attr-defined]
            events = [hit_zero]
        if dur <= 0.0:
            continue
        # integrate in time since the segment start: on absolute time, a segment after a long one
        # cannot take the short steps its start needs (the float spacing at 1e12 s is 1e-4 s)
        t0 = t_now
        sol = solve_ivp(lambda s, y, segm=segm, t0=t0: segm.rhs(t0 + s, y), (0.0, dur), y0,
                        method="BDF", rtol=opts.rtol, atol=1e-14, dense_output=True,
                        events=events, max_step=seg.max_step_s())
        if sol.status < 0:
            raise ModelRangeError(
                f"the hereditary integration failed in segment #{iseg + 1} ({seg}) at strain "
                f"{strain_now:.3g}: {sol.message}; such failures come from loadings far outside "
                "the small-strain range the model describes (|strain| above ~0.5, stresses near "
                "sigma1): shorten or lower the load")
        t_end = t0 + sol.t[-1]
        if eval_times is None:
            times = t_now + seg.sample_offsets(t_end - t_now, program.t_first_s)
        else:
            last = iseg == len(program.segments) - 1
            times = eval_times[(eval_times > t_now) & ((eval_times <= t_end) | last)]
        for tt in times:
            y = sol.sol(min(tt, t_end) - t0)
            rows.append(np.append(_row(segm, tt, y), iseg))
        y_end = sol.y[:, -1]
        sigma_now, chi_end, T_now = segm.stress_chi(t_end, y_end)
        full = segm.unpack(y_end, sigma_now, chi_end, full.copy())
        strain_now = _total_strain(model, full, sigma_now)
        control_now = law.control
        t_now = t_end
        T_now = seg.end_temperature_K(T_now)
    arr = np.array(rows) if rows else np.zeros((0, 10))
    names = ("time_s", "stress_MPa", "strain", "strain_elastic", "strain_beta", "strain_anelastic",
             "strain_plastic", "temperature_K", "chi", "segment")
    return {k: arr[:, i] for i, k in enumerate(names)}


def _total_strain(model: _Model, full: np.ndarray, sigma: float) -> float:
    return (model.mat.J_el_per_MPa * sigma + float(np.sum(full[model.ib]))
            + float(np.sum(full[model.ia])) + float(full[model.ip]))


def _row(segm: _Segment, t: float, y: np.ndarray) -> np.ndarray:
    m = segm.m
    sigma, chi, T = segm.stress_chi(t, y)
    full = segm.unpack(y, sigma, chi, np.empty(m.n))
    el = m.mat.J_el_per_MPa * sigma
    eb = float(np.sum(full[m.ib]))
    ea = float(np.sum(full[m.ia]))
    p = float(full[m.ip])
    return np.array([t, sigma, el + eb + ea + p, el, eb, ea, p, T, chi])


def _control(law: Law):
    """Return the law as the integrator's control: ("stress" or "strain", its value at t)."""
    return ("stress" if law.control == STRESS else "strain", law.target)


def _temperature_law(ramp: Ramp | None, T_held: float):
    """T(t) of a segment: held, or ramped and then held at the ramp's target."""
    if ramp is None:
        return lambda t, T=T_held: T
    T0, T1, t0, rate = ramp.T0_K, ramp.T1_K, ramp.t0_s, ramp.rate_K_per_s
    return lambda t: T1 if (t - t0) * abs(rate) >= abs(T1 - T0) else T0 + rate * (t - t0)
