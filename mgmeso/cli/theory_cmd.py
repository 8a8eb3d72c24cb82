"""``mgmeso theory CONFIG [--out DIR] [--plot] [--overwrite] [--set KEY=VALUE ...]``.

Evaluates the config's protocol with the analytical model and writes
``DIR/theory.csv`` (plus any secondary tables as ``DIR/<name>.csv``; for a protocol the kMC
runs as several cases, a first column ``case`` with the labels ``mgmeso export`` uses), the
summary ``DIR/theory.json`` and, with ``--plot``, ``DIR/theory.png``.
``theory.json`` lists the files written (``files``): with ``--overwrite``, the
files an earlier run listed there and this run does not write are removed, so
a directory never mixes the outputs of two protocols. A strain beyond the
model's range is reported as a warning (stderr and ``warnings`` in theory.json).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..io.files import prepare_outputs, remove_stale
from ..io.table import Table
from .common import add_set_option, config_from_args, output_label
from .info_cmd import versions


def register(sub) -> None:
    """Add the ``theory`` subcommand to the subparsers ``sub``.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The subparsers of the ``mgmeso`` parser.
    """
    p = sub.add_parser("theory", help="evaluate a protocol with the analytical QPD model")
    p.add_argument("config", help="config TOML file")
    p.add_argument("--out", metavar="DIR", help="output directory (default: [output] dir or "
                   "out/<config name>)")
    p.add_argument("--plot", action="store_true", help="also write theory.png")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files (and "
                   "remove the files an earlier 'mgmeso theory' wrote there that this run does not)")
    p.add_argument("--quiet", action="store_true", help="print only the output paths")
    add_set_option(p)
    p.set_defaults(func=run)


# secondary table names, per protocol kind, known before evaluation (to refuse overwrites early)
_EXTRA_TABLES = {
    "dma_isothermal": ("chi", "master_curve", "shift_factors"),
    "stepped_relaxation": ("relaxation_curves",),
    "cyclic_training": ("energy_terminal",),
}


def _previous_files(meta_path: Path) -> list[str]:
    """Files an earlier run listed in its theory.json (its manifest); [] if none or unreadable."""
    try:
        files = json.loads(meta_path.read_text(encoding="utf-8")).get("files", [])
    except (OSError, ValueError, AttributeError):
        return []
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) else []


def run(args) -> int:
    """Evaluate the config's protocol and write its tables, summary and figure.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed arguments.

    Returns
    -------
    int
        Exit code: 0 on success (user errors raise and become exit code 2).
    """
    from ..config.limits import strain_warning
    from ..theory import evaluate

    cfg = config_from_args(args)
    out_dir = cfg.output_dir(args.out)
    plot = args.plot or cfg.output.plot
    kind = cfg.protocol.kind
    names = ["theory.csv", "theory.json"] + [f"{n}.csv" for n in _EXTRA_TABLES.get(kind, ())]
    if plot:
        names.append("theory.png")
    paths = prepare_outputs(out_dir, names, args.overwrite, arg=output_label(args.out, cfg))
    out_dir = paths[0].parent
    previous = _previous_files(paths[1]) if args.overwrite else []
    result = evaluate(cfg)
    warnings = [w for name, table in result.tables.items() if "strain" in table.columns
                and "time_s" in table.columns
                for w in [strain_warning(table["time_s"], table["strain"],
                                         "strain" if name == "theory" else f"strain of {name}")]
                if w]
    written = []
    labels = _case_labels(cfg)
    for name, table in result.tables.items():
        p = out_dir / f"{name}.csv"
        _with_case_column(table, labels).to_csv(p)
        written.append(p)
    if plot:
        from ..plotting.theory_plots import plot_theory
        plot_theory(result, cfg, out_dir / "theory.png")
        written.append(out_dir / "theory.png")
    # the manifest: every file this run wrote, so that a later --overwrite removes what it
    # does not rewrite (and nothing else)
    meta = {"config": str(cfg.path), "title": cfg.title, "protocol": kind,
            "material_file": cfg.material_origin, "summary": result.summary,
            "warnings": warnings, "versions": versions(),
            "files": sorted({p.name for p in written} | {paths[1].name})}
    Table({}, meta).write_meta(paths[1])
    written.append(paths[1])
    removed = remove_stale(out_dir, previous, meta["files"])
    for w in warnings:
        print(f"mgmeso: warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(f"{cfg.title or cfg.name}")
        for line in summary_lines(result):
            print(f"  {line}")
    for p in written:
        print(f"wrote {p}")
    for p in removed:
        print(f"removed {p} (written by an earlier run, not by this one)")
    return 0


def _case_labels(cfg) -> list[str]:
    """Labels of the kMC cases of the protocol (several: the CSVs get a ``case`` column)."""
    p = cfg.protocol
    if not getattr(p, "runs_in_kmc", False):
        return []
    try:
        return [label for label, _ in p.kmc_cases()]
    except Exception:  # noqa: BLE001 - a protocol the kMC cannot compile has no kMC cases
        return []


def _with_case_column(table: Table, labels: list[str]) -> Table:
    """``table`` with the kMC's ``case`` label first, where each row belongs to one case (the
    cases are frequencies "<f> Hz" or temperatures "<T> K", as ``mgmeso export`` labels them).
    """
    if len(labels) < 2 or "case" in table.columns:
        return table
    for col, unit in (("frequency_Hz", "Hz"), ("temperature_K", "K")):
        if col in table.columns:
            lab = np.array([f"{v:g} {unit}" for v in table[col]], dtype=str)
            if lab.size and set(lab) <= set(labels):
                return Table({"case": lab, **table.columns}, table.meta)
    return table


def _fmt(x, unit="", digits=4):
    if x is None:
        return "-"
    return f"{x:.{digits}g}{(' ' + unit) if unit else ''}"


def summary_lines(result) -> list[str]:
    """Summarise the result in a few human-readable lines (the first result a newcomer sees).

    Parameters
    ----------
    result : TheoryResult
        The evaluated protocol.

    Returns
    -------
    list of str
        The lines.
    """
    s = result.summary
    k = result.kind
    lines: list[str] = []
    if k == "dma_isochronal":
        for f in s["features"]:
            beta = (f"beta {f['beta_kind']} at {_fmt(f['beta_T_K'], 'K')}"
                    if f["beta_kind"] != "none" else "no beta feature")
            lines.append(f"{f['frequency_Hz']:g} Hz: {beta}, alpha peak at {_fmt(f['alpha_T_K'], 'K')} "
                         f"(paper form: {_fmt(f['alpha_T_K_paper'], 'K')}); "
                         f"E' at start {_fmt(f['E_storage_start_MPa'] / 1e3, 'GPa')}")
        if "beta_peak_arrhenius" in s:
            a = s["beta_peak_arrhenius"]
            lines.append(f"Arrhenius fit of beta peaks: U = {a['U_kJ_per_mol']:.2f} +/- "
                         f"{a['U_se_kJ_per_mol']:.2f} kJ/mol, tau0 = {a['tau0_s']:.3g} s")
        fr = s["fragility"]
        lines.append(f"fragility m = {fr['m_above_Tg']:.1f} just above Tg, {fr['m_below_Tg']:.1f} "
                     f"just below; m_beta = {fr['m_beta']:.2f}")
    elif k == "dma_isothermal":
        chi = result.tables["chi"]
        lines.append(f"{len(chi)} isotherms; chi from ln tan(delta) slope: "
                     f"{chi['chi_from_slope'].min():.3f} to {chi['chi_from_slope'].max():.3f} "
                     f"(model chi {chi['chi_model'].min():.3f} to {chi['chi_model'].max():.3f})")
        lines.append(f"master curve referenced to {s['reference_T_K']:g} K")
    elif k == "creep":
        lines.append(f"tau_beta = {_fmt(s['tau_beta_s'], 's')}, chi = {s['chi']:.3f}, "
                     f"tau_an = {_fmt(s['tau_an_s'], 's')}, tau_max = {_fmt(s['tau_max_s'], 's')}")
        lines.append(f"strain at end of creep {_fmt(s['strain_end_of_creep'])}, steady creep rate "
                     f"{_fmt(s['steady_creep_rate_per_s'], '1/s')}")
        if "permanent_strain" in s:
            lines.append(f"after recovery: strain {_fmt(s['strain_end_of_recovery'])}, of which "
                         f"plastic {_fmt(s['permanent_strain'])}")
    elif k == "stress_relaxation":
        for r in s["temperatures"]:
            edge = ", still accelerating at the window end" if r["still_accelerating_at_end"] else ""
            lines.append(f"{r['temperature_K']:g} K: sigma {r['stress_first_MPa']:.1f} -> "
                         f"{r['stress_end_MPa']:.1f} MPa, {r['n_steps']} decay step(s) with a "
                         f"maximum inside the window{edge}")
    elif k == "tension":
        lines.append(f"peak stress {s['peak_stress_MPa']:.1f} MPa at strain {s['strain_at_peak']:.4f}; "
                     f"permanent strain {s['permanent_strain']:.4f}; chi up to {s['chi_max']:.4f} "
                     f"({'non-linear' if s['nonlinear'] else 'linear'} model)")
    elif k == "stepped_relaxation":
        lines.append(f"{s['n_steps']} steps; liquid-like fraction delta reaches 0.15 at "
                     f"{_fmt(s['T_delta_0.15_K'], 'K')}, 0.25 at {_fmt(s['T_delta_0.25_K'], 'K')}, "
                     f"0.5 at {_fmt(s['T_delta_0.5_K'], 'K')}; d delta/dT peaks at "
                     f"{_fmt(s['T_max_ddelta_dT_K'], 'K')}")
    elif k == "cyclic_training":
        term = result.tables["energy_terminal"]
        for f, T, W in zip(term["frequency_Hz"], term["temperature_K"], term["energy_total_MJ_per_m3"]):
            if T == term["temperature_K"].max():
                lines.append(f"{f:g} Hz: total input energy to {T:g} K = {W:.4g} MJ/m^3")
        if "energy_frequency_exponent" in s:
            ex = ", ".join(f"{T} K: {v:.3f}" for T, v in s["energy_frequency_exponent"].items())
            lines.append(f"exponent n of dW ~ f^n: {ex}")
    elif k == "program":
        t = result.tables["theory"]
        lines.append(f"{s['segments']} segments, {len(t)} samples over {t['time_s'][-1]:.4g} s")
    return lines
