"""Outputs of a fit: fit.json, a material TOML for `mgmeso run`/`theory`, report.md.

Undetermined standard errors are written as ``null`` in JSON and "undetermined" in the report;
correlations of undetermined parameters likewise. Figures are in :mod:`mgmeso.fit.figures`.
"""

from __future__ import annotations

import datetime
import json
import math
from pathlib import Path

from ..config.fields import field_specs
from ..config.material import Material
from ..io.files import atomic_write
from ..io.table import _jsonable
from .core import FitResult
from .figures import plot_fit, plot_tts

__all__ = ["plot_fit", "plot_tts", "write_fit_json", "write_material_toml", "write_report"]


def _toml_value(v) -> str:
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(float(v)) if isinstance(v, float) else str(v)


def _se_text(se: float) -> str:
    return f"{se:.3g}" if math.isfinite(se) else "undetermined"


def write_material_toml(res: FitResult, base_path: Path | None, base_sources: dict, files: list[str],
                        path: Path) -> None:
    """Write a material file with the fitted values, every other value from the base, and [sources].

    Parameters
    ----------
    res : FitResult
        The fit.
    base_path : pathlib.Path, optional
        File of the base material.
    base_sources : dict
        Its ``[sources]`` notes (kept for the fixed values).
    files : list of str
        The data files (named in the new sources).
    path : pathlib.Path
        File to write.
    """
    mat = res.material
    today = datetime.date.today().isoformat()
    lines = ['description = """', f"{mat.name}: QPD parameters fitted by mgmeso fit on {today}",
             (f"from {', '.join(Path(f).name for f in files)}; fixed values from "
              f"{Path(base_path).name if base_path else 'the base material'}."), '"""', "",
             "[material]"]
    sources = {}
    for name in field_specs(Material):
        v = getattr(mat, name)
        if v is None:
            continue
        lines.append(f"{name} = {_toml_value(v)}")
        if name in res.values:
            flag = " (undetermined by the data)" if name in res.undetermined else ""
            flag += f" (at the {res.at_bound[name]} bound)" if name in res.at_bound else ""
            sources[name] = (f"fitted by mgmeso fit ({today}) to {', '.join(Path(f).name for f in files)}: "
                             f"{res.values[name]:.6g} +/- {_se_text(res.std_errors[name])}{flag}")
        elif name in base_sources:
            sources[name] = base_sources[name]
    lines += ["", "[sources]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in sources.items()]
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def write_fit_json(res: FitResult, derived: dict, files: list[str], path: Path,
                   notes: list[str] | None = None) -> None:
    """Write ``fit.json``: parameters with errors, correlations, convergence, warnings.

    Parameters
    ----------
    res : FitResult
        The fit.
    derived : dict
        The derived fits (:func:`~mgmeso.fit.derived.derived_fits`).
    files : list of str
        The data files.
    path : pathlib.Path
        File to write.
    notes : list of str, optional
        Notes on reading the data.
    """
    doc = {
        "parameters": {k: {"value": res.values[k], "std_error": res.std_errors[k],
                           "undetermined": k in res.undetermined,
                           "at_bound": res.at_bound.get(k)} for k in res.free},
        "correlation": {"order": res.free, "matrix": res.correlation},
        "converged": res.converged,
        "warnings": res.warnings + derived.get("warnings", []),
        "notes": list(notes or []),
        "n_points": res.n_points,
        "reduced_chi2_scaled_residuals": res.chi2_reduced,
        "residuals": res.residuals,
        "function_evaluations": res.nfev,
        "wall_time_s": res.wall_s,
        "optimizer_message": res.message,
        "data_files": files,
        "data_kinds": [ds.kind for ds in res.datasets],
        "derived_fits": {k: v for k, v in derived.items() if k != "warnings"},
    }
    with atomic_write(path, "w", encoding="utf-8") as fh:
        json.dump(_jsonable(doc), fh, indent=2, allow_nan=False)
        fh.write("\n")


def _corr_text(v: float) -> str:
    return f"{v:+.3f}" if math.isfinite(v) else "n/a"


def write_report(res: FitResult, derived: dict, files: list[str], figures: list[str], path: Path,
                 notes: list[str] | None = None) -> None:
    """Write ``report.md``: the fit, its parameters, correlations, derived fits and figures.

    Parameters
    ----------
    res : FitResult
        The fit.
    derived : dict
        The derived fits.
    files : list of str
        The data files.
    figures : list of str
        File names of the figures (linked).
    path : pathlib.Path
        File to write.
    notes : list of str, optional
        Notes on reading the data.
    """
    L = [f"# Fit report: {res.material.name}", "",
         "Data: " + ", ".join(f"`{Path(f).name}` ({ds.kind}, {len(ds)} rows)"
                              for f, ds in zip(files, res.datasets)) + ".",
         (f"{res.n_points} residuals, {len(res.free)} free parameters, {res.nfev} optimiser steps, "
          f"{res.wall_s:.2f} s; {'converged' if res.converged else 'NOT converged'} "
          f"({res.message}). Reduced chi^2 of the scaled residuals: {res.chi2_reduced:.3g} "
          f"(standard errors are scaled by it)."), ""]
    if notes:
        L += ["## Notes on reading the data", ""] + [f"* {n}" for n in notes] + [""]
    L += ["## Parameters", "", "| key | value | standard error | relative |", "|---|---|---|---|"]
    for k in res.free:
        v, se = res.values[k], res.std_errors[k]
        rel = f"{abs(se / v):.2%}" if math.isfinite(se) and v else "-"
        tag = f" (at {res.at_bound[k]} bound)" if k in res.at_bound else ""
        L.append(f"| `{k}` | {v:.6g}{tag} | {_se_text(se)} | {rel} |")
    L += ["", "## Correlations", "", "| | " + " | ".join(res.free) + " |",
          "|---|" + "---|" * len(res.free)]
    for i, k in enumerate(res.free):
        L.append(f"| `{k}` | " + " | ".join(_corr_text(res.correlation[i, j])
                                             for j in range(len(res.free))) + " |")
    L += ["", "## Residuals", "", "| file | column | points | rms | rms / max data | largest |",
          "|---|---|---|---|---|---|"]
    for r in res.residuals:
        L.append(f"| `{Path(r['file']).name}` | {r['column']} | {r['n']} | {r['rms']:.4g} | "
                 f"{r['rms_relative_to_max']:.2%} | {r['max_abs']:.4g} |")
    warnings = res.warnings + derived.get("warnings", [])
    L += ["", "## Warnings", ""]
    L += [f"* {w}" for w in warnings] or ["None."]
    L += _derived_lines(derived)
    L += ["", "## Figures", ""] + [f"![{f}]({f})" for f in figures]
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(L) + "\n")


