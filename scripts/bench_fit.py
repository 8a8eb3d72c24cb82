"""Wall time of `mgmeso fit` fits on the example files (validation/fit_examples), in one run.

    python scripts/bench_fit.py

Writes the example files to a temporary directory, fits each set from a perturbed start
(as the printed commands of scripts/make_fit_examples.py do) and prints points, model
evaluations, optimiser wall time and the recovered values against the truth. The
issue's target: a fit of a few hundred points finishes in seconds.

Then two real-size cases: the shipped pyvisco polymer export (210 rows, six free parameters)
and a 120,000-row, 3.4 MB isochronal export (read, thinned to 4000 rows, fitted), each with its
wall time and the peak of Python-allocated memory (tracemalloc, numpy arrays included, measured
in a second run).
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from mgmeso.config import load_material
from mgmeso.fit import synthetic
from mgmeso.fit.core import fit_material
from mgmeso.fit.data import parse_column_map, read_dataset


def main() -> None:
    mat = load_material("la60ni15al25")[0]
    rng = np.random.default_rng(2026)
    d = Path(tempfile.mkdtemp())
    cases = []
    T = np.arange(320.0, 430.0, 1.0)
    dss = []
    for f in (1, 2, 4, 8, 16):
        cmap = synthetic.write_isochronal(mat, d / f"s{f}.txt", float(f), T, rng, noise=0.005)
        dss.append(read_dataset(d / f"s{f}.txt", "dma-isochronal", parse_column_map(cmap),
                                frequency_Hz=float(f)))
    cases.append(("isochronal DMA, 5 frequencies", dss,
                  {"U_beta_kJ_per_mol": 75.0, "tau_beta0_s": 1e-11}))
    cmap = synthetic.write_isothermal(mat, d / "sw.csv", [420.0, 440.0, 460.0],
                                      np.geomspace(0.01, 2, 12), rng)
    cases.append(("isothermal sweeps, 3 temperatures", [read_dataset(d / "sw.csv", "dma-isothermal",
                  parse_column_map(cmap))], {"chi_g": 0.3, "a1_per_K": 0.004}))
    cmap = synthetic.write_creep_recovery(mat, d / "cr.csv", 430.0, 25.0, 330.0, 1000.0, rng)
    cases.append(("creep-recovery 430 K", [read_dataset(d / "cr.csv", "creep-recovery",
                  parse_column_map(cmap), temperature_K=430.0)], {"A_an_per_MPa": 3e-5, "t0_s": 1e-6}))
    synthetic.write_relaxation(mat, d / "rel.txt", [400.0, 420.0], 0.005, 1800.0, rng)
    cases.append(("stress relaxation, 2 temperatures", [read_dataset(d / "rel.txt", "relaxation",
                  {k: k for k in ("time_s", "stress_MPa", "strain", "temperature_K")})],
                  {"A_an_per_MPa": 2.5e-5, "chi_g": 0.35}))
    fit_material(mat, cases[2][1], ["A_an_per_MPa"])      # warm-up (imports, caches)
    for name, dss, start in cases:
        t0 = time.perf_counter()
        res = fit_material(mat, dss, list(start), start=start)
        wall = time.perf_counter() - t0
        vals = ", ".join(f"{k} {res.values[k]:.5g} +/- {res.std_errors[k]:.2g} (true "
                         f"{getattr(mat, k):.5g})" for k in start)
        print(f"{name:36s} {res.n_points:5d} points {res.nfev:3d} evaluations {wall:6.2f} s: {vals}")


def _measured(fn):
    """Result, wall time (s) of a plain run, and the allocation peak (MB) of a second, traced run
    (tracemalloc slows allocation-heavy code such as reading a file many times over).
    """
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, wall, peak / 2**20


def real_size() -> None:
    from mgmeso.theory.gumbel import gumbel_grid
    from mgmeso.theory.protocols import dma_columns

    ex = Path(__file__).resolve().parents[1] / "validation" / "fit_examples" / "pyvisco"
    cols = {"frequency": "f", "E_storage": "E_stor", "E_loss": "E_loss", "temperature": "T",
            "sweep": "Set"}
    base = load_material(str(ex / "polymer_start.toml"))[0]
    free = ["E_unrelaxed_MPa", "E_relaxed_beta_MPa", "A_an_per_MPa", "U_beta_kJ_per_mol", "chi_g",
            "tau_beta0_s"]
    ds, t_read, m_read = _measured(lambda: read_dataset(ex / "freq_user_raw.csv", "dma_isothermal", cols))
    res, t_fit, m_fit = _measured(lambda: fit_material(base, [ds], free, start={"U_beta_kJ_per_mol": 55.0}))
    print(f"pyvisco polymer, {len(ds)} rows: read {t_read:.2f} s ({m_read:.0f} MB peak), fit "
          f"{t_fit:.2f} s ({m_fit:.0f} MB peak), {res.nfev} optimiser steps, "
          f"{'converged' if res.converged else 'NOT converged'}")
    mat = load_material("la60ni15al25")[0]
    Tc = np.linspace(320.0, 430.0, 200)
    m = dma_columns(mat, Tc, 1.0, gumbel_grid(mat.B_beta, 121))
    T = np.linspace(320.0, 430.0, 120_000)
    rng = np.random.default_rng(1)
    d = Path(tempfile.mkdtemp())
    p = d / "big.txt"
    with open(p, "w") as fh:
        fh.write("temperature_K\tE_storage_MPa\tE_loss_MPa\n")
        fh.writelines(f"{a:.4f}\t{b:.2f}\t{c:.3f}\n" for a, b, c in zip(
            T, np.interp(T, Tc, m["E_storage_MPa"]) * (1 + 0.002 * rng.normal(size=T.size)),
            np.interp(T, Tc, m["E_loss_MPa"]) * (1 + 0.01 * rng.normal(size=T.size))))
    cmap = {k: k for k in ("temperature_K", "E_storage_MPa", "E_loss_MPa")}
    ds, t_read, m_read = _measured(lambda: read_dataset(p, "dma-isochronal", cmap, frequency_Hz=1.0))
    start = {"U_beta_kJ_per_mol": 80.0, "tau_beta0_s": 5e-13}
    res, t_fit, m_fit = _measured(lambda: fit_material(mat, [ds], list(start), start=start))
    print(f"isochronal export, 120000 rows ({p.stat().st_size / 1e6:.1f} MB) thinned to {len(ds)}: "
          f"read {t_read:.2f} s ({m_read:.0f} MB peak), fit {t_fit:.2f} s ({m_fit:.0f} MB peak): "
          f"U_beta {res.values['U_beta_kJ_per_mol']:.3f} +/- {res.std_errors['U_beta_kJ_per_mol']:.2g}")


if __name__ == "__main__":
    main()
    real_size()
