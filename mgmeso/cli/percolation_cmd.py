"""``mgmeso percolation threshold|map|deformation``: liquid-like zones and percolation.

* ``threshold --lattice NAME --sizes 16,32,64 [--samples N] [--seed S]`` estimates the site
  threshold of a lattice; its last line is ``p_c = VALUE +/- ERROR``.
* ``map CONFIG|RUN.zarr [--window-s T_W ...] [--temperature-K T ...]`` draws liquid-like
  sites and clusters: from a config with the static definition (no kMC), from a run store
  with the dynamic one (SMD events in the last t_w before each snapshot).
* ``deformation CONFIG`` draws the deformation map (strain rate, T).

The analysis is :mod:`mgmeso.percolation` (``estimate_threshold``, ``static_map``,
``dynamic_map``, ``deformation_map``); this module parses, calls and prints.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.files import check_writable


def register(sub) -> None:
    """Add the ``percolation`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("percolation", help="liquid-like zones, cluster maps, percolation thresholds")
    s = p.add_subparsers(dest="percolation_command", metavar="ACTION")
    s.required = True

    t = s.add_parser("threshold", help="estimate the site-percolation threshold of a lattice")
    t.add_argument("--lattice", required=True, help="a registered lattice (square, triangular, "
                   "sc, bcc, fcc, ...)")
    t.add_argument("--sizes", default="16,32,64", help="cells per side, comma separated "
                   "(at least two; default 16,32,64)")
    t.add_argument("--samples", type=int, default=500, help="samples per size (default 500)")
    t.add_argument("--seed", type=int, default=0, help="root seed (default 0)")
    t.add_argument("--criterion", default="any", help="wrapping along 'any' axis (default), "
                   "'all' axes, or 'x'")
    t.add_argument("--workers", type=int, help="threads (default: CPUs)")
    _common(t)
    t.set_defaults(func=run_threshold)

    m = s.add_parser("map", help="maps of liquid-like sites and their clusters")
    m.add_argument("source", help="config TOML (static definition) or RUN.zarr (dynamic)")
    m.add_argument("--window-s", type=float, nargs="+", metavar="T_W",
                   help="observation windows t_w in s (config default: the stepped-relaxation "
                   "hold, else 1800; run default: a tenth of the last snapshot time)")
    m.add_argument("--temperature-K", type=float, nargs="+", metavar="T",
                   help="temperatures of the maps (config only; default: around the threshold "
                   "crossing)")
    _overrides(m, seed=True)
    _common(m)
    m.set_defaults(func=run_map)

    d = s.add_parser("deformation", help="deformation map: where liquid-like zones percolate")
    d.add_argument("config", help="config TOML (material, [simulation] lattice, L, seed)")
    d.add_argument("--rates-per-s", type=float, nargs=2, default=(1e-6, 1e0), metavar=("LO", "HI"),
                   help="strain-rate range (default 1e-6 1)")
    _overrides(d, seed=False)
    _common(d)
    d.set_defaults(func=run_deformation)


def _overrides(p, seed: bool) -> None:
    p.add_argument("--lattice", help="override [simulation] lattice (config only)")
    p.add_argument("--L", type=int, help="override [simulation] L (config only)")
    if seed:
        p.add_argument("--seed", type=int, help="override [simulation] seed (config only)")
    p.add_argument("--p-c", type=float, help="site threshold to use (default: the literature value "
                   "of the lattice registry; needed for a lattice without one)")


def _common(p) -> None:
    p.add_argument("--out", metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _wrote(paths) -> None:
    for p in paths:
        print(f"wrote {p}")


# ---------------------------------------------------------------- threshold
def _parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(v) for v in text.split(",") if v.strip()})
    except ValueError:
        raise UserError(f"--sizes {text!r}: expected comma-separated integers such as 16,32,64") from None
    if len(sizes) < 2 or sizes[0] < 4 or sizes[-1] > 1024:
        raise UserError(f"--sizes {text!r}: need at least two distinct sizes in [4, 1024] "
                        f"(the threshold is where wrapping curves of different sizes cross)")
    return sizes


def run_threshold(args) -> int:
    """Estimate a lattice's site threshold and write its files (``percolation threshold``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    from ..kmc.lattice import lattice_type
    from ..percolation.threshold import CRITERIA, ThresholdEstimate, estimate_threshold

    try:
        lattice = lattice_type(args.lattice).name
    except ValueError as exc:
        raise UserError(f"--lattice: {exc}") from None
    sizes = _parse_sizes(args.sizes)
    if not 20 <= args.samples <= 10**6:
        raise UserError(f"--samples {args.samples}: must be in [20, 1000000] (the crossing needs "
                        f"enough samples to resolve each curve)")
    if args.criterion not in CRITERIA:
        raise UserError(f"--criterion {args.criterion!r}: must be one of {', '.join(CRITERIA)}")
    if args.seed < 0:
        raise UserError(f"--seed {args.seed}: must be a non-negative integer")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: must be at least 1")
    out = Path(args.out) if args.out else Path("out") / f"percolation_{lattice}"
    check_writable([out / n for n in ThresholdEstimate.file_names(lattice)], args.overwrite)
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=args.samples * len(sizes), unit="sample", dynamic_ncols=True,
                   file=sys.stderr)
    est = estimate_threshold(lattice, sizes, args.samples, seed=args.seed, criterion=args.criterion,
                             workers=args.workers, progress=bar.update if bar else None)
    if bar:
        bar.close()
    paths = est.write(out, args.overwrite)
    for a, b, c, e in est.pair_crossings:
        print(f"crossing L = {a} / {b}: p = {c:.5f} +/- {e:.5f}")
    print(f"finite-size drift between the last two crossings: {est.sys_err:.5f}")
    lit = est.literature()
    if lit is None:
        print(f"literature: none in the lattice registry for {lattice}")
    else:
        print(f"literature ({lit.source}): {lit.p_c:g}; estimate - literature = "
              f"{est.p_c - lit.p_c:+.5f} ({est.deviation_sigma():+.2f} errors)")
    _wrote(paths)
    print(f"p_c = {est.p_c:.5f} +/- {est.error:.5f}")
    return 0


# ---------------------------------------------------------------- map
def _overridden(args) -> dict:
    """Collect the config overrides given on the command line, as keyword arguments of the study."""
    names = ("lattice", "L", "seed", "p_c")
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def run_map(args) -> int:
    """Draw the liquid-like maps of a config (static) or a run store (dynamic).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    src = Path(args.source)
    if src.suffix == ".zarr" or (src.is_dir() and (src / "zarr.json").exists()):
        return _map_run(args, src)
    if not src.exists():
        raise UserError(f"{src}: no such config file or run store")
    return _map_config(args, src)


def _map_config(args, path) -> int:
    from ..config import load_config
    from ..percolation import StaticMap, static_map

    cfg = load_config(path)
    out = cfg.output_dir(args.out) / "percolation" if args.out is None else Path(args.out)
    check_writable([out / n for n in StaticMap.FILES], args.overwrite)
    m = static_map(cfg, windows_s=args.window_s, temperatures_K=args.temperature_K,
                   **_overridden(args))
    paths = m.write(out, args.overwrite)
    sim = m.config.simulation
    if m.p_c is None:
        print(f"{m.config.material.name}, {sim.lattice} L = {sim.L}: no literature site threshold "
              f"in the lattice registry; crossings not computed (give one with --p-c, e.g. from "
              f"'mgmeso percolation threshold --lattice {sim.lattice}')")
    else:
        print(f"{m.config.material.name}, {sim.lattice} L = {sim.L}, site threshold {m.p_c:g}:")
    T_top = m.temperatures_K[-1]
    for tw in m.windows_s:
        Tx, Tw = m.crossings_K[tw], m.first_wrapping_K[tw]
        at = f"{Tx:.1f} K" if np.isfinite(Tx) else f"no temperature up to {T_top:g} K"
        reach = f"liquid-like fraction reaches p_c at {at}; " if m.p_c is not None else ""
        print(f"  t_w = {tw:g} s: {reach}first wrapping cluster at {Tw if Tw else '-'} K")
    if m.p_c is not None:
        print(f"  analytical delta(T) (stepped relaxation, hold {m.windows_s[0]:g} s) reaches p_c "
              f"at {m.delta_crossing_K:.1f} K")
    _wrote(paths)
    return 0


def _map_run(args, path) -> int:
    from ..percolation import dynamic_map

    for flag in ("temperature_K", "lattice", "L", "seed", "p_c"):
        if getattr(args, flag) is not None:
            raise UserError(f"--{flag.replace('_', '-')} applies to a config, not to a run store "
                            f"(the run fixes its lattice, seed and temperatures)")
    d = dynamic_map(path, windows_s=args.window_s)
    out = Path(args.out) if args.out else path.parent / f"{path.stem}_percolation"
    paths = d.write(out, args.overwrite)
    s = d.summary()
    print(f"{path}: {s['cases']} case(s) x {s['replicas']} replica(s), {s['snapshots']} snapshot(s)")
    print(f"  at the last snapshot: liquid-like fraction {s['last_liquid_fraction']:.4f}, "
          f"largest cluster {s['last_largest_cluster_fraction']:.4f} "
          f"(mean over replicas, t_w = {s['window_s']:g} s)")
    for c in s["coalescence"]:
        if c["coalescences"]:
            print(f"  case {c['case']}: {c['coalescences']} coalescences, mean merged footprint "
                  f"{c['mean_footprint_sites']:.2f} sites, largest {c['largest_footprint_sites']}")
    _wrote(paths)
    return 0


# ---------------------------------------------------------------- deformation map
def run_deformation(args) -> int:
    """Compute and write the deformation map of a config (``percolation deformation``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    from ..config import load_config
    from ..percolation import DeformationMap, deformation_map

    cfg = load_config(args.config)
    out = cfg.output_dir(args.out) / "percolation" if args.out is None else Path(args.out)
    check_writable([out / n for n in DeformationMap.FILES], args.overwrite)
    dm = deformation_map(cfg, rates_per_s=args.rates_per_s, **_overridden(args))
    paths = dm.write(out, args.overwrite)
    t = dm.table
    for r, a, b in zip(t["strain_rate_per_s"], t["T_static_K"], t["T_spectral_K"]):
        print(f"  strain rate {r:.3g} 1/s: static {a:.1f} K, spectral {b:.1f} K")
    _wrote(paths)
    return 0
