"""Run every bench after JIT warm-up and write docs/performance.md (the performance record).

    python scripts/bench_all.py [--quick] [--only SECTIONS] [--skip SECTIONS]
                                [--results DIR] [--out docs/performance.md] [--timeout S]

Sections (each a subprocess of the scripts below or of ``mgmeso run``, so that each starts
as a user's command does; each bench warms its JIT code up before it times anything):

* ``theory``: ``bench_theory.py`` (1000-temperature DMA scan);
* ``kmc``: ``bench_kmc.py`` on sc 16^3 .. 128^3, both configurations (events/s, CPU events/s,
  the start-up transient, bytes per site, fitted growth of ns/event against log2 N);
* ``dma``: ``bench_dma.py`` (a kMC isochronal DMA scan);
* ``percolation``: ``bench_percolation.py`` (labelling against ``scipy.ndimage.label``);
* ``fit``: ``bench_fit.py``;
* ``sweep``: ``bench_sweep.py`` (1 and 2 local Dask workers);
* ``compile``: the first ``mgmeso run`` of a small config with an empty numba cache, and the
  same run with the cache warm (the difference is compilation);
* ``configs``: wall and CPU time of every shipped config under ``configs/`` with its
  defaults: ``mgmeso run`` for the kMC ones, ``mgmeso theory`` for the others (each stopped
  after ``--timeout`` seconds, and then reported as such), with the load average and the
  threads a run uses (min(replicas x cases, CPUs)), so that on a shared machine CPU time /
  threads estimates the wall time of a quiet one (a lower bound: the Python layer of the
  threads shares one interpreter lock, only the event loop runs in parallel).

Each section's result (command, output, wall time, load average before and after, date) is
kept as JSON in ``--results`` (default ``~/.cache/mgmeso/bench``), so sections can be run
at different times (``--only configs``); the page is written from every result present,
and a section without a result is written as "not measured in this run". ``--quick`` uses
smaller settings (said in the page) so the whole record takes a few minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
SECTIONS = ("theory", "kmc", "dma", "percolation", "fit", "sweep", "compile", "configs")
SMALL = ["--set", "simulation.L=8", "--replicas", "1"]


def load() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(cmd: list[str], timeout: float, env: dict | None = None) -> dict:
    """Run ``cmd``; wall time, exit code, output (or the timeout), load before and after."""
    l0, t0 = load(), time.perf_counter()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                           cwd=ROOT)
        rc, out = p.returncode, p.stdout + (p.stderr[-2000:] if p.returncode else "")
    except subprocess.TimeoutExpired as e:
        rc = None
        out = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # a stopped child is reaped: counted
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    shown = " ".join(cmd[1:] if cmd[0] == sys.executable else cmd).replace(f"{ROOT}/", "")
    return dict(cmd=shown, rc=rc,
                wall_s=round(time.perf_counter() - t0, 2), cpu_s=round(cpu, 2),
                timeout_s=timeout, output=out,
                load_before=l0, load_after=load(),
                date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _quiet_estimate(r: dict) -> float:
    """Wall time a quiet machine would take: the CPU time over the run's threads (the wall
    time itself when the machine was not busier than its CPUs).
    """
    cpu, th = r.get("cpu_s"), r.get("threads") or 1
    if cpu is None:
        return r["wall_s"]
    busy = max((r.get("load_before") or [0.0])[0], (r.get("load_after") or [0.0])[0])
    return r["wall_s"] if busy <= (os.cpu_count() or 1) else cpu / th


def py(script: str, *args: str) -> list[str]:
    return [sys.executable, str(SCRIPTS / script), *args]


def kmc_configs() -> list[Path]:
    return sorted(p for p in (ROOT / "configs").glob("*.toml")
                  if re.search(r"^\[simulation\]", p.read_text(), re.M))


def shipped_configs() -> list[tuple[Path, bool]]:
    """Every config under configs/ (not the sweeps), with True for the kMC ones."""
    kmc = set(kmc_configs())
    return [(p, p in kmc) for p in sorted((ROOT / "configs").glob("*.toml"))]


def threads_of(cfg: Path) -> int:
    """Threads ``mgmeso run`` uses by default for a config: min(replicas x cases, CPUs)."""
    sys.path.insert(0, str(ROOT))
    from mgmeso.config import load_config

    c = load_config(cfg)
    tasks = c.simulation.replicas * len(c.protocol.kmc_cases())
    return max(1, min(tasks, os.cpu_count() or 1))


def section(name: str, quick: bool, timeout: float) -> dict:
    if name == "theory":
        return run(py("bench_theory.py", *(["--repeat", "3"] if quick else [])), timeout)
    if name == "kmc":
        args = ["--sizes", "16,32", "--events", "1000000"] if quick else \
            ["--sizes", "16,32,64,128", "--events", "5000000"]
        return run(py("bench_kmc.py", *args), timeout)
    if name == "dma":
        args = ["--L", "16", "--T0", "400", "--T1", "450"] if quick else ["--elimination", "10"]
        return run(py("bench_dma.py", *args), timeout)
    if name == "percolation":
        return run(py("bench_percolation.py", *(["--L", "128", "--repeats", "3"] if quick
                                                 else [])), timeout)
    if name == "fit":
        return run(py("bench_fit.py"), timeout)
    if name == "sweep":
        return run(py("bench_sweep.py", *(["--runs", "4", "--repeats", "1"] if quick else [])),
                   timeout)
    if name == "compile":
        cfg = str(ROOT / "configs" / "la60_kmc_creep_430K_meanfield.toml")
        res = {}
        with tempfile.TemporaryDirectory() as tmp:
            env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / "numba"))
            for label in ("empty cache", "warm cache"):
                out = Path(tmp) / f"run_{label[:4]}.zarr"
                res[label] = run([sys.executable, "-m", "mgmeso", "run", cfg, "--out", str(out),
                                  "--quiet", *SMALL], timeout, env)
        return dict(runs=res, date=res["warm cache"]["date"], config=cfg)
    if name == "configs":
        rows = []
        with tempfile.TemporaryDirectory() as tmp:
            for cfg, is_kmc in shipped_configs():
                out = Path(tmp) / (cfg.stem + (".zarr" if is_kmc else ""))
                verb = ["run", str(cfg), "--out", str(out), "--quiet"] if is_kmc else \
                    ["theory", str(cfg), "--out", str(out), "--quiet"]
                r = run([sys.executable, "-m", "mgmeso", *verb], timeout)
                r["config"] = cfg.name
                r["kind"] = "kMC" if is_kmc else "theory"
                r["threads"] = threads_of(cfg) if is_kmc else 1
                r["output"] = r["output"][-600:]
                rows.append(r)
                print(f"  {cfg.name}: {r['wall_s']} s wall, {r['cpu_s']} s CPU, rc={r['rc']}, "
                      f"load {r['load_before']} -> {r['load_after']}", flush=True)
                shutil.rmtree(out, ignore_errors=True)
                shutil.rmtree(Path(str(out) + ".ckpt"), ignore_errors=True)
        return dict(rows=rows, date=rows[-1]["date"] if rows else "")
    raise ValueError(name)


# ---- the page -------------------------------------------------------------------------

def _kmc_rows(out: str) -> dict[tuple[str, int], tuple[float, float, int]]:
    """(config, L) -> (wall events/s, CPU events/s, sites) from bench_kmc's table."""
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(mean-field|mesoscale)\s+(\d+)\s+(\d+)\s+([\d.e+-]+)\s.*\s([\d.e+-]+)"
                     r"\s+([\d.e+-]+)$", line)
        if m:
            rows[(m.group(1), int(m.group(2)))] = (float(m.group(4)), float(m.group(5)),
                                                   int(m.group(3)))
    return rows


