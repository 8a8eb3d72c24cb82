"""Group 9: fitting round trips through ``mgmeso fit``, one per data kind.

Synthetic measurements are written from the analytical model with [Hao2022] Table 1
(the truth) and fixed-seed noise, in the canonical column names, and fitted through
the command line (``mgmeso.cli.main(["fit", ...])``: the case depends on the fit's
documented interface, not on its internals). Tolerance (the one of
``validation/fit_examples``): every fitted value lies within 3 of its reported
standard errors of the truth, and the standard error is below 20 % of the value.
With 2 parameters per kind and 5 kinds, 10 comparisons; the 3-SE band is a
two-sided 0.27 % test each, so about 0.03 false alarms per run are expected.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..core import Case, closed, register

GROUP = "9 fitting"

#: data kind -> (free parameters, starting values)
PLANS = {
    "dma-isochronal": ("U_beta_kJ_per_mol,tau_beta0_s", "U_beta_kJ_per_mol=76,tau_beta0_s=1e-11"),
    "dma-isothermal": ("chi_g,a1_per_K", "chi_g=0.36,a1_per_K=0.003"),
    "creep": ("A_an_per_MPa,t0_s", "A_an_per_MPa=3e-5,t0_s=2e-6"),
    "creep-recovery": ("A_an_per_MPa,t0_s", "A_an_per_MPa=3e-5,t0_s=2e-6"),
    "relaxation": ("A_an_per_MPa,t0_s", "A_an_per_MPa=2.5e-5,t0_s=3e-6"),
}


def _write(path: Path, header: list[str], rows: np.ndarray) -> None:
    lines = [",".join(header)] + [",".join(f"{v:.10g}" for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n")


def _synthetic(kind: str, mat, d: Path, rng, st) -> tuple[list[str], list[str]]:
    """Write the data file(s) of one kind; returns (files, extra CLI arguments)."""
    from ...theory import creep_compliance, creep_recovery_strain, dma_columns, gumbel_grid, state_point
    from ...theory.volterra import relax_stress

    g = gumbel_grid(mat.B_beta, 121)
    n = int(st["points"])
    f: Any
    T: Any
    s: Any
    t: Any
    rows: Any                 # names reused by the branches below, with different types
    if kind == "dma-isochronal":
        files = []
        T = np.linspace(320.0, 430.0, n)
        for f in (1.0, 4.0, 16.0):
            c = dma_columns(mat, T, f, g)
            s = 0.005 * c["E_loss_MPa"].max()
            rows = np.column_stack([T, np.full(n, f), c["E_storage_MPa"] + rng.normal(0, s, n),
                                    c["E_loss_MPa"] + rng.normal(0, s, n)])
            p = d / f"scan_{f:g}Hz.csv"
            _write(p, ["temperature_K", "frequency_Hz", "E_storage_MPa", "E_loss_MPa"], rows)
            files.append(str(p))
        return files, []
    if kind == "dma-isothermal":
        f = np.geomspace(0.01, 2.0, 12)
        rows = []
        for T in (400.0, 420.0, 440.0, 460.0, 480.0):
            c = dma_columns(mat, T, f, g)
            rows.append(np.column_stack([np.full(f.size, T), f,
                                         c["tan_delta"] * (1 + rng.normal(0, 0.01, f.size))]))
        p = d / "sweeps.csv"
        _write(p, ["temperature_K", "frequency_Hz", "tan_delta"], np.vstack(rows))
        return [str(p)], []
    if kind in ("creep", "creep-recovery"):
        T, sig, t_load = 430.0, 25.0, 330.0
        sp = state_point(mat, T)
        if kind == "creep":
            t = np.geomspace(0.5, t_load, n)
            eps = sig * creep_compliance(mat, t, sp, g)["total"]
            stress = np.full(t.size, sig)
        else:
            t = np.unique(np.concatenate([np.geomspace(0.5, t_load, n // 2),
                                          t_load + np.geomspace(0.5, 1000.0, n // 2)]))
            eps = creep_recovery_strain(mat, t, sp, g, sig, t_load)
            after = t >= t_load
            stress = np.where(after, 0.0, sig)
        eps = eps + rng.normal(0, 0.005 * eps.max(), t.size)
        p = d / f"{kind}.csv"
        _write(p, ["time_s", "strain", "stress_MPa"], np.column_stack([t, eps, stress]))
        return [str(p)], ["--temperature-K", "430"]
    if kind == "relaxation":
        t = np.geomspace(0.5, 1800.0, n)
        rows = []
        for T in (400.0, 420.0):
            s = relax_stress(mat, state_point(mat, T), g, lambda x: np.full_like(x, 0.005), t)["stress_MPa"]
            rows.append(np.column_stack([t, s * (1 + rng.normal(0, 0.005, n)), np.full(n, 0.005),
                                         np.full(n, T)]))
        p = d / "relaxation.csv"
        _write(p, ["time_s", "stress_MPa", "strain", "temperature_K"], np.vstack(rows))
        return [str(p)], []
    raise ValueError(kind)


def _measure(ctx) -> dict:
    from ...cli import main

    st = ctx.settings
    truth = ctx.material()              # the data are made from this material ...
    rng = np.random.default_rng(int(st.get("seed", 2027)))
    out = {}
    with tempfile.TemporaryDirectory(prefix="mgmeso-validate-fit-") as tmp:
        for kind in st["kinds"]:
            d = Path(tmp) / kind
            d.mkdir()
            files, extra = _synthetic(kind, truth, d, rng, st)
            free, start = PLANS[kind]
            argv = ["fit", *files, "--kind", kind, "--material", "la60ni15al25", "--free", free,
                    "--start", start, "--out", str(d / "fit"), *extra]   # ... and fitted from Table 1
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
                code = main(argv)
            doc = json.loads((d / "fit" / "fit.json").read_text()) if code == 0 else {}
            out[kind] = {"code": code, "stderr": err.getvalue()[-2000:],
                         "parameters": doc.get("parameters", {}),
                         "warnings": doc.get("warnings", []),
                         "truth": {k: float(getattr(truth, k)) for k in free.split(",")}}
    return out


def _judge(m, refs):
    checks = []
    for kind, r in m.items():
        if r["code"] != 0:
            checks.append(closed(f"{kind}: mgmeso fit ran", False, r["code"], 0, "exit code", "0",
                                 "mgmeso fit", r.get("stderr", "")))
            continue
        for name, true in r["truth"].items():
            p = r["parameters"][name]
            z = (p["value"] - true) / p["std_error"] if p["std_error"] > 0 else float("inf")
            rel = p["std_error"] / abs(p["value"])
            checks.append(closed(f"{kind}: {name}", abs(z) < 3 and rel < 0.2,
                                 float(f"{p['value']:.5g}"), float(f"{true:.5g}"), "",
                                 "|z| < 3 and SE < 20 %", "synthetic data from [Hao2022] Table 1",
                                 f"z = {z:+.2f}, SE {100 * rel:.2g} %"
                                 + (f"; warnings: {'; '.join(r['warnings'])}" if r["warnings"] else "")))
    return checks


def _figure(m, refs):
    from ...plotting import plt

    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    labels, z = [], []
    for kind, r in m.items():
        for name, true in r["truth"].items():
            p = r["parameters"].get(name)
            if p:
                labels.append(f"{kind}\n{name}")
                z.append((p["value"] - true) / p["std_error"])
    ax.bar(range(len(z)), z, color="tab:blue")
    ax.axhspan(-3, 3, color="0.92", zorder=0)
    ax.set_xticks(range(len(z)), labels, fontsize=7, rotation=30, ha="right")
    ax.set_ylabel("(fitted - truth) / SE")
    ax.set_title("mgmeso fit round trips (band: +/- 3 SE)", fontsize=10)
    return fig


register(Case(
    "fit_round_trips", GROUP, "Fitting round trips of every data kind through mgmeso fit",
    "synthetic data from [Hao2022] Table 1", _measure, _judge, _figure,
    quick={"kinds": ["dma-isochronal", "creep-recovery", "relaxation"], "points": 50, "cost_s": 20},
    full={"kinds": list(PLANS), "points": 80, "cost_s": 60}))
