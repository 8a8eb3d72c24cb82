"""Outputs of a fit: fit.json, a material TOML for `mgmeso run`/`theory`, report.md and figures."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np

from ..config.fields import field_specs
from ..config.material import Material
from ..io.files import atomic_write
from ..io.table import _jsonable
from .core import FitResult

__all__ = ["write_fit_json", "write_material_toml", "write_report", "plot_fit"]


def _toml_value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(float(v)) if isinstance(v, float) else str(v)


def write_material_toml(res: FitResult, base_path: Path | None, base_sources: dict, files: list[str],
                        path: Path) -> None:
    """A material file with the fitted values, every other value from the base, and [sources]."""
    mat = res.material
    today = datetime.date.today().isoformat()
    lines = ['description = """', f"{mat.name}: QPD parameters fitted by mgmeso fit on {today}",
             f"from {', '.join(files)}; fixed values from {base_path or 'the base material'}.",
             '"""', "", "[material]"]
    sources = {}
    for name in field_specs(Material):
        v = getattr(mat, name)
        if v is None:
            continue
        lines.append(f"{name} = {_toml_value(v)}")
        if name in res.values:
            sources[name] = (f"fitted by mgmeso fit ({today}) to {', '.join(files)}: "
                             f"{res.values[name]:.6g} +/- {res.std_errors[name]:.3g}")
        elif name in base_sources:
            sources[name] = base_sources[name]
    lines += ["", "[sources]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in sources.items()]
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def write_fit_json(res: FitResult, derived: dict, files: list[str], path: Path) -> None:
    doc = {
        "parameters": {k: {"value": res.values[k], "std_error": res.std_errors[k]} for k in res.free},
        "correlation": {"order": res.free, "matrix": res.correlation},
        "warnings": res.warnings,
        "n_points": res.n_points,
        "reduced_chi2_scaled_residuals": res.chi2_reduced,
        "function_evaluations": res.nfev,
        "wall_time_s": res.wall_s,
        "optimizer_message": res.message,
        "data_files": files,
        "data_kinds": [ds.kind for ds in res.datasets],
        "derived_fits": derived,
    }
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(_jsonable(doc), fh, indent=2)
        fh.write("\n")


def write_report(res: FitResult, derived: dict, files: list[str], figures: list[str], path: Path) -> None:
    L = [f"# Fit report: {res.material.name}", "",
         f"Data: {', '.join(f'`{f}` ({ds.kind}, {len(ds)} rows)' for f, ds in zip(files, res.datasets))}.",
         f"{res.n_points} residuals, {len(res.free)} free parameters, {res.nfev} model evaluations, "
         f"{res.wall_s:.2f} s. Reduced chi^2 of the scaled residuals: {res.chi2_reduced:.3g} "
         f"(standard errors are scaled by it).", "",
         "## Parameters", "", "| key | value | standard error | relative |", "|---|---|---|---|"]
    for k in res.free:
        v, se = res.values[k], res.std_errors[k]
        L.append(f"| `{k}` | {v:.6g} | {se:.3g} | {abs(se / v) if v else float('nan'):.2%} |")
    L += ["", "## Correlations", "", "| | " + " | ".join(res.free) + " |",
          "|---|" + "---|" * len(res.free)]
    for i, k in enumerate(res.free):
        L.append(f"| `{k}` | " + " | ".join(f"{res.correlation[i, j]:+.3f}" for j in range(len(res.free))) + " |")
    L += ["", "## Warnings", ""]
    L += [f"* {w}" for w in res.warnings] or ["None."]
    if derived:
        L += ["", "## Derived fits from the data alone", ""]
        if "beta_peak_arrhenius" in derived:
            a = derived["beta_peak_arrhenius"]
            L.append(f"* Arrhenius fit of beta-peak temperatures ([Hao2022] Fig. 3c): U = "
                     f"{a['U_kJ_per_mol']:.2f} +/- {a['U_se_kJ_per_mol']:.2f} kJ/mol, tau0 = "
                     f"{a['tau0_s']:.3g} s (peaks: " + ", ".join(
                         f"{p['frequency_Hz']:g} Hz at {p['T_K']:.1f} K" for p in derived["beta_peaks"]) + ")")
        for c in derived.get("chi_from_tan_delta", []):
            L.append(f"* chi from ln tan(delta) vs ln omega at {c['temperature_K']:g} K: "
                     f"{c['chi']:.3f} +/- {c['chi_se']:.3f}")
        for t in derived.get("tts_shifts", []):
            L.append(f"* time-temperature superposition of {t['curve']} (reference "
                     f"{t['reference_T_K']:g} K): log10 a_T = " + ", ".join(
                         f"{x['log10_a_T']:+.2f} at {x['temperature_K']:g} K" for x in t["shifts"]))
        for k in derived.get("kww", []):
            L.append(f"* KWW at {k['temperature_K']:g} K: tau_c = {k['tau_c_s']:.4g} s, beta_KWW = "
                     f"{k['beta_KWW']:.3f} +/- {k['beta_KWW_se']:.3f}")
    L += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(L) + "\n")


def plot_fit(res: FitResult, index: int, name: str, path: Path) -> None:
    """Data against model (top) and scaled residuals (bottom) for data set ``index``."""
    from ..plotting import plt, save_figure

    blocks = res.blocks[index]
    ds = res.datasets[index]
    fig, axes = plt.subplots(2, len(blocks), figsize=(5.6 * len(blocks), 6.0), squeeze=False,
                             gridspec_kw={"height_ratios": [3, 1]}, sharex="col")
    group = None
    if ds.kind == "dma-isochronal":
        group = ds.columns.get("frequency_Hz")
    elif ds.kind in ("dma-isothermal", "relaxation"):
        group = ds.columns.get("temperature_K")
    for j, b in enumerate(blocks):
        x = ds.columns[b.x_name]
        ax, rx = axes[0, j], axes[1, j]
        keys = np.unique(group) if group is not None else [None]
        colors = plt.cm.viridis(np.linspace(0.1, 0.85, len(keys)))
        for c, g in zip(colors, keys):
            idx = np.ones(x.size, bool) if g is None else group == g
            lab = "" if g is None else (f"{g:g} Hz" if ds.kind == "dma-isochronal" else f"{g:g} K")
            ax.plot(x[idx], b.data[idx], "o", ms=2.5, color=c, alpha=0.6, label=f"data {lab}")
            ax.plot(x[idx], b.model[idx], "-", lw=1.3, color=c, label=f"fit {lab}")
            rx.plot(x[idx], (b.model[idx] - b.data[idx]) / b.scale, ".", ms=2.5, color=c)
        rx.axhline(0, color="k", lw=0.6)
        if b.x_name in ("time_s", "frequency_Hz") and np.all(x > 0):
            ax.set_xscale("log")
        ax.set_ylabel(b.name)
        rx.set_ylabel("(model - data) / max")
        rx.set_xlabel(b.x_name)
        ax.legend(fontsize=6, ncol=2)
    fig.suptitle(f"{res.material.name}: fit to {name} ({ds.kind})", fontsize=10)
    save_figure(fig, path)