def _growth(rows: dict, which: str, col: int) -> str:
    import numpy as np
    pts = sorted((v[2], 1e9 / v[col]) for (w, _), v in rows.items() if w == which)
    if len(pts) < 2:
        return "-"
    x = np.log(np.log2([p[0] for p in pts]))
    return f"{np.polyfit(x, np.log([p[1] for p in pts]), 1)[0]:.2f}"


def _block(r: dict) -> str:
    head = (f"`python {r['cmd']}`: {r['wall_s']} s wall ({r.get('cpu_s')} s CPU), exit code "
            f"{r['rc'] if r['rc'] is not None else 'none (stopped at the timeout)'}; "
            f"{r['date']}; load average before {r['load_before']}, after {r['load_after']}")
    return head + "\n\n```\n" + r["output"].rstrip() + "\n```\n"


def targets(results: dict) -> list[tuple[str, str, str]]:
    rows, NM = [], "not measured in this run"
    k = _kmc_rows(results["kmc"]["output"]) if "kmc" in results else {}
    kout = results.get("kmc", {}).get("output", "")
    def both(v):
        return f"{v[0]:.3g} wall, {v[1]:.3g} CPU time" if v else NM
    mf, ms = k.get(("mean-field", 64)), k.get(("mesoscale", 64))
    rows.append(("mean-field events/s at 64^3 (as the bench reports it)", ">= 5e6", both(mf)))
    rows.append(("mesoscale events/s at 64^3", ">= 2e6", both(ms)))
    rows.append(("mesoscale vs SPPARKS Ising (3.7e5 events/s at 64^3, measured on an Intel Xeon, "
                 "not on this machine)", ">= 3x",
                 f"{ms[0] / 3.7e5:.2f}x wall, {ms[1] / 3.7e5:.2f}x CPU (different machines)"
                 if ms else NM))
    Ls = sorted({L for (_, L) in k})
    rows.append(("growth of ns/event with N, exponent k of (log2 N)^k"
                 + (f" (L = {Ls[0]}..{Ls[-1]})" if Ls else ""), "k <= 1 to 128^3",
                 "; ".join(f"{w}: k = {_growth(k, w, 0)} wall, {_growth(k, w, 1)} CPU"
                           for w in ("mean-field", "mesoscale")) if k else NM))
    # the largest figure over the default rows (bare config names): the selection, hence the
    # memory, depends on the lattice size, so the first row alone would understate it
    per_L = [(float(b), c, int(L)) for c, L, b in re.findall(
        r"^([\w-]+)\s+(\d+)\s+\d+\s+\S+\s+\S+\s+\S+\s+([\d.]+)\s", kout, re.M)]
    rows.append(("bytes per site (largest over the default rows)", "<= 64",
                 "{:.1f} ({} {}^3; smallest {:.1f})".format(*max(per_L), min(per_L)[0])
                 if per_L else NM))
    th = results.get("theory", {}).get("output", "")
    m = re.search(r"full scan:.*?([\d.]+) ms", th)
    rows.append(("theory: 1000-temperature 1 Hz DMA scan (best wall time of the repeats)",
                 "well under 1 s", f"{m.group(1)} ms" if m else NM))
    pc = results.get("percolation", {}).get("output", "")
    m = re.search(r"ratio mgmeso / scipy: ([\d.]+)", pc)
    L0 = re.search(r"sc L = (\d+)", pc)
    rows.append(("percolation labelling / scipy.ndimage.label (wall, interleaved)",
                 "<= 1.5 at 256^3", f"{m.group(1)} at {L0.group(1)}^3" if m and L0 else NM))
    dm = results.get("dma")
    rows.append(("kMC DMA scan (the target is for 32^3, 1 Hz, 300-550 K)", "< 5 min",
                 NM if dm is None else
                 (f"{dm['wall_s']} s wall, {dm['cpu_s']} s CPU (`{dm['cmd']}`)")))
    sw = results.get("sweep", {}).get("output", "")
    m = re.search(r"2 workers / 1 worker: ([\d.]+)x", sw)
    rows.append(("sweep throughput, 2 vs 1 local Dask workers", ">= 1.8x",
                 f"{m.group(1)}x (see the sweep section)" if m else
                 ("see the sweep section" if sw else NM)))
    c = results.get("compile")
    if c:
        e, w = c["runs"]["empty cache"], c["runs"]["warm cache"]
        ce, cw = e.get("cpu_s") or 0.0, w.get("cpu_s") or 0.0
        rows.append(("first `mgmeso run` of a small config, empty cache", "< 15 s",
                     f"{e['wall_s']} s wall, {ce} s CPU (warm cache {w['wall_s']} s wall, {cw} s "
                     f"CPU; compilation about {ce - cw:.1f} s CPU)"))
    else:
        rows.append(("first `mgmeso run` of a small config, empty cache", "< 15 s", NM))
    cf = results.get("configs")
    if cf:
        done = [r for r in cf["rows"] if r["rc"] == 0]
        fast = [r for r in done if r["wall_s"] <= 120]
        est = [r for r in done if _quiet_estimate(r) <= 120]
        cpu = [r["cpu_s"] for r in done if r.get("cpu_s") is not None]
        rows.append(("`mgmeso run` / `mgmeso theory` of each shipped config with defaults",
                     "< 2 min each",
                     f"{len(fast)} of {len(cf['rows'])} under 2 min wall, {len(est)} under 2 min "
                     f"by CPU time / threads; {len(done)} finished within the "
                     f"{cf['rows'][0]['timeout_s']:.0f} s timeout"
                     + (f" ({min(cpu):.0f}-{max(cpu):.0f} s CPU)" if cpu else "")
                     + f", {len(cf['rows']) - len(done)} stopped or failed (see the table)"))
    else:
        rows.append(("`mgmeso run` / `mgmeso theory` of each shipped config with defaults",
                     "< 2 min each", NM))
    return rows


