"""The plastic restoring force and the stress-free reference (docs/kmc_elastic.md section 6.9).

Runs the replicas of a creep config with and without elastic interactions (same seeds, so the
differences are paired) and prints, at the end of creep, the beta, anelastic, plastic and total
strains (the protocol's lower-noise estimators), their interacting / non-interacting ratio with
the paired standard error, and the local-stress RMS over the sites sampled along the run (its
drift: the first against the last quarter of the samples; its largest value).

``--reference initial`` makes the two-state eigenstrains relative to the states at the (re)build
(the as-prepared configuration stress-free: candidate (b) of section 6.9); the default
``--reference unbiased`` keeps ``d s`` (relative to the unbiased mean ``<s> = 0``).

    python scripts/study_elastic_restoring.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 16 --set protocol.recovery_time_s=1
    python scripts/study_elastic_restoring.py configs/la60_kmc_creep_430K_elastic.toml \
        --replicas 4 --set protocol.temperature_K=490 --set protocol.stress_MPa=200 \
        --set protocol.recovery_time_s=1 --only-on
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from mgmeso.config import load_config
from mgmeso.config.overrides import parse_set
from mgmeso.kmc import elastic_replica
from mgmeso.kmc.ensemble import _seeds
from mgmeso.kmc.observables import TS_INDEX
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

COLS = ("strain_beta_expected", "strain_anelastic_expected", "strain_plastic", "strain_expected")


def _initial_reference(S, calib):
    """Eigenstrain with the two-state parts relative to the states now: the plastic part only."""
    return S.eps_p.astype(np.float64)


def run_replica(cfg, r, elastic, every):
    setup = make_setup(cfg)
    rep = Replica(setup, 0, _seeds(setup)[0][r])      # the ensemble's replica r
    rms, peak, pstd, where = [], [], [], []
    t_creep = float(cfg.protocol.creep_time_s)
    lngain = [np.nan, np.nan, np.nan]
    calls = [0]

    def probe(rp):
        calls[0] += 1
        if rp.field is None or calls[0] % every or rp.t > t_creep:
            return        # probes during creep only
        sig, _ = rp._macro(rp.t)
        dev = rp.field.local_stress(sig) - sig
        rms.append(float(dev.std()))
        q = rp.S.kind == 1     # tau_beta(sigma) of [Hao2022] Eq. 8 at the local stresses (not applied)
        mat = rp.setup.material

        def gain(x):
            u = np.clip(1.0 - np.abs(x) / mat.sigma1_MPa, 0.0, None)
            return mat.U_beta_J_per_mol * (1.0 - u ** 1.5) / (8.314462618 * rp.T)
        g = gain(dev[q] + sig)
        lngain[:] = [float(g.mean()), float(g.std()), float(gain(np.array([sig]))[0])]
        peak.append(float(np.abs(dev).max()))
        pstd.append(float(rp.S.eps_p.std()))
        # where the stress deviates: QPD sites (a unit of their own, whose bias reacts to it)
        # against matrix sites (recruited into footprints only), and the plastic strain there
        S = rp.S
        qpd = S.kind == 1
        k = int(np.argmax(np.abs(dev)))
        where.append((float(np.sqrt(np.mean(dev[qpd] ** 2))),
                      float(np.sqrt(np.mean(dev[~qpd] ** 2))) if (~qpd).any() else np.nan,
                      float(qpd[k]), float(S.eps_p[k]),
                      float(np.abs(S.eps_p[qpd]).max()),
                      float(np.abs(S.eps_p[~qpd]).max()) if (~qpd).any() else np.nan))

    rep.run(on_chunk=probe)
    tab = rep.table()
    t = tab[:, TS_INDEX["time_s"]]
    i = int(np.argmin(np.abs(t - t_creep)))
    vals = np.array([tab[i, TS_INDEX[c]] for c in COLS])
    return (vals, np.array(rms), np.array(peak), np.array(pstd), int(rep.K.counts[5]), lngain,
            np.array(where))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--replicas", type=int, default=16)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--reference", choices=("unbiased", "initial"), default="unbiased")
    ap.add_argument("--only-on", action="store_true", help="skip the non-interacting runs")
    ap.add_argument("--only-off", action="store_true", help="skip the interacting runs")
    ap.add_argument("--probe-every", type=int, default=1, help="kernel calls between probes")
    ap.add_argument("--mu-scale", type=float, default=1.0,
                    help="scale the propagator's shear modulus (the interaction strength): a "
                         "deviation of order K^2 falls as its square")
    ap.add_argument("--beta-rate-factor", type=float, default=1.0,
                    help="multiply every beta rate (tau_beta0_s divided by it): the size of a "
                         "uniform tau_beta(sigma) factor (docs/kmc_elastic.md section 6.4)")
    args = ap.parse_args()
    if args.mu_scale != 1.0:
        E_to_mu = elastic_replica.shear_modulus_MPa
        elastic_replica.shear_modulus_MPa = lambda E, nu: args.mu_scale * E_to_mu(E, nu)
    if args.reference == "initial":
        elastic_replica.eigenstrain_of_state = _initial_reference
    sets = [parse_set(s) for s in args.set] + [parse_set(f"simulation.replicas={args.replicas}")]
    res = {}
    for on in [True] if args.only_on else [False] if args.only_off else [False, True]:
        cfg = load_config(args.config, sets + [parse_set(
            f"simulation.elastic_interactions={'true' if on else 'false'}")])
        if args.beta_rate_factor != 1.0:
            mat = cfg.material
            cfg = dataclasses.replace(cfg, material=dataclasses.replace(
                mat, tau_beta0_s=mat.tau_beta0_s / args.beta_rate_factor))
        t0 = time.process_time()
        out = [run_replica(cfg, r, on, args.probe_every) for r in range(args.replicas)]
        res[on] = out
        v = np.array([o[0] for o in out])
        ev = sum(o[4] for o in out)
        print(f"interactions {'on ' if on else 'off'}: {ev} events, {time.process_time() - t0:.0f} s CPU")
        for k, c in enumerate(COLS):
            print(f"  {c:28s} {v[:, k].mean():.4e} +- {v[:, k].std(ddof=1) / np.sqrt(len(v)):.1e}")
        if on:
            rms = [o[1] for o in out if o[1].size]
            if rms:
                q4 = [np.array_split(x, 4) for x in rms if x.size >= 4]
                a, b = np.mean([x[2].mean() for x in q4]), np.mean([x[3].mean() for x in q4])
                pk = max(o[2].max() for o in out if o[2].size)
                ps = np.mean([o[3][-1] for o in out if o[3].size])
                g = np.array([o[5] for o in out])
                print(f"  tau_beta(sigma), ln(beta-rate gain) at the end over the QPD sites: mean "
                      f"{g[:, 0].mean():.4f}, RMS {g[:, 1].mean():.4f}; at the applied stress "
                      f"{g[:, 2].mean():.4f}")
                print(f"  local-stress RMS: third quarter of the probes {a:.1f} MPa, last "
                      f"quarter {b:.1f} MPa "
                      f"(drift {100 * (b / a - 1):+.1f} %), largest |deviation| {pk:.0f} MPa, "
                      f"site plastic strain std at the end {ps:.2e}")
                w = [o[6] for o in out if o[6].size]
                last = np.array([x[-max(1, len(x) // 4):].mean(axis=0) for x in w]).mean(axis=0)
                print(f"  last quarter of the probes: deviation RMS on QPD sites {last[0]:.1f} MPa, "
                      f"on matrix sites {last[1]:.1f} MPa; largest deviation on a QPD site in "
                      f"{100 * last[2]:.0f} % of the probes; largest |plastic strain| on QPD "
                      f"sites {last[4]:.2e}, on matrix sites {last[5]:.2e}")
    if not (args.only_on or args.only_off):
        off = np.array([o[0] for o in res[False]])
        on = np.array([o[0] for o in res[True]])
        n = len(on)
        print("interacting / non-interacting at the end of creep (paired differences):")
        for k, c in enumerate(COLS):
            d = on[:, k] - off[:, k]
            m = off[:, k].mean()
            se = d.std(ddof=1) / np.sqrt(n)
            print(f"  {c:28s} ratio {on[:, k].mean() / m:.3f}; difference {d.mean():+.3e} "
                  f"+- {se:.1e} ({d.mean() / se if se > 0 else 0:+.1f} SE, "
                  f"{100 * d.mean() / m:+.1f} %)")


if __name__ == "__main__":
    main()
