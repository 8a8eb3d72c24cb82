"""``mgmeso percolation threshold|map|deformation``: liquid-like zones and percolation.

* ``threshold --lattice NAME --sizes 16,32,64 [--samples N] [--seed S]`` estimates the site
  threshold of a lattice; its last line is ``p_c = VALUE +/- ERROR``.
* ``map CONFIG|RUN.zarr [--window-s T_W ...] [--temperature-K T ...]`` draws liquid-like
  sites and clusters: from a config with the static definition (no kMC), from a run store
  with the dynamic one (SMD events in the last t_w before each snapshot).
* ``deformation CONFIG`` draws the deformation map (strain rate, T).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..errors import UserError
from ..io.files import prepare_outputs
from ..io.table import Table

LATTICE_NAMES = ("square", "triangular", "sc", "bcc", "fcc")


def register(sub) -> None:
    p = sub.add_parser("percolation", help="liquid-like zones, cluster maps, percolation thresholds")
    s = p.add_subparsers(dest="percolation_command", metavar="ACTION")
    s.required = True

    t = s.add_parser("threshold", help="estimate the site-percolation threshold of a lattice")
    t.add_argument("--lattice", required=True, help=f"one of {', '.join(LATTICE_NAMES)}")
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
    m.add_argument("--lattice", help="override [simulation] lattice (config only)")
    m.add_argument("--L", type=int, help="override [simulation] L (config only)")
    m.add_argument("--seed", type=int, help="override [simulation] seed (config only)")
    _common(m)
    m.set_defaults(func=run_map)

    d = s.add_parser("deformation", help="deformation map: where liquid-like zones percolate")
    d.add_argument("config", help="config TOML (material, [simulation] lattice, L, seed)")
    d.add_argument("--rates-per-s", type=float, nargs=2, default=(1e-6, 1e0), metavar=("LO", "HI"),
                   help="strain-rate range (default 1e-6 1)")
    d.add_argument("--lattice", help="override [simulation] lattice")
    d.add_argument("--L", type=int, help="override [simulation] L")
    _common(d)
    d.set_defaults(func=run_deformation)


def _common(p) -> None:
    p.add_argument("--out", metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


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


def _check_lattice(name: str) -> str:
    if name not in LATTICE_NAMES:
        import difflib
        near = difflib.get_close_matches(name, LATTICE_NAMES, n=1)
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        raise UserError(f"--lattice {name!r}: must be one of {', '.join(LATTICE_NAMES)}{hint}")
    return name


def run_threshold(args) -> int:
    from ..kmc.lattice import make_lattice
    from ..percolation.threshold import CRITERIA, LITERATURE_THRESHOLDS, estimate_threshold
    from ..plotting.percolation_plots import plot_threshold
    from ..percolation.threshold import wrapping_probability, combine

    lattice = _check_lattice(args.lattice)
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
    csv_p, png_p, json_p = prepare_outputs(out, [f"threshold_{lattice}.csv", f"threshold_{lattice}.png",
                                                 f"threshold_{lattice}.json"], args.overwrite)
    total = args.samples * len(sizes)
    bar = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm import tqdm
        bar = tqdm(total=total, unit="sample", dynamic_ncols=True, file=sys.stderr)
    est = estimate_threshold(lattice, sizes, args.samples, seed=args.seed, criterion=args.criterion,
                             workers=args.workers, progress=bar.update if bar else None)
    if bar:
        bar.close()
    allp = np.concatenate([combine(o, est.criterion) for o in est.onsets.values()])
    p = np.linspace(*np.percentile(allp, [0.5, 99.5]), 201)
    cols = {"occupation_p": p}
    for L in est.sizes:
        cols[f"wrapping_probability_L{L}"] = wrapping_probability(combine(est.onsets[L], est.criterion), p)
    Table(cols).to_csv(csv_p)
    ref, ref_err, src = LITERATURE_THRESHOLDS[lattice]
    meta = {"lattice": lattice, "sizes": est.sizes, "samples": est.samples, "seed": args.seed,
            "criterion": est.criterion, "p_c": est.p_c, "error": est.error,
            "statistical_error": est.stat_err, "finite_size_drift": est.sys_err,
            "pair_crossings": [{"L1": a, "L2": b, "p": c, "se": e} for a, b, c, e in est.pair_crossings],
            "sites": {L: make_lattice(lattice, L).n_sites for L in est.sizes},
            "literature": {"p_c": ref, "error": ref_err, "source": src},
            "deviation_in_errors": est.deviation_sigma()}
    Table({}, meta).write_meta(json_p)
    plot_threshold(est, png_p)
    for a, b, c, e in est.pair_crossings:
        print(f"crossing L = {a} / {b}: p = {c:.5f} +/- {e:.5f}")
    print(f"finite-size drift between the last two crossings: {est.sys_err:.5f}")
    print(f"literature ({src}): {ref:g}; estimate - literature = "
          f"{est.p_c - ref:+.5f} ({est.deviation_sigma():+.2f} errors)")
    for path in (csv_p, png_p, json_p):
        print(f"wrote {path}")
    print(f"p_c = {est.p_c:.5f} +/- {est.error:.5f}")
    return 0


# ---------------------------------------------------------------- map
def _positive(values, flag: str, hi: float) -> list[float]:
    out = []
    for v in values or []:
        if not np.isfinite(v) or v <= 0 or v > hi:
            raise UserError(f"{flag} {v:g}: must be positive and at most {hi:g}")
        out.append(float(v))
    return out


def _config_with_overrides(path, lattice, L, seed):
    from ..config import Override, load_config

    overrides = []   # validated with the file's own ranges
    if lattice is not None:
        overrides.append(Override("simulation.lattice", _check_lattice(lattice), f"--lattice {lattice}"))
    if L is not None:
        if not 4 <= L <= 512:
            raise UserError(f"--L {L}: must be in [4, 512] (cells per side)")
        overrides.append(Override("simulation.L", L, f"--L {L}"))
    if seed is not None:
        overrides.append(Override("simulation.seed", seed, f"--seed {seed}"))
    return load_config(path, overrides)


def _glass(cfg):
    from ..kmc.lattice import make_lattice
    from ..percolation.liquid import static_glass

    sim = cfg.simulation
    return static_glass(cfg.material, make_lattice(sim.lattice, sim.L), sim.seed,
                        heterogeneity=sim.heterogeneity, chi_law=cfg.theory.chi_law,
                        disorder_mode=sim.disorder, T_ref_K=sim.energy_reference_T_K,
                        chi_radius=sim.chi_radius,
                        hierarchy_beta_time=sim.hierarchy_beta_time)


def run_map(args) -> int:
    src = Path(args.source)
    if src.suffix == ".zarr" or (src.is_dir() and (src / "zarr.json").exists()):
        return _map_run(args, src)
    if not src.exists():
        raise UserError(f"{src}: no such config file or run store")
    return _map_config(args, src)


def _analytical_delta(cfg, temps, window_s):
    from ..config import SteppedRelaxation
    from ..theory import evaluate

    p = cfg.protocol if isinstance(cfg.protocol, SteppedRelaxation) else SteppedRelaxation()
    step = float(temps[1] - temps[0]) if len(temps) > 1 else 3.0
    p = replace(p, T_start_K=float(temps[0]), T_end_K=float(temps[-1]), T_step_K=step,
                hold_s=window_s, first_sample_s=min(p.first_sample_s, window_s / 10))
    return evaluate(replace(cfg, protocol=p)).tables["theory"]


def _map_config(args, path) -> int:
    from ..config import SteppedRelaxation
    from ..percolation.clusters import label_clusters
    from ..percolation.maps import first_crossing, static_curve
    from ..percolation.threshold import LITERATURE_THRESHOLDS
    from ..plotting.percolation_plots import plot_liquid_curves, plot_site_map

    cfg = _config_with_overrides(path, args.lattice, args.L, args.seed)
    mat, sim = cfg.material, cfg.simulation
    stepped = isinstance(cfg.protocol, SteppedRelaxation)
    windows = _positive(args.window_s, "--window-s", 1e12) or [
        cfg.protocol.hold_s if stepped else 1800.0]
    temps_map = _positive(args.temperature_K, "--temperature-K", 5000.0)
    T_lo = cfg.protocol.T_start_K if stepped else 300.0
    T_hi = max(cfg.protocol.T_end_K if stepped else 0.0, mat.Tg_K + 80.0, *(temps_map or [0.0]))
    step = cfg.protocol.T_step_K if stepped else 3.0
    temps = np.arange(T_lo, T_hi + 0.5 * step, step)
    p_c = LITERATURE_THRESHOLDS[sim.lattice][0]
    out = cfg.output_dir(args.out) / "percolation" if args.out is None else Path(args.out)
    names = ["liquid_fraction.csv", "liquid_fraction.png", "liquid_fraction.json",
             "delta_analytical.csv"]
    glass = _glass(cfg)
    curves = {tw: static_curve(glass, temps, tw) for tw in windows}
    crossings = {tw: first_crossing(temps, c["liquid_fraction"], p_c) for tw, c in curves.items()}
    wrap_T = {tw: (float(temps[np.flatnonzero(c["n_wrapping_clusters"] > 0)[0]])
                   if (c["n_wrapping_clusters"] > 0).any() else None) for tw, c in curves.items()}
    if not temps_map:
        Tx = crossings[windows[0]]
        temps_map = ([round(Tx - 20.0), round(Tx), round(Tx + 15.0)] if np.isfinite(Tx)
                     else [mat.Tg_K - 50.0, mat.Tg_K, mat.Tg_K + 50.0])
    map_names = [f"map_{T:g}K_{tw:g}s.png" for tw in windows for T in temps_map]
    paths = prepare_outputs(out, names + map_names, args.overwrite)
    delta = _analytical_delta(cfg, temps, windows[0])
    Table.concat(list(curves.values())).to_csv(paths[0])
    delta.to_csv(paths[3])
    title = (f"{mat.name}: static liquid-like sites ($\\tau_{{max,j}} < t_w$), {sim.lattice} "
             f"L = {sim.L}, {sim.heterogeneity} heterogeneity, seed {sim.seed}")
    plot_liquid_curves(curves, delta, p_c, sim.lattice, title, paths[1], crossings)
    summary = {"material": mat.name, "lattice": sim.lattice, "L": sim.L, "n_sites": glass.lattice.n_sites,
               "heterogeneity": sim.heterogeneity, "seed": sim.seed, "p_c": p_c,
               "windows_s": windows,
               "T_fraction_reaches_p_c_K": {str(k): v for k, v in crossings.items()},
               "T_first_wrapping_cluster_K": {str(k): v for k, v in wrap_T.items()},
               "T_delta_analytical_reaches_p_c_K": first_crossing(delta["temperature_K"],
                                                                  delta["delta"], p_c)}
    Table({}, summary).write_meta(paths[2])
    k = len(names)
    for tw in windows:
        for T in temps_map:
            ll = glass.liquid_like(T, tw)
            cl = label_clusters(ll, glass.lattice)
            frac = ll.mean()
            t = (f"{mat.name}, T = {T:g} K, $t_w$ = {tw:g} s: liquid-like fraction {frac:.3f} "
                 f"({sim.lattice} threshold {p_c:.3f}); largest cluster {cl.largest_fraction:.3f}; "
                 f"{cl.wrapping_labels.size} wrapping cluster(s)")
            plot_site_map(glass.lattice, ll, glass.qpd(T), cl, t, paths[k])
            k += 1
    print(f"{mat.name}, {sim.lattice} L = {sim.L}, site threshold {p_c:g}:")
    for tw in windows:
        Tx = crossings[tw]
        print(f"  t_w = {tw:g} s: liquid-like fraction reaches p_c at "
              f"{'%.1f K' % Tx if np.isfinite(Tx) else 'no temperature up to %g K' % temps[-1]}; "
              f"first wrapping cluster at {wrap_T[tw] if wrap_T[tw] else '-'} K")
    print(f"  analytical delta(T) (stepped relaxation, hold {windows[0]:g} s) reaches p_c at "
          f"{summary['T_delta_analytical_reaches_p_c_K']:.1f} K")
    for p in paths:
        print(f"wrote {p}")
    return 0


def _map_run(args, path) -> int:
    from ..kmc.lattice import make_lattice
    from ..kmc.store import read_run
    from ..percolation.clusters import label_clusters
    from ..percolation.liquid import dynamic_liquid_like
    from ..percolation.maps import active_footprints, run_cluster_series
    from ..plotting.percolation_plots import plot_run_clusters, plot_site_map

    for flag in ("temperature_K", "lattice", "L", "seed"):
        if getattr(args, flag) is not None:
            raise UserError(f"--{flag.replace('_', '-')} applies to a config, not to a run store "
                            f"(the run fixes its lattice, seed and temperatures)")
    run = read_run(path)
    g = run.group
    if "snapshots" not in g or "last_smd_time" not in g["snapshots"]:
        raise UserError(f"{path}: the run has no snapshots; set [output] snapshot_times_s in the "
                        f"config and run it again")
    sg = g["snapshots"]
    fields = {k: np.asarray(sg[k][...]) for k in ("time_s", "last_smd_time", "footprint",
                                                   "smd_state", "kind")}
    times = fields["time_s"]
    attrs = run.attrs
    cfgd = attrs["config"]
    lat = make_lattice(cfgd["simulation"]["lattice"], int(cfgd["simulation"]["L"]))
    windows = _positive(args.window_s, "--window-s", 1e12) or [float(np.nanmax(times)) / 10.0]
    out = Path(args.out) if args.out else path.parent / f"{path.stem}_percolation"
    n_case, n_rep, _ = times.shape
    names = ["cluster_series.csv", "cluster_series.png", "coalescence_sizes.csv"]
    names += [f"map_case{c}_w{tw:g}s.png" for c in range(n_case) for tw in windows]
    paths = prepare_outputs(out, names, args.overwrite)
    tables = []
    for c in range(n_case):
        for r in range(n_rep):
            for tw in windows:
                t = run_cluster_series(fields, lat, tw, c, r)
                if len(t):
                    t.columns = {"case": np.full(len(t), c), "replica": np.full(len(t), r), **t.columns}
                    tables.append(t)
    if not tables:
        raise UserError(f"{path}: no snapshot was reached by any replica")
    allt = Table.concat(tables)
    allt.to_csv(paths[0])
    first = allt["replica"] == 0
    sel = Table({k: v[first & (allt["window_s"] == windows[0]) & (allt["case"] == 0)]
                 for k, v in allt.columns.items()})
    hist0 = (np.asarray(g["coalescence_size_counts"][0]).sum(axis=0)
             if "coalescence_size_counts" in g else None)
    plot_run_clusters(sel, f"{Path(path).name}: dynamic liquid-like zones, $t_w$ = {windows[0]:g} s, "
                      f"case 0, replica 0", paths[1], hist0)
    hist = (np.asarray(g["coalescence_size_counts"][...]) if "coalescence_size_counts" in g
            else np.zeros((n_case, n_rep, 1), np.int64))
    sizes = np.arange(hist.shape[2])
    Table({"footprint_sites": sizes, **{f"coalescences_case{c}": hist[c].sum(axis=0)
                                         for c in range(n_case)}}).to_csv(paths[2])
    k = 3
    for c in range(n_case):
        s = int(np.nanargmax(times[c, 0]))
        ts = float(times[c, 0, s])
        for tw in windows:
            ll = dynamic_liquid_like(fields["last_smd_time"][c, 0, s], ts, tw)
            cl = label_clusters(ll, lat)
            qpd = fields["kind"][c, 0, s] == 1
            fp = active_footprints(fields["footprint"][c, 0, s], fields["smd_state"][c, 0, s])
            title = (f"{attrs.get('cases', ['?'])[c]}: t = {ts:.4g} s, $t_w$ = {tw:g} s, sites with "
                     f"an SMD event in $t_w$: {ll.mean():.3f}; largest cluster {cl.largest_fraction:.3f}; "
                     f"{cl.wrapping_labels.size} wrapping; polarised footprints cover {fp.mean():.3f}")
            plot_site_map(lat, ll, qpd, cl, title, paths[k])
            k += 1
    last = allt["time_s"] == np.nanmax(allt["time_s"])
    print(f"{path}: {n_case} case(s) x {n_rep} replica(s), {times.shape[2]} snapshot(s)")
    print(f"  at the last snapshot: liquid-like fraction {np.mean(allt['liquid_fraction'][last]):.4f}, "
          f"largest cluster {np.mean(allt['largest_cluster_fraction'][last]):.4f} "
          f"(mean over replicas, t_w = {windows[0]:g} s)")
    for c in range(n_case):
        h = hist[c].sum(axis=0)
        if h.sum():
            print(f"  case {c}: {int(h.sum())} coalescences, mean merged footprint "
                  f"{float((sizes * h).sum() / h.sum()):.2f} sites, largest {int(sizes[h > 0].max())}")
    for p in paths:
        print(f"wrote {p}")
    return 0


# ---------------------------------------------------------------- deformation map
def run_deformation(args) -> int:
    from ..percolation.maps import deformation_map
    from ..percolation.threshold import LITERATURE_THRESHOLDS
    from ..plotting.percolation_plots import plot_deformation_map

    cfg = _config_with_overrides(args.config, args.lattice, args.L, None)
    lo, hi = args.rates_per_s
    if not (np.isfinite(lo) and np.isfinite(hi) and 0 < lo < hi <= 1e6):
        raise UserError(f"--rates-per-s {lo:g} {hi:g}: need 0 < LO < HI <= 1e6 (1/s)")
    mat, sim = cfg.material, cfg.simulation
    out = cfg.output_dir(args.out) / "percolation" if args.out is None else Path(args.out)
    csv_p, png_p, json_p = prepare_outputs(out, ["deformation_map.csv", "deformation_map.png",
                                                 "deformation_map.json"], args.overwrite)
    p_c = LITERATURE_THRESHOLDS[sim.lattice][0]
    rates = np.geomspace(lo, hi, 13)
    temps = np.arange(250.0, mat.Tg_K + 200.0, 2.0)
    table = deformation_map(_glass(cfg), rates, temps, p_c, cfg.theory.chi_law)
    Table(table.columns).to_csv(csv_p)
    Table({}, {"material": mat.name, "lattice": sim.lattice, "L": sim.L, "p_c": p_c,
               "temperature_range_K": [temps[0], temps[-1]]}).write_meta(json_p)
    plot_deformation_map(table, mat.Tg_K, f"{mat.name}: deformation map, {sim.lattice} L = {sim.L}, "
                         f"site threshold {p_c:.4f}", png_p)
    for r, a, b in zip(table["strain_rate_per_s"], table["T_static_K"], table["T_spectral_K"]):
        print(f"  strain rate {r:.3g} 1/s: static {a:.1f} K, spectral {b:.1f} K")
    for p in (csv_p, png_p, json_p):
        print(f"wrote {p}")
    return 0