READING = """\
How to read the kMC numbers. `bench_kmc.py` times `run_until` alone (no Python layer) after
a start-up transient of 20 events per QPD site, with the engine's default bias law
(`physical`, one tanh per unit draw). Its *mean-field* configuration has no elimination, so
every event is a beta event, the cheapest kind; its *mesoscale* configuration has the beta
units in equilibrium, so every event is an SMD event with footprint growth and contact
checks. A shipped config mixes the kinds and adds the Python layer (samples, segment starts,
rebuilds of the sum tree), so `mgmeso run` gives fewer events per second than either row.
The events/s column is wall-clock time; the CPU column is the process's CPU time. On a
machine shared with other work (load average above the CPU count) the two differ and the
bench says so: the wall figure is what a user of the loaded machine gets, the CPU figure what
the same machine gives when quiet. Figures from different machines differ too: every
non-inlined call that passes arrays costs atomic reference counts (numba's
`NRT_incref`/`NRT_decref`), whose price depends on the processor."""


def write_page(results: dict, out: Path, quick: list[str], notes: str) -> None:
    import numba
    import numpy
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=ROOT).stdout.strip()
    except OSError:
        commit = "unknown"
    L = ["# Performance record", "",
         "Written by `python scripts/bench_all.py`; every "
         "number below was measured by it on the machine named here (each section with its "
         "date and load average: the machine may be shared, and wall times then include the "
         "time a process waited for a core).", "",
         f"* machine: {cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
         f"{platform.release()}",
         f"* versions: Python {platform.python_version()}, numba {numba.__version__}, numpy "
         f"{numpy.__version__}, mgmeso commit {commit}",
         f"* written: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
         + (f"; --quick settings (smaller lattices, fewer repeats) in: {', '.join(quick)}"
            if quick else ""), "",
         "## Targets", "", "| quantity | target | measured |", "|---|---|---|"]
    L += [f"| {a} | {b} | {c} |" for a, b, c in targets(results)]
    L += ["", READING, ""]
    L += [notes.strip(), ""] if notes.strip() else []
    titles = dict(theory="Theory", kmc="kMC engine", dma="kMC DMA scan",
                  percolation="Percolation labelling", fit="Fits", sweep="Sweep throughput",
                  compile="JIT compile time", configs="Shipped kMC configs")
    for name in SECTIONS:
        L += [f"## {titles[name]}", ""]
        r = results.get(name)
        if r is None:
            L += ["Not measured in this run.", ""]
        elif name == "compile":
            for label, rr in r["runs"].items():
                L += [f"* {label}: `{rr['cmd']}`: {rr['wall_s']} s wall, {rr.get('cpu_s')} s CPU "
                      f"(exit code {rr['rc']}); "
                      f"{rr['date']}, load {rr['load_before']} -> {rr['load_after']}"]
            L += [""]
        elif name == "configs":
            L += ["Each with its defaults: `mgmeso run CONFIG --out TMP --quiet` for a kMC config "
                  "(default threads: min(replicas x cases, CPUs)), `mgmeso theory CONFIG --out "
                  "TMP --quiet` for the others; a run still going at the timeout is stopped and "
                  "reported as such. CPU is user + system time of the process; on a machine "
                  "busier than its CPUs the quiet-machine estimate is CPU / threads (else the "
                  "wall time).", "",
                  "| config | kind | wall (s) | CPU (s) | threads | quiet estimate (s) | result "
                  "| load before -> after |",
                  "|---|---|---|---|---|---|---|---|"]
            for rr in r["rows"]:
                res = ("done" if rr["rc"] == 0 else
                       f"stopped at the {rr['timeout_s']:.0f} s timeout" if rr["rc"] is None
                       else f"failed (exit code {rr['rc']})")
                L += [f"| {rr['config']} | {rr.get('kind', 'kMC')} | {rr['wall_s']} | "
                      f"{rr.get('cpu_s')} | {rr.get('threads', '')} | "
                      f"{'> ' if rr['rc'] is None else ''}{_quiet_estimate(rr):.1f} | {res} | "
                      f"{rr['load_before']} -> "
                      f"{rr['load_after']} |"]
            L += [""]
        else:
            L += [_block(r), ""]
    out.write_text("\n".join(L).rstrip() + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller settings (a few minutes)")
    ap.add_argument("--only", default="", help="comma-separated sections to run")
    ap.add_argument("--skip", default="", help="comma-separated sections not to run")
    ap.add_argument("--results", type=Path, default=Path.home() / ".cache/mgmeso/bench")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--timeout", type=float, default=None,
                    help="seconds per bench or per config run (default 1800, --quick 300)")
    ap.add_argument("--notes", type=Path, default=None,
                    help="a markdown file whose text goes under the targets table")
    ap.add_argument("--no-run", action="store_true", help="only write the page from results")
    a = ap.parse_args(argv)
    only = [s for s in a.only.split(",") if s] or list(SECTIONS)
    skip = {s for s in a.skip.split(",") if s}
    bad = [s for s in [*only, *skip] if s not in SECTIONS]
    if bad:
        print(f"error: unknown section(s) {bad}; allowed: {', '.join(SECTIONS)}", file=sys.stderr)
        return 2
    timeout = a.timeout or (300.0 if a.quick else 1800.0)
    a.results.mkdir(parents=True, exist_ok=True)
    if not a.no_run:
        for name in only:
            if name in skip:
                continue
            print(f"[{name}] ...", flush=True)
            r = section(name, a.quick, timeout)
            r["quick"] = a.quick
            (a.results / f"{name}.json").write_text(json.dumps(r, indent=1))
    results = {p.stem: json.loads(p.read_text()) for p in a.results.glob("*.json")
               if p.stem in SECTIONS}
    notes = a.notes.read_text() if a.notes else ""
    write_page(results, a.out, [k for k, r in results.items() if r.get("quick")], notes)
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
