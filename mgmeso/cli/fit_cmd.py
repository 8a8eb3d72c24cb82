"""``mgmeso fit DATA [DATA ...] --kind K [K ...] --material BASE --free NAMES --out DIR``.

Fits free QPD parameters to measurement files (shared parameters across files) and writes
``fit.json``, ``material.toml``, ``report.md``, one figure per file and, for isothermal sweeps,
a time-temperature superposition figure. Everything is computed and written into a staging
directory first and moved into ``--out`` at the end, so bad input or a failure leaves no
partial output.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import UserError

#: most rows fitted per file (--max-points): beyond, one model evaluation takes seconds
MAX_POINTS_LIMIT = 100_000


def _number(text: str) -> float:
    """Parse a strict, finite float for argparse (no '1_000', 'nan', 'inf', non-ASCII digits)."""
    from ..fit.textfile import NumberError, parse_number

    try:
        return parse_number(text.strip())
    except NumberError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count(text: str) -> int:
    t = text.strip()
    if not (t.isascii() and t.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 0")
    return int(t)


def register(sub) -> None:
    """Add the ``fit`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("fit", help="fit QPD parameters to DMA, creep and relaxation data",
                       description="Fit chosen QPD material parameters to measurement files "
                       "(one parameter set shared by all files); writes fit.json, material.toml, "
                       "report.md and figures. See docs/fit.md.")
    p.add_argument("data", nargs="+", help="measurement files (CSV or whitespace-separated text)")
    p.add_argument("--kind", nargs="+", required=True,
                   help="one per file, or one for all: dma-isochronal, dma-isothermal, creep, "
                   "creep-recovery, relaxation (dma_isothermal etc. accepted)")
    p.add_argument("--material", required=True,
                   help="base material (name of a shipped material or a TOML path): fixed values "
                   "and starting point")
    p.add_argument("--free", required=True, help="comma-separated material keys to fit, e.g. "
                   "U_beta_kJ_per_mol,tau_beta0_s")
    p.add_argument("--start", help="starting values overriding the base material, e.g. "
                   "U_beta_kJ_per_mol=75,tau_beta0_s=1e-12")
    p.add_argument("--columns", nargs="+", metavar="MAP",
                   help="column map per file (or one for all): KEY=HEADER,... where the key's "
                   "suffix is the file's unit, e.g. temperature_degC=Temp,E_loss_GPa=E2; without a "
                   "suffix (frequency=f) the file's units row gives it; sweep=HEADER groups rows "
                   "into sweeps (default: headers already named like temperature_K, E_loss_MPa)")
    p.add_argument("--frequency-Hz", type=_number, nargs="+", help="constant frequency per file "
                   "(DMA files without a frequency column)")
    p.add_argument("--temperature-K", type=_number, nargs="+", help="constant temperature per file")
    p.add_argument("--stress-MPa", type=_number, nargs="+", help="constant creep stress per file")
    p.add_argument("--temperature-tolerance-K", type=_number, default=1.0,
                   help="rows within this many K belong to one isotherm when no sweep column is "
                   "mapped (default 1)")
    p.add_argument("--max-points", type=_count, default=None,
                   help="rows kept per file; larger files are thinned evenly (default 4000; 0: "
                   f"every row, at most {MAX_POINTS_LIMIT})")
    p.add_argument("--poisson-ratio", type=_number, default=0.35,
                   help="for shear moduli, E = 2 (1 + nu) G (default 0.35, typical of metallic "
                   "glasses)")
    p.add_argument("--loss-only", action="store_true", help="DMA: fit E'' alone")
    p.add_argument("--chi-law", default="linear", help="chi(T) above Tg: linear or defects")
    p.add_argument("--no-figures", action="store_true", help="write no figures (batch fits)")
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
    from ..fit.textfile import NumberError, parse_number

    out = {}
    for part in (p.strip() for p in (text or "").split(",") if p.strip()):
        k, eq, v = part.partition("=")
        try:
            if not eq:
                raise NumberError("no '='")
            out[k.strip()] = parse_number(v.strip())
        except NumberError as exc:
            raise UserError(f"--start {part!r}: expected KEY=NUMBER, e.g. U_beta_kJ_per_mol=75 "
                            f"({exc})") from None
    return out


def _check_out(out: str) -> Path:
    if not out.strip():
        raise UserError("--out '': give an output directory")
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise UserError(f"--out {out}: exists and is not a directory")
    for parent in p.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserError(f"--out {out}: {parent} is a file, not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UserError(f"--out {out}: {parent} is not writable")
            break
    return p


def _max_points(v) -> int | None:
    from ..fit.data import DEFAULT_MAX_POINTS

    if v is None:
        return DEFAULT_MAX_POINTS
    if v > MAX_POINTS_LIMIT:
        raise UserError(f"--max-points {v}: at most {MAX_POINTS_LIMIT}; beyond, each of the "
                        f"hundreds of model evaluations of a fit takes seconds (thin the data)")
    return v or MAX_POINTS_LIMIT


def _check_constants(flag, name, values):
    from ..fit.data import check_constant

    for v in values:
        if v is not None:
            check_constant(flag, name, v)


def run(args) -> int:
    """Fit the material to the data files and write the outputs (``mgmeso fit``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    from ..config import load_material
    from ..fit.core import fit_material
    from ..fit.data import (
        default_column_map,
        normalise_kind,
        parse_column_map,
        read_dataset,
    )
    from ..fit.derived import derived_fits
    from ..fit.report import (
        plot_fit,
        plot_tts,
        write_fit_json,
        write_material_toml,
        write_report,
    )
    from ..io.files import check_writable

    files = [Path(p) for p in args.data]
    n = len(files)
    kinds = [normalise_kind(k) for k in _per_file(args.kind, n, "--kind")]
    maps = _per_file(args.columns, n, "--columns")
    freqs = _per_file(args.frequency_Hz, n, "--frequency-Hz")
    temps = _per_file(args.temperature_K, n, "--temperature-K")
    stresses = _per_file(args.stress_MPa, n, "--stress-MPa")
    _check_constants("--frequency-Hz", "frequency_Hz", freqs)
    _check_constants("--temperature-K", "temperature_K", temps)
    _check_constants("--stress-MPa", "stress_MPa", stresses)
    if not 0.0 <= args.poisson_ratio < 0.5:
        raise UserError(f"--poisson-ratio {args.poisson_ratio:g}: must be in [0, 0.5) for an "
                        f"isotropic solid")
    tol = args.temperature_tolerance_K
    if not (math.isfinite(tol) and 0 < tol <= 50):
        raise UserError(f"--temperature-tolerance-K {tol:g}: must be in (0, 50] K")
    max_points = _max_points(args.max_points)
    if args.chi_law not in ("linear", "defects"):
        raise UserError(f"--chi-law {args.chi_law!r}: must be 'linear' or 'defects'")
    free = [s.strip() for s in args.free.split(",") if s.strip()]
    base, base_path, base_sources = load_material(args.material)
    start = _parse_start(args.start)
    out = _check_out(args.out)
    names = ["fit.json", "material.toml", "report.md"]
    fig_names = {i: f"fit_{i + 1}_{f.stem}.png" for i, f in enumerate(files)}
    tts_names = {i: f"tts_{i + 1}_{f.stem}.png" for i, (f, k) in enumerate(zip(files, kinds))
                 if k == "dma-isothermal"}
    # figures not drawn (--no-figures, too few sweeps) are still listed: a stale one of an earlier
    # fit in the same directory is removed, not left beside the new results
    names += list(fig_names.values()) + list(tts_names.values())
    if args.no_figures:
        fig_names, tts_names = {}, {}
    check_writable([out / nm for nm in names], args.overwrite)
    datasets = []
    for f, k, m, fr, T, s in zip(files, kinds, maps, freqs, temps, stresses):
        cmap = parse_column_map(m) if m else default_column_map(f)
        datasets.append(read_dataset(f, k, cmap, poisson_ratio=args.poisson_ratio, frequency_Hz=fr,
                                     temperature_K=T, stress_MPa=s, temperature_tolerance_K=tol,
                                     max_points=max_points))
    notes = [f"{ds.path}: {note}" for ds in datasets for note in ds.meta["notes"]]
    for note in notes:
        print(f"  note: {note}")
    res = fit_material(base, datasets, free, chi_law=args.chi_law, loss_only=args.loss_only,
                       start=start)
    derived = derived_fits(datasets)
    fnames = [str(f) for f in files]
    written = _write_all(out, res, derived, fnames, notes, datasets, files, fig_names, tts_names, base_path,
                         base_sources, names, (write_fit_json, write_material_toml, write_report,
                                               plot_fit, plot_tts))
    print(f"fitted {len(free)} parameter(s) to {res.n_points} points from {n} file(s) in "
          f"{res.wall_s:.2f} s ({res.nfev} optimiser steps, "
          f"{'converged' if res.converged else 'NOT converged'})")
    for k in free:
        se = res.std_errors[k]
        print(f"  {k} = {res.values[k]:.6g} +/- " + (f"{se:.3g}" if math.isfinite(se) else "undetermined"))
    for r in res.residuals:
        print(f"  rms residual of {r['column']} in {Path(r['file']).name}: {r['rms']:.4g} "
              f"({100 * r['rms_relative_to_max']:.1f} % of its largest value)")
    for t in derived.get("tts_shifts", []):
        line = f"  derived: TTS shifts of {Path(t['file']).name} ({t['curve']})"
        if "arrhenius" in t:
            line += f", Arrhenius E_a = {t['arrhenius']['E_a_kJ_per_mol']:.1f} kJ/mol"
        if "wlf" in t:
            line += (f", WLF C1 = {t['wlf']['C1']:.3g}, C2 = {t['wlf']['C2_K']:.3g} K"
                     + (" (at a bound: WLF does not describe them)" if t["wlf"]["at_bound"] else ""))
        print(line)
    if "beta_peak_arrhenius" in derived:
        a = derived["beta_peak_arrhenius"]
        print(f"  derived: Arrhenius fit of beta peaks U = {a['U_kJ_per_mol']:.2f} +/- "
              f"{a['U_se_kJ_per_mol']:.2f} kJ/mol")
    for w in res.warnings + derived.get("warnings", []):
        print(f"  warning: {w}")
    for p in written:
        print(f"wrote {p}")
    return 0


def _write_all(out, res, derived, fnames, notes, datasets, files, fig_names, tts_names, base_path,
               base_sources, names, writers) -> list[Path]:
    """Write every output into a staging directory beside ``out``, then move them into place."""
    write_fit_json, write_material_toml, write_report, plot_fit, plot_tts = writers
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    moved = False
    try:
        figs = []
        for i, nm in fig_names.items():
            plot_fit(res, i, files[i].name, stage / nm)
            figs.append(nm)
        tts_by_file = {t["file"]: t for t in derived.get("tts_shifts", [])}
        for i, nm in tts_names.items():
            t = tts_by_file.get(str(datasets[i].path))
            if t is not None:
                plot_tts(datasets[i], t, files[i].name, stage / nm)
                figs.append(nm)
        write_fit_json(res, derived, fnames, stage / "fit.json", notes)
        write_material_toml(res, base_path, base_sources, fnames, stage / "material.toml")
        _check_material(stage / "material.toml")
        write_report(res, derived, fnames, figs, stage / "report.md", notes)
        made = {p.name for p in stage.iterdir()}
        if not out.exists():
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(stage, 0o777 & ~mask)          # mkdtemp makes it 0700
            os.replace(stage, out)
            moved = True
        else:
            for nm in names:
                if nm in made:
                    os.replace(stage / nm, out / nm)
                elif (out / nm).exists():          # a stale figure of an earlier fit
                    (out / nm).unlink()
        return [out / nm for nm in names if nm in made]
    finally:
        if not moved:
            with contextlib.suppress(OSError):
                shutil.rmtree(stage)


def _check_material(path: Path) -> None:
    """Check that the written material loads (the fit keeps the constraints; this guards the writer)."""
    from ..config import load_material
    from ..errors import ConfigError

    try:
        load_material(str(path))
    except ConfigError as exc:                      # a bug, not a user error: keep the traceback
        raise RuntimeError(f"the fitted material does not load: {exc.format()}") from exc
