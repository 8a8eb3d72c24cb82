"""Slow, obvious pure-Python twins of the kMC kernels (mgmeso.kmc.{rng,sumtree,lattice,kernels}).

They follow the model as written in docs/model.md section 2 with plain Python
integers and floats, one site at a time, so that the tests can pin the numba
kernels to them bit for bit on small lattices.
"""

from __future__ import annotations

import math

import numpy as np

MASK = (1 << 64) - 1


class TwinRNG:
    """xoshiro256** on Python integers."""

    def __init__(self, state):
        self.s = [int(x) for x in state]

    def next_u64(self):
        s0, s1, s2, s3 = self.s

        def rotl(x, k):
            return ((x << k) | (x >> (64 - k))) & MASK

        result = (rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return float(self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def uniform_open(self):
        return (float(self.next_u64() >> 11) + 1.0) * (1.0 / 9007199254740992.0)


BLOCK = 32


def twin_tree(leaves, size):
    """Block sums of BLOCK consecutive leaves, then a binary tree over the blocks."""
    P = size // 2
    top = [0.0] * size
    for b in range(0, len(leaves), BLOCK):
        s = 0.0
        for v in leaves[b:b + BLOCK]:
            s += float(v)
        top[P + b // BLOCK] = s
    for i in range(P - 1, 0, -1):
        top[i] = top[2 * i] + top[2 * i + 1]
    return top


def twin_find(top, leaves, u):
    """Descend the block tree, then walk the block's leaves (same arithmetic order)."""
    P = len(top) // 2
    i = 1
    while i < P:
        left = top[2 * i]
        if (u < left and left > 0.0) or top[2 * i + 1] <= 0.0:
            i = 2 * i
        else:
            u -= left
            i = 2 * i + 1
    base = (i - P) * BLOCK
    last = base
    for j in range(base, min(base + BLOCK, len(leaves))):
        v = float(leaves[j])
        if v > 0.0:
            last = j
            if u < v:
                return j
            u -= v
    return last


def twin_neighbours(site, lat):
    """Neighbours from explicit coordinates (no offset arithmetic shortcuts)."""
    return [int(x) for x in lat.neighbour_table()[site]]


class TwinEngine:
    """The event algorithm of docs/model.md section 2, written out site by site."""

    def __init__(self, S, C, K, lat):
        self.S = {k: np.array(v, copy=True) for k, v in S._asdict().items()}
        self.C = C
        self.t = float(K.t[0])
        self.t_next = float(K.t_next[0])
        self.sums = [int(x) for x in K.sums]
        self.frozen = float(K.frozen[0])
        self.work = float(K.work[0])
        self.counts = [int(x) for x in K.counts]
        self.rng = TwinRNG(K.rng)
        self.nbr = lat.neighbour_table()
        self.top = list(self.S["top"])
        self.leaves = list(self.S["leaves"])

    # -- rates -----------------------------------------------------------------
    def rates(self, j):
        S, C = self.S, self.C
        ln_tb = C.times.log_tb_mean + float(S["log_tb"][j]) * C.times.temp_factor
        ln_tmax = self.log_tmax(j)
        if C.rules.local:
            chi = float(S["chi"][j])
            ln_tan = math.log(chi) / chi + ln_tmax
        else:
            ln_tan = C.times.log_tan
        ln_tan_j = max(ln_tan - float(S["log_S"][j]), ln_tb)
        r_ann = math.exp(-ln_tmax)
        # "alpha" growth: footprints expand at most at the rate 1/tau_max of the site
        p_grow = math.exp(ln_tan_j - ln_tmax) if (C.rules.growth and ln_tan_j < ln_tmax) else 1.0
        e = int(S["elim"][j])
        if e == 0:
            return math.exp(-ln_tb), r_ann, math.exp(ln_tb - ln_tan_j), p_grow
        if e == 1:
            return math.exp(-ln_tan_j), r_ann, 1.0, p_grow
        if e == 2:
            return 0.0, r_ann, 0.0, p_grow
        return 0.0, 0.0, 0.0, p_grow     # annihilation replaced by the mean drift

    def stress(self, t):
        w, c = self.C.law, self.C.calib
        osc = w.amp * math.sin(w.omega * (t - w.t0)) if w.amp != 0.0 else 0.0
        if w.control == 0:
            return w.sigma_hold + osc
        eps = w.eps0 + w.eps_rate * (t - w.t0) + osc
        inel = ((c.d_beta * self.sums[0] + c.d_an * self.sums[1] + c.d_p * self.sums[2]) * c.inv_N
                + self.frozen)
        return self.solve_stress(eps - inel)

    def solve_stress(self, r):
        """The stress at which the matrix and the units in equilibrium carry the strain r:
        r/J_inst under the linear law; under the physical law the root of
        J_el s + eq_beta tanh(s/ss_beta) + eq_an tanh(s/ss_an) = r by Newton's method.
        """
        c = self.C.calib
        if c.bias_law == 0 or (c.eq_beta == 0.0 and c.eq_an == 0.0):
            return r / c.J_inst
        s = r / c.J_inst
        for _ in range(60):
            tb, ta = math.tanh(s / c.sig_sat_beta), math.tanh(s / c.sig_sat_an)
            f = s * c.J_el + c.eq_beta * tb + c.eq_an * ta - r
            fp = (c.J_el + c.eq_beta / c.sig_sat_beta * (1.0 - tb * tb)
                  + c.eq_an / c.sig_sat_an * (1.0 - ta * ta))
            ds = f / fp
            s -= ds
            if abs(ds) <= 1e-14 * abs(s):
                break
        return s

    def drift_to(self, t):
        """Mean plastic drift of the elim = 3 units from self.t to t: d eps_p/dt = k sigma(t),
        integrated numerically here (Simpson on a fine grid under stress control; under strain
        control the Maxwell ODE J sigma' = eps'(t) - k sigma by classical RK4).
        """
        w, c = self.C.law, self.C.calib
        k = c.k_fast
        if k == 0.0 or t <= self.t:
            return
        n = 400
        h = (t - self.t) / n
        if w.control == 0:
            def sig(u):
                return w.sigma_hold + w.amp * math.sin(w.omega * (u - w.t0))
            acc = sig(self.t) + sig(t)
            for i in range(1, n):
                acc += (4 if i % 2 else 2) * sig(self.t + i * h)
            self.frozen += k * acc * h / 3.0
            return

        def deps(u):
            return w.eps_rate + w.amp * w.omega * math.cos(w.omega * (u - w.t0))

        def f(u, s):
            return (deps(u) - k * s) / c.J_inst
        s, u = self.stress(self.t), self.t
        for _ in range(n):
            k1 = f(u, s)
            k2 = f(u + h / 2, s + h / 2 * k1)
            k3 = f(u + h / 2, s + h / 2 * k2)
            k4 = f(u + h, s + h * k3)
            s += h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
            u += h
        eps = w.eps0 + w.eps_rate * (t - w.t0) + w.amp * math.sin(w.omega * (t - w.t0))
        units = (c.d_beta * self.sums[0] + c.d_an * self.sums[1] + c.d_p * self.sums[2]) * c.inv_N
        self.frozen = eps - units - c.J_inst * s

    def draw(self, sigma, sig_sat):
        """+1 with probability (1 + <s>)/2: <s> = clip(x, -1, 1) (linear law, code 0) or tanh(x)
        (physical law), x = sigma/sig_sat, sig_sat that of the unit's process.
        """
        x = sigma / sig_sat
        b = math.tanh(x) if self.C.calib.bias_law == 1 else min(max(x, -1.0), 1.0)
        return 1 if self.rng.uniform() < 0.5 * (1.0 + b) else -1

    # -- SMD footprints ----------------------------------------------------------
    def footprint(self, j):
        out, m = [], j
        while m != -1:
            out.append(m)
            m = int(self.S["fp_next"][m])
        return out

    def release(self, j, t):
        S = self.S
        a = int(S["smd"][j])
        share = self.C.calib.d_an * a / int(S["fp_size"][j])
        for m in self.footprint(j):
            S["eps_p"][m] = np.float32(float(S["eps_p"][m]) + share)
            S["last_smd"][m] = t
            if m != j:
                S["owner"][m] = -1
                S["fp_next"][m] = -1
        S["fp_next"][j] = -1
        S["fp_size"][j] = 1

    def annihilate_series(self, j, t):
        a = int(self.S["smd"][j])
        if a == 0:
            return False
        self.release(j, t)
        self.sums[2] += a
        self.sums[1] -= a
        self.S["smd"][j] = 0
        return True

    def coalesce(self, j, k, t):
        size = min(int(self.S["fp_size"][j]) + int(self.S["fp_size"][k]), 255)
        self.counts[6 + size] += 1
        self.annihilate_series(j, t)
        self.annihilate_series(k, t)
        self.counts[3] += 1

    def grow(self, j, t):
        S, C = self.S, self.C
        if S["fp_size"][j] >= C.rules.fp_max:
            return
        fp = self.footprint(j)
        m = fp[int(self.rng.uniform() * int(S["fp_size"][j]))]
        s = int(self.nbr[m][int(self.rng.uniform() * int(C.geom.z))])
        own = int(S["owner"][s])
        if own == j:
            return
        if own != -1:
            if C.rules.coalescence and S["smd"][own] != 0:
                self.coalesce(j, own, t)
            return
        S["owner"][s] = j
        S["fp_next"][s] = S["fp_next"][j]
        S["fp_next"][j] = s
        S["fp_size"][j] += 1
        if C.rules.coalescence:
            for s2 in self.nbr[s]:
                o2 = int(S["owner"][s2])
                if o2 != -1 and o2 != j and S["smd"][o2] != 0:
                    self.coalesce(j, o2, t)
                    return

    # -- events ------------------------------------------------------------------
    def smd_event(self, j, t, sigma):
        S = self.S
        p_grow = self.rates(j)[3]
        new = self.draw(sigma, self.C.calib.sig_sat_an)
        c = self.C.calib
        self.work += sigma * c.d_an * (new - int(S["smd"][j])) * c.inv_N
        self.sums[1] += new - int(S["smd"][j])
        S["smd"][j] = new
        self.counts[1] += 1
        if self.C.rules.series and self.C.rules.fp_max > 1:
            if p_grow >= 1.0 or self.rng.uniform() < p_grow:
                self.grow(j, t)
        if S["smd"][j] != 0:
            for m in self.footprint(j):
                S["last_smd"][m] = t

    def event(self, j, t):
        S, C = self.S, self.C
        r_dyn, r_ann, q, p_grow = self.rates(j)
        sigma = self.stress(t)
        # the engine stores both probabilities in single precision
        p_ann = float(np.float32(r_ann / (r_dyn + r_ann)))
        if self.rng.uniform() >= p_ann:
            if S["elim"][j] == 0:
                new = self.draw(sigma, C.calib.sig_sat_beta)
                self.sums[0] += new - int(S["beta"][j])
                S["beta"][j] = new
                self.counts[0] += 1
                if self.rng.uniform() < float(np.float32(q)):
                    self.smd_event(j, t, sigma)
            else:
                self.smd_event(j, t, sigma)
        else:
            if C.rules.series:
                if self.annihilate_series(j, t):
                    self.counts[2] += 1
                else:
                    self.counts[4] += 1
            else:
                new = self.draw(sigma, C.calib.sig_sat_p)
                self.sums[2] += new
                S["eps_p"][j] = np.float32(float(S["eps_p"][j]) + C.calib.d_p * new)
                self.counts[2] += 1
        self.counts[5] += 1

    def run(self, t_stop, max_events):
        total = self.top[1]
        n = 0
        while n < max_events:
            if math.isnan(self.t_next):
                self.t_next = self.t - math.log(self.rng.uniform_open()) / total
            if self.t_next >= t_stop:
                self.drift_to(t_stop)
                self.t = t_stop
                return
            self.drift_to(self.t_next)
            self.t = self.t_next
            self.t_next = math.nan
            j = twin_find(self.top, self.leaves, self.rng.uniform() * total)
            self.event(j, self.t)
            n += 1

    # -- defect dynamics (mgmeso.kmc.defect_kernels) -------------------------------
    def heal(self, idx, sigma, t):
        """Healed sites freeze their unit strains; the series rule turns the SMD plastic."""
        S, c = self.S, self.C.calib
        for j in idx:
            e = int(S["elim"][j])
            if e >= 1:
                b = self.draw(sigma, c.sig_sat_beta)
            else:
                b = int(S["beta"][j])
                self.sums[0] -= b
            frozen = c.d_beta * b
            if e >= 2:
                frozen += c.d_an * self.draw(sigma, c.sig_sat_an)
            elif self.C.rules.series:
                self.annihilate_series(j, t)
            else:
                a = int(S["smd"][j])
                self.sums[1] -= a
                frozen += c.d_an * a
            self.frozen += frozen * c.inv_N
            S["eps_p"][j] = np.float32(float(S["eps_p"][j]) + frozen)
            for name, v in (("kind", 0), ("elim", 0), ("beta", 0), ("smd", 0), ("owner", -1),
                            ("fp_next", -1), ("fp_size", 0), ("leaves", 0.0)):
                S[name][j] = v

    def form(self, idx):
        S = self.S
        for j in idx:
            for name, v in (("kind", 1), ("elim", 0), ("beta", 0), ("smd", 0), ("owner", j),
                            ("fp_next", -1), ("fp_size", 1)):
                S[name][j] = v

    def log_alpha_times(self):
        """ln tau_max_j of every site, from the same formulas as :meth:`rates`."""
        return np.array([self.log_tmax(j) for j in range(len(self.S["kind"]))])

    def log_tmax(self, j):
        """ln tau_max_j: t0 (tau_h/t0)^(1/chi_j) from the hierarchy's beta time tau_h (the
        site's own or its neighbourhood's), never below the site's own beta time.
        """
        S, tm = self.S, self.C.times
        if not self.C.rules.local:
            return tm.log_tmax
        ln_tb = tm.log_tb_mean + float(S["log_tb"][j]) * tm.temp_factor
        ln_th = tm.log_tb_mean + float(S["log_tb_hier"][j]) * tm.temp_factor
        chi = float(S["chi"][j])
        ln_tmax = tm.log_t0 + (ln_th - tm.log_t0) / chi if ln_th > tm.log_t0 else ln_th
        return max(ln_tmax, ln_tb)


class ElasticTwin(TwinEngine):
    """The event algorithm with elastic interactions (mgmeso.kmc.elastic_loop), written out:
    the eigenstrain of every site is recomputed from the unit states at every event and the
    local stress is the dense sum ``sigma + sum_k Kd[j, k] e_k`` (Kd: the propagator between
    every pair of sites plus the uniform shift, zero on the diagonal) plus the plastic
    self-term ``k_plastic (p_j - mean p)`` of the site's own plastic strain (the float32 store
    the engine keeps; ``k_plastic = K(0) N/(N - 1)``).
    """

    def __init__(self, S, C, K, lat, Kd, k_plastic=0.0):
        super().__init__(S, C, K, lat)
        self.Kd = Kd
        self.k_plastic = float(k_plastic)
        self.p64 = np.array(S.eps_p, dtype=np.float64)   # plastic strain, unrounded

    def eigenstrain(self):
        S, c = self.S, self.C.calib
        e = c.d_beta * S["beta"].astype(float) + self.p64
        for m in range(e.size):
            o = int(S["owner"][m])
            if o >= 0:
                e[m] += c.d_an * int(S["smd"][o]) / int(S["fp_size"][o])
        return e

    def local(self, j, sigma):
        p = np.asarray(self.S["eps_p"], dtype=np.float64)
        return (sigma + float(self.Kd[j] @ self.eigenstrain())
                + self.k_plastic * (p[j] - p.mean()))

    def release(self, j, t):
        share = self.C.calib.d_an * int(self.S["smd"][j]) / int(self.S["fp_size"][j])
        for m in self.footprint(j):
            self.p64[m] += share
        super().release(j, t)

    def smd_event(self, j, t, sigma):
        a0, f0 = int(self.S["smd"][j]), int(self.S["fp_size"][j])
        if a0 != 0 and f0 > 1:    # the SMD's own footprint does not bias it
            share = self.C.calib.d_an * a0 / f0
            sigma -= sum(self.Kd[j, m] * share for m in self.footprint(j) if m != j)
        super().smd_event(j, t, sigma)

    def event(self, j, t):
        S, C = self.S, self.C
        r_dyn, r_ann, q, p_grow = self.rates(j)
        sigma = self.local(j, self.stress(t))
        p_ann = float(np.float32(r_ann / (r_dyn + r_ann)))
        if self.rng.uniform() >= p_ann:
            if S["elim"][j] == 0:
                new = self.draw(sigma, C.calib.sig_sat_beta)
                self.sums[0] += new - int(S["beta"][j])
                S["beta"][j] = new
                self.counts[0] += 1
                if self.rng.uniform() < float(np.float32(q)):
                    self.smd_event(j, t, sigma)
            else:
                self.smd_event(j, t, sigma)
        else:
            if C.rules.series:
                if self.annihilate_series(j, t):
                    self.counts[2] += 1
                else:
                    self.counts[4] += 1
            else:
                new = self.draw(sigma, C.calib.sig_sat_p)
                self.sums[2] += new
                S["eps_p"][j] = np.float32(float(S["eps_p"][j]) + C.calib.d_p * new)
                self.p64[j] += C.calib.d_p * new
                self.counts[2] += 1
        self.counts[5] += 1


class ThinTwin(ElasticTwin):
    """Stress-dependent rates by thinning (mgmeso.kmc.elastic_thinning), written out.

    The rates at a stress are [Hao2022] Eqs. 8, 9 carried through the hierarchy
    (docs/kmc_elastic.md 6.10); the bound of every site's |local stress| is recomputed from
    scratch after every event, ``c_j + N_j + G`` with ``N_j`` summed over the sites within the
    stencil radius (dense propagator ``Kd``) and ``G`` over all net changes since the epoch; the
    tree is rebuilt from the leaves at every step, and the leaves whose bound no longer holds
    are raised after every unit's change, as the kernel records them: one-site footprints
    (a change per unit), the mean-field rules or the series rule without footprints. Constants of
    the method (``K_far`` and the far row's 2- and 3-norms, the margin, the
    stencil radius, the capacity of the pending list) come from the kernel's state.
    """

    REL, ABS = 1e-9, 1e-6

    def __init__(self, S, C, K, lat, Kd, k_plastic, TH, capacity, near):
        super().__init__(S, C, K, lat, Kd, k_plastic)
        st = TH.st
        self.k_far, self.kappa, self.M = float(st[5]), float(st[6]), float(st[4])
        self.u_rt, self.sigma1, self.chi_p = float(st[7]), float(st[8]), float(st[9])
        self.eyring = bool(st[11])
        self.c2, self.c3 = float(st[13]), float(st[15])
        self.cap = int(capacity)
        self.near = near                      # bool (N, N): k within the stencil of j
        self.Kabs = np.abs(Kd) * (1.0 + 1e-9) * near
        self.c = np.array(TH.c, dtype=np.float64)      # float32 values, rounded up
        self.head = np.array(TH.head, dtype=np.int64)
        self.quant = self.M / 1024.0
        self.e_ref = self.eigenstrain()                 # built at an epoch start
        self.p_abs = np.zeros(self.c.size)              # sum of |plastic changes| since then
        self._p0 = np.asarray(self.S["eps_p"], dtype=np.float64).copy()
        self.tot2_ref, self.sig_ref = float(st[1]), float(st[2])
        self.t_lim = float(st[3])
        self.pending = 0
        self.n_cand = self.n_null = self.n_epoch = 0

    def rates_at(self, j, sigma):
        S, tm, rules = self.S, self.C.times, self.C.rules
        x = min(abs(sigma) / self.sigma1, 1.0)
        lng = self.u_rt * (1.0 - (1.0 - x) ** 1.5)
        ln_tb = tm.log_tb_mean + float(S["log_tb"][j]) * tm.temp_factor - lng
        if rules.local:
            chi = float(S["chi"][j])
            ln_th = tm.log_tb_mean + float(S["log_tb_hier"][j]) * tm.temp_factor - lng
            ln_tmax = tm.log_t0 + (ln_th - tm.log_t0) / chi if ln_th > tm.log_t0 else ln_th
            ln_tmax = max(ln_tmax, ln_tb)
            ln_tan = math.log(chi) / chi + ln_tmax
        else:
            ln_m = tm.log_tb_mean - lng
            ln_tmax = tm.log_t0 + (ln_m - tm.log_t0) / self.chi_p if ln_m > tm.log_t0 else ln_m
            ln_tan = tm.log_tan + (ln_tmax - tm.log_tmax)
        ln_tan_j = max(ln_tan - float(S["log_S"][j]), ln_tb)
        e = int(S["elim"][j])
        r_ann = math.exp(-ln_tmax)
        if self.eyring:     # forward and backward exp(+-x)/(2 tau_max): cosh(x)/tau_max
            r_ann *= math.cosh(sigma / self.C.calib.sig_sat_p)
        if e == 0:
            return math.exp(-ln_tb), r_ann, math.exp(ln_tb - ln_tan_j)
        if e == 1:
            return math.exp(-ln_tan_j), r_ann, 1.0
        if e == 2:
            return 0.0, r_ann, 0.0
        return 0.0, 0.0, 0.0

    @staticmethod
    def up32(x):
        """A float32 value not below x (the kernel's rounding of c and N)."""
        return float(np.float32(x * (1.0 + 2.5e-7) if x >= 0.0 else x * (1.0 - 2.5e-7)))

    def bound(self, j):
        """The leaf's stress bound: c_j + h_j M/1024 + 1.25 M."""
        return self.c[j] + self.quant * self.head[j] + 1.25 * self.M

    def head_for(self, n):
        return int(math.ceil(n / self.quant)) if n > 0.0 else 0

    def leaf(self, j):
        if self.S["kind"][j] != 1:
            return 0.0
        r_dyn, r_ann, _ = self.rates_at(j, self.bound(j))
        return r_dyn + r_ann

    def retree(self):
        self.top = twin_tree(self.leaves, len(self.top))

    def n_part(self):
        de = np.abs(self.eigenstrain() - self.e_ref)
        return self.Kabs @ de + self.kappa * (1.0 + self.REL) * self.p_abs, float(de.sum())

    def g_part(self, sig_app):
        de = np.abs(self.eigenstrain() - self.e_ref)
        # Hoelder: the least of max|a| sum|De|, ||a||_2 ||De||_2, ||a||_3 ||De||_(3/2)
        far = min(self.k_far * float(de.sum()), self.c2 * math.sqrt(float((de * de).sum())),
                  self.c3 * float((de ** 1.5).sum()) ** (2.0 / 3.0))
        tot2 = float(np.sum(np.asarray(self.S["eps_p"], dtype=np.float64)))
        g = self.kappa * abs(tot2 - self.tot2_ref) / self.S["eps_p"].size
        return far * (1.0 + 4.0 * self.REL) + g * (1.0 + self.REL) + abs(sig_app - self.sig_ref) \
            + self.ABS

    def epoch(self):
        sig_app = self.stress(self.t)
        for j in range(self.c.size):
            self.c[j] = self.up32(abs(self.local(j, sig_app)))
            self.head[j] = 0
            self.leaves[j] = self.leaf(j)
        self.e_ref = self.eigenstrain()
        self.p_abs[:] = 0.0
        self.tot2_ref = float(np.sum(np.asarray(self.S["eps_p"], dtype=np.float64)))
        self.sig_ref = sig_app
        self.pending = 0
        self.n_epoch += 1
        self.retree()

    def run(self, t_stop, max_events):
        n = 0
        while n < max_events:
            total = self.top[1]
            if math.isnan(self.t_next):
                g0 = self.g_part(self.stress(self.t))
                if g0 > self.M:
                    self.epoch()
                    continue
                self.t_lim = math.inf     # stress control without oscillation in these tests
                self.t_next = self.t - math.log(self.rng.uniform_open()) / total
            if self.t_next >= t_stop:
                self.t = t_stop
                return
            self.t, self.t_next = self.t_next, math.nan
            j = twin_find(self.top, self.leaves, self.rng.uniform() * total)
            sig_app = self.stress(self.t)
            sig = self.local(j, sig_app)
            self.n_cand += 1
            r_dyn, r_ann, q = self.rates_at(j, sig)
            leaf = self.leaves[j]
            nj = self.n_part()[0][j]
            self.c[j] = min(self.c[j], self.up32(abs(sig) + nj + self.g_part(sig_app)))
            self.head[j] = self.head_for(nj)
            self.leaves[j] = self.leaf(j)
            self.retree()
            u = self.rng.uniform() * leaf
            n += 1
            if u >= r_ann + r_dyn:
                self.n_null += 1
                continue
            self._e0 = self.eigenstrain()
            self.thinned_event(j, self.t, sig, u < r_ann, q)
            self.retree()
            if self.pending >= self.cap:     # the field's refresh starts an epoch
                self.epoch()

    def changed(self):
        """After each unit's change (as the kernel records them): the pending count and the
        leaves whose bound no longer holds."""
        e = self.eigenstrain()
        self.pending += int(np.count_nonzero(e != self._e0))
        self._e0 = e
        p = np.asarray(self.S["eps_p"], dtype=np.float64)
        self.p_abs += np.abs(p - self._p0)
        self._p0 = p.copy()
        nall = self.n_part()[0]
        raise_ = (nall > self.quant * self.head + 0.25 * self.M) & (self.S["kind"] == 1)
        for m in np.flatnonzero(raise_):
            self.head[m] = self.head_for(nall[m])
            self.leaves[m] = self.leaf(m)

    def thinned_event(self, j, t, sigma, ann, q):
        S, C = self.S, self.C
        if not ann:
            if S["elim"][j] == 0:
                new = self.draw(sigma, C.calib.sig_sat_beta)
                self.sums[0] += new - int(S["beta"][j])
                S["beta"][j] = new
                self.counts[0] += 1
                self.changed()
                if self.rng.uniform() < q:
                    self.smd_event(j, t, sigma)
                    self.changed()
            else:
                self.smd_event(j, t, sigma)
                self.changed()
        elif C.rules.series:
            if self.annihilate_series(j, t):
                self.counts[2] += 1
            else:
                self.counts[4] += 1
            self.changed()
        else:
            new = self.draw(sigma, C.calib.sig_sat_p)
            self.sums[2] += new
            S["eps_p"][j] = np.float32(float(S["eps_p"][j]) + C.calib.d_p * new)
            self.p64[j] += C.calib.d_p * new
            self.counts[2] += 1
            self.changed()
        self.counts[5] += 1
