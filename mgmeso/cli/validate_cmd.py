"""``mgmeso validate [--quick | --full] [--case NAME ...] [--jobs N] [--out DIR] [--overwrite]``.

Runs the validation cases (closed forms, the mean-field model, the papers' numbers)
and writes ``DIR/report.md`` and a self-contained ``DIR/report.html``. Exit code 0
when no check fails, 1 when one does, 2 on a user error.
"""

from __future__ import annotations

import shlex
import time
from pathlib import Path

from ..errors import UserError


def register(sub) -> None:
    """Add the ``validate`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("validate", help="run the validation suite and write its report")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="mode", action="store_const", const="quick",
                      help="small settings, about a minute on 2 cores (the default; used in CI)")
    mode.add_argument("--full", dest="mode", action="store_const", const="full",
                      help="release settings (larger samples and grids)")
    p.add_argument("--case", nargs="+", metavar="NAME", help="run only these cases")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="parallel worker processes (default 1)")
    p.add_argument("--out", metavar="DIR", default="out/validate",
                   help="report directory (default out/validate)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing report")
    p.set_defaults(func=run, mode="quick")


def _progress(res, done, total):
    print(f"[{done}/{total}] {res.name}: {res.status} ({res.seconds:.1f} s)", flush=True)


def run(args) -> int:
    """Run the validation cases and write the report (or list the cases).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 no check failed, 1 one did.
    """
    from ..io.files import check_writable
    from ..validation import select_cases
    from ..validation.report import provenance, report_paths, write_report
    from ..validation.runner import run_cases

    cases = select_cases(args.case)
    if args.list:
        for c in cases:
            extra = f" [not run: {c.placeholder}]" if c.placeholder else ""
            print(f"{c.name:34s} {c.group}: {c.title}{extra}")
        return 0
    if not 1 <= args.jobs <= 256:
        raise UserError(f"--jobs {args.jobs}: must be between 1 and 256 worker processes")
    out = Path(args.out)
    check_writable(report_paths(out, [c.name for c in cases]), args.overwrite)
    parts = ["mgmeso", "validate", f"--{args.mode}"] + (["--case", *args.case] if args.case else []) \
        + ["--jobs", str(args.jobs), "--out", str(out)] + (["--overwrite"] if args.overwrite else [])
    command = " ".join(shlex.quote(a) for a in parts)
    t0 = time.perf_counter()
    results = run_cases(cases, args.mode, args.jobs, _progress)
    wall = time.perf_counter() - t0
    written = write_report(results, out, provenance(command, args.mode), wall, args.overwrite)
    n_fail = sum(r.status == "fail" for r in results)
    print(f"{len(results)} cases in {wall:.1f} s: " + ", ".join(
        f"{sum(r.status == s for r in results)} {s}" for s in dict.fromkeys(r.status for r in results)))
    for p in written:
        if p.suffix != ".png":
            print(f"wrote {p}")
    return 1 if n_fail else 0