def _derived_lines(derived: dict) -> list[str]:
    keys = [k for k in derived if k not in ("warnings",)]
    if not keys:
        return []
    L = ["", "## Derived fits from the data alone", ""]
    if "beta_peak_arrhenius" in derived:
        a = derived["beta_peak_arrhenius"]
        L.append(f"* Arrhenius fit of beta-peak temperatures ([Hao2022] Fig. 3c): U = "
                 f"{a['U_kJ_per_mol']:.2f} +/- "
                 f"{a['U_se_kJ_per_mol']:.2f} kJ/mol, tau0 = {a['tau0_s']:.3g} s (peaks: " + ", ".join(
                     f"{p['frequency_Hz']:g} Hz at {p['T_K']:.1f} K" for p in derived["beta_peaks"]) + ")")
    for c in derived.get("chi_from_tan_delta", []):
        L.append(f"* chi from ln tan(delta) vs ln omega at {c['temperature_K']:.2f} K: "
                 f"{c['chi']:.3f} +/- {c['chi_se']:.3f}")
    for t in derived.get("tts_shifts", []):
        L += ["", (f"Time-temperature superposition of `{Path(t['file']).name}` on {t['curve']} "
                   f"(reference {t['reference_T_K']:.2f} K, horizontal shifts; "
                   f"{'monotonic' if t['monotonic'] else 'NOT monotonic'} in T):"), "",
              "| T (K) | log10 a_T |", "|---|---|"]
        L += [f"| {s['temperature_K']:.2f} | {s['log10_a_T']:+.3f} |" for s in t["shifts"]]
        if "arrhenius" in t:
            a = t["arrhenius"]
            L.append(f"\nArrhenius fit of the shifts: E_a = {a['E_a_kJ_per_mol']:.1f} +/- "
                     f"{a['E_a_se_kJ_per_mol']:.1f} kJ/mol, rms {a['rms_decades']:.3f} decades.")
        if "wlf" in t:
            w = t["wlf"]
            L.append(f"WLF fit of the shifts (T_ref = {w['T_ref_K']:.2f} K): C1 = {w['C1']:.4g} +/- "
                     f"{w['C1_se']:.2g}, C2 = {w['C2_K']:.4g} +/- {w['C2_se_K']:.2g} K, rms "
                     f"{w['rms_decades']:.3f} decades"
                     + (" (a parameter at its bound: WLF does not describe these shifts)."
                        if w.get("at_bound") else "."))
    for sk in derived.get("skipped", []):
        L.append(f"* not computed: {sk}")
    for k in derived.get("kww", []):
        L.append(f"* KWW at {k['temperature_K']:g} K: tau_c = {k['tau_c_s']:.4g} s, beta_KWW = "
                 f"{k['beta_KWW']:.3f} +/- {k['beta_KWW_se']:.3f}")
    return L
