"""Deviation of the kMC rules from the mean-field QPD model, against temperature.

A thin wrapper now: the study is configs/sweeps/kmc_deviation.toml (four kMC configurations x
four temperatures, creep 25 MPa for 330 s and 1000 s of recovery, sc L = 12, 16 replicas),
run through ``mgmeso sweep`` and collected by the registered ``kmc_deviation`` analysis into
``DIR/deviation.csv`` and ``DIR/deviation.png``:

    python scripts/validate_kmc_deviation.py [--out DIR] [--workers N] [--resume]

which is the same as

    mgmeso sweep configs/sweeps/kmc_deviation.toml --out DIR/deviation.zarr
    mgmeso sweep --collect DIR/deviation.zarr --out DIR

To change the lattice, replicas or temperatures, copy the SWEEP.toml and edit it. Default
``--out``: out/kmc_deviation (the committed results are in validation/kmc_deviation/).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mgmeso.cli import main as mgmeso

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("out") / "kmc_deviation")
    ap.add_argument("--workers", type=int)
    ap.add_argument("--resume", action="store_true")
    args = ap.parse_args()
    store = args.out / "deviation.zarr"
    cmd = ["sweep", str(ROOT / "configs" / "sweeps" / "kmc_deviation.toml"), "--out", str(store)]
    if args.workers:
        cmd += ["--workers", str(args.workers)]
    if args.resume or store.exists():
        cmd.append("--resume")
    code = mgmeso(cmd)
    if code == 0:
        code = mgmeso(["sweep", "--collect", str(store), "--out", str(args.out), "--overwrite"])
    raise SystemExit(code)


if __name__ == "__main__":
    main()
