"""``mgmeso fit DATA [DATA ...] --kind K [K ...] --material BASE --free NAMES --out DIR``.

Fits free QPD parameters to measurement files (shared parameters across files) and
writes ``fit.json``, ``material.toml``, ``report.md`` and one figure per file.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UserError


def register(sub) -> None:
    p = sub.add_parser("fit", help="fit QPD parameters to DMA, creep and relaxation data")
    p.add_argument("data", nargs="+", help="measurement files (CSV or whitespace-separated text)")
    p.add_argument("--kind", nargs="+", required=True,
                   help="one per file, or one for all: dma-isochronal, dma-isothermal, creep, "
                   "creep-recovery, relaxation")
    p.add_argument("--material", required=True,
                   help="base material (name in configs/materials or a TOML path): fixed values "
                   "and starting point")
    p.add_argument("--free", required=True, help="comma-separated material keys to fit, e.g. "
                   "U_beta_kJ_per_mol,tau_beta0_s")
    p.add_argument("--start", help="starting values overriding the base material, e.g. "
                   "U_beta_kJ_per_mol=75,tau_beta0_s=1e-12")
    p.add_argument("--columns", nargs="+", metavar="MAP",
                   help="column map per file (or one for all): KEY=HEADER,... where the key's "
                   "suffix is the file's unit, e.g. temperature_degC=Temp,E_loss_GPa=E2 "
                   "(default: headers already named like temperature_K, E_loss_MPa)")
    p.add_argument("--frequency-Hz", type=float, nargs="+", help="constant frequency per file (DMA "
                   "files without a frequency column)")
    p.add_argument("--temperature-K", type=float, nargs="+", help="constant temperature per file")
    p.add_argument("--stress-MPa", type=float, nargs="+", help="constant creep stress per file")
    p.add_argument("--poisson-ratio", type=float, default=0.35,
                   help="for shear moduli, E = 2 (1 + nu) G (default 0.35, typical of metallic "
                   "glasses)")
    p.add_argument("--loss-only", action="store_true", help="DMA: fit E'' alone")
    p.add_argument("--chi-law", default="linear", help="chi(T) above Tg: linear or defects")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(func=run)


def _per_file(values, n: int, flag: str):
    if values is None:
        return [None] * n
    if len(values) == 1:
        return list(values) * n
    if len(values) != n:
        raise UserError(f"{flag}: give one value for all {n} files or one per file (got {len(values)})")
    return list(values)


def _parse_start(text: str | None) -> dict[str, float]:
    out = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        k, _, v = part.partition("=")
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise UserError(f"--start {part!r}: expected KEY=NUMBER, e.g. U_beta_kJ_per_mol=75") from None
    return out


def run(args) -> int:
    from ..config import load_material
    from ..fit.core import fit_material
    from ..fit.data import default_column_map, parse_column_map, read_dataset
    from ..fit.derived import derived_fits
    from ..fit.report import plot_fit, write_fit_json, write_material_toml, write_report
    from ..io.files import check_writable

    files = [Path(p) for p in args.data]
    n = len(files)
    kinds = _per_file(args.kind, n, "--kind")
    maps = _per_file(args.columns, n, "--columns")
    freqs = _per_file(args.frequency_Hz, n, "--frequency-Hz")
    temps = _per_file(args.temperature_K, n, "--temperature-K")
    stresses = _per_file(args.stress_MPa, n, "--stress-MPa")
    if args.chi_law not in ("linear", "defects"):
        raise UserError(f"--chi-law {args.chi_law!r}: must be 'linear' or 'defects'")
    free = [s.strip() for s in args.free.split(",") if s.strip()]
    base, base_path, base_sources = load_material(args.material)
    start = _parse_start(args.start)
    names = ["fit.json", "material.toml", "report.md"] + [f"fit_{i + 1}_{f.stem}.png"
                                                          for i, f in enumerate(files)]
    paths = [Path(args.out) / nm for nm in names]
    check_writable(paths, args.overwrite)
    datasets = []
    for f, k, m, fr, T, s in zip(files, kinds, maps, freqs, temps, stresses):
        cmap = parse_column_map(m) if m else default_column_map(f)
        datasets.append(read_dataset(f, k, cmap, poisson_ratio=args.poisson_ratio, frequency_Hz=fr,
                                     temperature_K=T, stress_MPa=s))
    res = fit_material(base, datasets, free, chi_law=args.chi_law, loss_only=args.loss_only,
                       start=start)
    derived = derived_fits(datasets)
    Path(args.out).mkdir(parents=True, exist_ok=True)     # only now: bad input leaves nothing behind
    fnames = [str(f) for f in files]
    write_fit_json(res, derived, fnames, paths[0])
    write_material_toml(res, base_path, base_sources, fnames, paths[1])
    for i, f in enumerate(files):
        plot_fit(res, i, f.name, paths[3 + i])
    write_report(res, derived, fnames, [p.name for p in paths[3:]], paths[2])
    print(f"fitted {len(free)} parameter(s) to {res.n_points} points from {n} file(s) in "
          f"{res.wall_s:.2f} s ({res.nfev} model evaluations)")
    for k in free:
        print(f"  {k} = {res.values[k]:.6g} +/- {res.std_errors[k]:.3g}")
    for w in res.warnings:
        print(f"  warning: {w}")
    if "beta_peak_arrhenius" in derived:
        a = derived["beta_peak_arrhenius"]
        print(f"  derived: Arrhenius fit of beta peaks U = {a['U_kJ_per_mol']:.2f} +/- "
              f"{a['U_se_kJ_per_mol']:.2f} kJ/mol")
    for p in paths:
        print(f"wrote {p}")
    return 0
