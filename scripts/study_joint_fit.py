"""Joint fit of the QPD parameters to the numbers of [Hao2022] and [Hao2023] at once.

    python scripts/study_joint_fit.py [--maxiter N] [--popsize P] [--seed S] [--no-two-step]

Minimises :func:`mgmeso.validation.joint.objective` (squared violations of every target in
units of its tolerance, plus the two-step margin in decades) by differential evolution
within the physical bounds of ``mgmeso.validation.joint.BOUNDS``, and writes
``validation/hao_joint_fit/study[_no_two_step].json`` (optimum, every target's value and
violation, the convergence history, the wall time). With ``--no-two-step`` the two-step
target is left out, to see whether the other targets can be met together.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import differential_evolution

from mgmeso.config import load_material
from mgmeso.validation import joint

OUT = Path(__file__).resolve().parents[1] / "validation" / "hao_joint_fit"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--maxiter", type=int, default=40)
    ap.add_argument("--popsize", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2028)
    ap.add_argument("--no-two-step", action="store_true")
    args = ap.parse_args()
    base = load_material("la60ni15al25")[0]
    names = tuple(joint.BOUNDS)
    bounds = [joint.BOUNDS[n] for n in names]
    history = []
    t0 = time.perf_counter()

    def f(x):
        if args.no_two_step:
            with np.errstate(all="ignore"):
                try:
                    vals = joint.evaluate_targets(joint.material_from(base, dict(zip(names, x))),
                                                  with_two_step=False)
                except (ValueError, FloatingPointError, RuntimeError):
                    return 1e6
            return float(sum(v**2 for v in joint.violations(vals).values()))
        return joint.objective(x, base, names)

    def cb(xk, convergence=None):
        history.append({"t_s": time.perf_counter() - t0, "best": float(f(xk)),
                        "x": dict(zip(names, map(float, xk)))})
        print(f"gen {len(history)}: best {history[-1]['best']:.4g} ({history[-1]['t_s']:.0f} s)",
              flush=True)

    # start from Table 1 among the population
    x_t1 = [83.12, np.log10(1.86e-13), 1.0, 33000.0, 30600.0 / 33000.0, np.log10(1.5e-5), 0.4,
            0.00231, np.log10(6e-7)]
    rng = np.random.default_rng(args.seed)
    n_pop = args.popsize * len(names)
    init = np.array([[rng.uniform(a, b) for a, b in bounds] for _ in range(n_pop)])
    init[0] = x_t1
    res = differential_evolution(f, bounds, init=init, maxiter=args.maxiter, seed=args.seed,
                                 polish=False, tol=1e-4, callback=cb, updating="immediate")
    x = dict(zip(names, map(float, res.x)))
    mat = joint.material_from(base, x)
    vals = joint.evaluate_targets(mat, with_two_step=True)
    doc = {"objective": float(res.fun), "x": x, "targets": vals, "violations": joint.violations(vals),
           "nfev": int(res.nfev), "wall_s": time.perf_counter() - t0, "message": str(res.message),
           "bounds": joint.BOUNDS, "two_step_included": not args.no_two_step, "history": history,
           "seed": args.seed, "popsize": args.popsize, "maxiter": args.maxiter}
    OUT.mkdir(parents=True, exist_ok=True)
    name = "study_no_two_step.json" if args.no_two_step else "study.json"
    (OUT / name).write_text(json.dumps(doc, indent=2, default=float) + "\n")
    print(json.dumps({k: doc[k] for k in ("objective", "x", "targets", "violations", "nfev", "wall_s")},
                     indent=2, default=float))


if __name__ == "__main__":
    main()
