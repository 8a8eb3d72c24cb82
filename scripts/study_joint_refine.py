"""Refine the joint study: minimise the two-step margin with every other target a hard constraint.

    python scripts/study_joint_refine.py [--starts N] [--maxiter M]

COBYLA from the optimum of ``study_joint_fit.py`` (``validation/hao_joint_fit/study.json``)
and from analytically motivated starts (high chi_g with a t0 of 1e-13..1e-12 s, which weakens
the temperature dependence of the alpha time below Tg). Writes ``refine.json`` there.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from mgmeso.config import load_material
from mgmeso.validation import joint

OUT = Path(__file__).resolve().parents[1] / "validation" / "hao_joint_fit"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--maxiter", type=int, default=300)
    ap.add_argument("--start-from", help="a previous refine.json whose feasible optima are also starts")
    ap.add_argument("--log10-A-an-min", type=float, help="raise the lower bound of log10 A_an (e.g. -5.5: "
                    "an anelastic strength of at least 0.1 J_el, visible in [Hao2022] Fig. 10b)")
    ap.add_argument("--out", default="refine.json", help="file name in validation/hao_joint_fit/")
    args = ap.parse_args()
    base = load_material("la60ni15al25")[0]
    if args.log10_A_an_min is not None:
        joint.BOUNDS["log10_A_an_per_MPa"] = (args.log10_A_an_min, joint.BOUNDS["log10_A_an_per_MPa"][1])
    names = tuple(joint.BOUNDS)
    prob = joint.ConstrainedProblem(base, names)
    de = json.loads((OUT / "study.json").read_text())["x"]
    starts = {} if args.log10_A_an_min is not None else {"DE optimum": [de[n] for n in names]}
    if args.start_from and Path(args.start_from).is_file():
        prev = json.loads(Path(args.start_from).read_text())["runs"]
        for r in prev:
            if r["feasible"]:
                x = [r["x"][n] for n in names]
                if args.log10_A_an_min is not None:
                    x[names.index("log10_A_an_per_MPa")] = max(x[names.index("log10_A_an_per_MPa")],
                                                               args.log10_A_an_min)
                starts[f"previous refinement ({r['start']})"] = x
    for chi, lt0, laan in (() if args.log10_A_an_min is not None else
                            ((0.75, -12.5, -5.0), (0.85, -13.5, -5.3), (0.65, -11.0, -4.7),
                             (0.95, -13.9, -5.6))):
        starts[f"chi_g {chi}"] = [82.0, np.log10(1.86e-13) + 0.3, 1.2, 33000.0, 0.945, laan, chi,
                                  0.002, lt0]
    lo = np.array([joint.BOUNDS[n][0] for n in names])
    hi = np.array([joint.BOUNDS[n][1] for n in names])

    def to_x(u):          # the optimiser works on [0, 1]^9, so one step size fits all parameters
        return lo + np.asarray(u) * (hi - lo)

    results = []
    t_all = time.perf_counter()
    for label, x0 in starts.items():
        t0 = time.perf_counter()
        n0 = prob.evaluations
        u0 = (np.array(x0) - lo) / (hi - lo)
        res = minimize(lambda u: prob.margin(to_x(u)), u0, method="COBYLA",
                       constraints=[{"type": "ineq", "fun": lambda u: prob.constraints(to_x(u))}],
                       options={"maxiter": args.maxiter, "rhobeg": 0.08, "tol": 1e-5})
        res.x = to_x(res.x)
        g = prob.constraints(res.x)
        vals = prob.values(res.x)
        row = {"start": label, "x0": dict(zip(names, map(float, x0))),
               "x": dict(zip(names, map(float, res.x))),
               "margin": prob.margin(res.x), "feasible": bool(np.all(g >= -1e-6)),
               "worst_constraint": float(g.min()), "targets": vals,
               "evaluations": prob.evaluations - n0, "wall_s": time.perf_counter() - t0}
        results.append(row)
        print(f"{label}: margin {row['margin']:.3f}, feasible {row['feasible']} (worst {g.min():.3f}), "
              f"{row['evaluations']} evaluations, {row['wall_s']:.0f} s", flush=True)
        (OUT / args.out).write_text(json.dumps({"runs": results, "bounds": joint.BOUNDS,
                                                "wall_s": time.perf_counter() - t_all},
                                               indent=2, default=float) + "\n")


if __name__ == "__main__":
    main()
