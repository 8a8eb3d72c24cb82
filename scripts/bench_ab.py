"""Before/after of the kMC event loop in ONE process: ``run_until`` of a base commit against
this tree's, on copies of the same replica, interleaved (ratios survive a loaded machine).

    python scripts/bench_ab.py [--base COMMIT] [--config mesoscale] [--sizes 16,64,128]
                               [--events 2000000] [--repeats 3]

The base commit's ``mgmeso`` package is extracted with ``git archive`` into a temporary
directory as ``mgmeso_base`` (the kernel modules import each other relatively). Both kernels
run the same events from the same state after the start-up transient of ``bench_kmc.py``;
the final states must be identical (the optimisation is exactly equivalent), then the
median CPU-time events/s of each and their ratio are printed.
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import bench_kmc as bk  # noqa: E402

from mgmeso.kmc import kernels as new  # noqa: E402


def base_kernels(commit: str, tmp: Path):
    tar = tmp / "base.tar"
    subprocess.run(["git", "archive", "-o", str(tar), commit, "mgmeso"], cwd=ROOT, check=True)
    with tarfile.open(tar) as t:
        t.extractall(tmp, filter="data")
    (tmp / "mgmeso").rename(tmp / "mgmeso_base")
    sys.path.insert(0, str(tmp))
    from mgmeso_base.kmc import kernels as old
    return old


def clone(rep):
    return (type(rep.S)(*[a.copy() for a in rep.S]), type(rep.K)(*[a.copy() for a in rep.K]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="14c63c9")
    ap.add_argument("--config", default="mesoscale", choices=tuple(bk.CONFIGS))
    ap.add_argument("--sizes", default="16,32,64,128")
    ap.add_argument("--events", type=int, default=2_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = base_kernels(a.base, Path(tmp))
        fns = {"base": old.run_until, "new": new.run_until}
        for L in (int(x) for x in a.sizes.split(",")):
            rep = bk.replica(L, a.config)
            bk.measure(rep, max(100_000, 20 * rep.n_qpd))        # start-up transient
            C = rep.control(math.inf, a.events)
            states = {k: clone(rep) for k in fns}
            for f in fns.values():                               # compile or load, not timed
                S, K = clone(rep)
                f(S, rep.control(math.inf, 1000), K)
            t = {k: [] for k in fns}
            for r in range(a.repeats):
                for k in (("base", "new") if r % 2 == 0 else ("new", "base")):
                    S, K = states[k]
                    c0 = time.process_time()
                    fns[k](S, C, K)
                    t[k].append(time.process_time() - c0)
            same = all(np.array_equal(x, y, equal_nan=True)
                       for g in (0, 1) for x, y in zip(states["base"][g], states["new"][g]))
            rb, rn = a.events / np.median(t["base"]), a.events / np.median(t["new"])
            print(f"{a.config:<10} L={L:<4} base {rb:.3g} ev/s  new {rn:.3g} ev/s  "
                  f"new/base {rn / rb:.2f}  identical final state after {a.repeats}x{a.events} "
                  f"events: {same}  ({bk.load()})", flush=True)


if __name__ == "__main__":
    main()
