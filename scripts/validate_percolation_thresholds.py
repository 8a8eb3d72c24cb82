"""Site-percolation thresholds of the five lattices against the literature.

    python scripts/validate_percolation_thresholds.py [--out validation/percolation_thresholds]

Runs the same estimates as the slow test ``test_all_thresholds_match_literature``
(seed 7) and writes ``thresholds.csv``: lattice, sizes, samples, estimate, error
(bootstrap and finite-size drift in quadrature), literature value and source,
deviation in errors. About 8 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mgmeso.io.table import Table
from mgmeso.percolation.threshold import estimate_threshold, literature_threshold

CASES = [("square", (32, 64, 128), 2000), ("triangular", (32, 64, 128), 2000),
         ("sc", (16, 32, 64), 1000), ("bcc", (16, 32, 48), 1000), ("fcc", (12, 24, 36), 1000)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="validation/percolation_thresholds")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rows = {k: [] for k in ("lattice", "sizes", "samples", "p_c", "error", "statistical_error",
                            "finite_size_drift", "literature", "deviation_in_errors", "source")}
    for name, sizes, samples in CASES:
        est = estimate_threshold(name, sizes, samples, seed=args.seed, bootstrap=100)
        lit = literature_threshold(name)
        ref, src = lit.p_c, lit.source
        for k, v in (("lattice", name), ("sizes", "/".join(map(str, sizes))), ("samples", samples),
                     ("p_c", est.p_c), ("error", est.error), ("statistical_error", est.stat_err),
                     ("finite_size_drift", est.sys_err), ("literature", ref),
                     ("deviation_in_errors", est.deviation_sigma()), ("source", src.replace(",", ";"))):
            rows[k].append(v)
        print(f"{name:10s} {est.p_c:.5f} +/- {est.error:.5f}  literature {ref:.7f}  "
              f"({est.deviation_sigma():+.2f} errors)", flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    Table({k: np.array(v) for k, v in rows.items()}).to_csv(out / "thresholds.csv")
    print(f"wrote {out / 'thresholds.csv'}")


if __name__ == "__main__":
    main()
