"""Measure how much of the numba kernels the twin tests execute.

Compiled kernels are invisible to ``coverage``, so the twin tests are run with
``NUMBA_DISABLE_JIT=1``: every ``@njit`` function then runs as plain Python and its lines are
counted. The kernel modules are found, not listed: every module of ``mgmeso/`` that contains
an ``@njit`` decorator. The report (per module, with the missing lines) and the total are
printed; there is no threshold.

Under ``NUMBA_DISABLE_JIT=1`` a few bit-for-bit twin comparisons differ in the last digits
(numpy promotes float32 scalars differently from numba), so failing tests are named but do
not fail this script: the compiled run of the same tests, in the default suite, is the guard.
The script fails (exit 1) only when the tests could not run (collection error, no data).

Usage (from the repository root)::

    python scripts/kernel_coverage.py [--tests FILE ...] [-k EXPRESSION] [--keep DIR]

This is the command ``.ci/run`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

#: the tests that pin the kernels to their Python twins (and run the kernels they call)
TWIN_TESTS = [
    "tests/test_kmc_kernels.py",
    "tests/test_kmc_defects.py",
    "tests/test_elastic_bias.py",
    "tests/test_elastic_field.py",
    "tests/test_elastic_propagator.py",
    "tests/test_percolation.py",
    "tests/test_validate_kernels.py",
]

#: the twin comparisons of those files (their other tests run whole replicas: hours in Python)
TWIN_SELECTION = ("(twin or match or equal) and not after_1e5_events"
                  " and not threshold_matches_literature")

NJIT = re.compile(r"^\s*@(?:numba\.|nb\.)?njit\b", re.M)


def kernel_modules(root: Path = Path("mgmeso")) -> list[str]:
    """List the modules of the package that define numba kernels.

    Parameters
    ----------
    root : Path, optional
        Package directory to search.

    Returns
    -------
    list of str
        Paths (POSIX, relative to the working directory) of the modules with an ``@njit``.
    """
    return sorted(p.as_posix() for p in root.rglob("*.py") if NJIT.search(p.read_text()))


def main(argv: list[str] | None = None) -> int:
    """Run the twin tests without JIT under coverage and print the kernels' coverage.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the tests ran (whatever their outcome), 1 when there is nothing to report.
    """
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", nargs="+", default=TWIN_TESTS, help="test files to run")
    ap.add_argument("-k", dest="select", default=TWIN_SELECTION,
                    help="pytest -k expression (default: the twin comparisons)")
    ap.add_argument("--keep", type=Path, help="keep the coverage data (and an HTML report) here")
    args = ap.parse_args(argv)
    modules = kernel_modules()
    include = ",".join(modules)
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        data = str(out / ".coverage")
        env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONUNBUFFERED="1")
        env["PYTHONPATH"] = os.pathsep.join([os.getcwd()] + [p for p in
                                            env.get("PYTHONPATH", "").split(os.pathsep) if p])
        # --source (not --include): a kernel module no test imports is reported at 0 %;
        # -n 0: in one process (coverage does not follow xdist workers)
        cmd = [sys.executable, "-m", "coverage", "run", f"--data-file={data}", "--source=mgmeso",
               "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", "-W", "ignore::RuntimeWarning",
               "--tb=line", "--durations=5", "-o", "faulthandler_timeout=600",
               "-k", args.select, *args.tests]
        lines = []
        with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:      # shown as it comes: the run takes minutes
                print(line, end="", flush=True)
                lines.append(line.rstrip("\n"))
        # pytest: 0 all passed, 1 some failed; anything else means the tests did not run
        failed = [ln.split()[1] for ln in lines if ln.startswith("FAILED ")]
        print(f"twin tests without JIT: {lines[-1] if lines else '(no output)'}")
        if proc.returncode not in (0, 1) or not Path(data).is_file():
            print("kernel coverage: the tests did not run", file=sys.stderr)
            return 1
        for f in failed:
            print(f"  differs without JIT (not counted as a failure here): {f}")
        sys.stdout.flush()  # before the report, which coverage writes itself
        cov = [sys.executable, "-m", "coverage"]
        subprocess.run(cov + ["report", f"--data-file={data}", f"--include={include}",
                              "--show-missing"], check=True)
        js = out / "coverage.json"
        subprocess.run(cov + ["json", f"--data-file={data}", f"--include={include}", "-q",
                              "-o", str(js)], check=True)
        totals = json.loads(js.read_text())["totals"]
        if args.keep:
            subprocess.run(cov + ["html", f"--data-file={data}", f"--include={include}", "-q",
                                  "-d", str(out / "html")], check=True)
    print(f"kernel coverage: {totals['percent_covered']:.1f} % of {totals['num_statements']} "
          f"statements in {len(modules)} kernel modules ({totals['missing_lines']} not run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
