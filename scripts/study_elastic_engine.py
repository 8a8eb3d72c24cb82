"""The engine with elastic interactions on a shipped config: cost, field, tau_beta(sigma).

Runs the first replica of a config (with ``[simulation] elastic_interactions = true`` forced on,
and once off) for a number of events after the first segment started, and prints

* ns per event with and without interactions, and the field refreshes (the real event stream
  of that config: its rates, its footprints, its eliminated units);
* the local stress over the sites at the end (fresh FFT): its mean against the applied stress,
  its RMS deviation (the interaction stress), its extremes;
* the size of the neglected stress dependence of tau_beta ([Hao2022] Eq. 8): the factor
  ``exp(U_beta (1 - (1 - |sigma|/sigma1)^(3/2)) / (R T))`` by which the beta rate of a site
  would change at its local stress, against the same factor at the applied stress.

    python scripts/study_elastic_engine.py configs/la60_kmc_creep_430K_elastic.toml --events 2e6
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from mgmeso.config import load_config
from mgmeso.config.overrides import parse_set
from mgmeso.kmc.replica import Replica
from mgmeso.kmc.setup import make_setup

R_GAS = 8.314462618


def run(cfg_path: str, elastic: bool, n_events: int, extra: list[str]):
    sets = [parse_set(f"simulation.elastic_interactions={'true' if elastic else 'false'}")]
    sets += [parse_set(e) for e in extra]
    cfg = load_config(cfg_path, sets)
    setup = make_setup(cfg)
    rep = Replica(setup, 0, np.random.SeedSequence(cfg.simulation.seed).spawn(1)[0])
    rep._begin_segment()
    rep.run_kernel(rep.control(math.inf, 20_000))        # JIT warm-up and start-up transient
    t0 = time.perf_counter()
    c0 = int(rep.K.counts[5])
    r0 = rep.field.n_refresh if rep.field else 0
    rep.run_kernel(rep.control(math.inf, n_events))
    dt = time.perf_counter() - t0
    n = int(rep.K.counts[5]) - c0
    return rep, dt / n * 1e9, (rep.field.n_refresh - r0) if rep.field else 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config")
    ap.add_argument("--events", type=float, default=1e6)
    ap.add_argument("--set", action="append", default=[], help="extra KEY=VALUE overrides")
    args = ap.parse_args()
    n = int(args.events)
    off, ns_off, _ = run(args.config, False, n, args.set)
    on, ns_on, nref = run(args.config, True, n, args.set)
    print(f"{args.config}: N = {on.N}, {n} events after 2e4 of warm-up")
    print(f"  ns/event without interactions {ns_off:.0f}, with {ns_on:.0f} "
          f"({ns_off / ns_on * 100:.0f} % of the rate without); {nref} refreshes "
          f"({nref / n * 1e6:.1f} per 1e6 events)")
    sig, _ = on._macro(on.t)
    loc = on.field.local_stress(sig)
    dev = loc - sig
    print(f"  applied stress {sig:.3f} MPa; mean local stress {loc.mean():.6f} MPa; "
          f"interaction RMS {dev.std():.2f} MPa, range {dev.min():.1f} .. {dev.max():.1f} MPa")
    q = on.S.kind == 1
    dyn = q & (on.S.elim == 0)
    print(f"  QPD sites {int(q.sum())}, dynamic beta units {int(dyn.sum())}; interaction RMS "
          f"at QPD sites {dev[q].std():.2f} MPa")
    mat = on.setup.material
    T = on.T

    def log_rate_gain(s):
        x = np.clip(1.0 - np.abs(s) / mat.sigma1_MPa, 0.0, None)
        return mat.U_beta_J_per_mol * (1.0 - x ** 1.5) / (R_GAS * T)

    g_loc, g_app = log_rate_gain(loc[q]), float(log_rate_gain(np.array([sig]))[0])
    print(f"  tau_beta(sigma) neglected: ln(rate gain) at the applied stress {g_app:.4f}; at the "
          f"local stresses mean {g_loc.mean():.4f}, RMS about it {g_loc.std():.4f}, max "
          f"{g_loc.max():.4f} (rate x {math.exp(g_loc.max()):.3f})")


if __name__ == "__main__":
    main()
