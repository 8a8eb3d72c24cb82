"""Write the example measurement files of validation/fit_examples (synthetic, [Hao2022] Table 1 parameters).

    python scripts/make_fit_examples.py [--out validation/fit_examples]

Prints the ``mgmeso fit`` command that fits each set back, and the command of the real-data
example in validation/fit_examples/pyvisco (which this script does not write).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from mgmeso.config import load_material
from mgmeso.fit import synthetic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="validation/fit_examples")
    out = Path(ap.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    mat = load_material("la60ni15al25")[0]
    rng = np.random.default_rng(2026)
    T = np.arange(320.0, 430.0, 1.0)
    for f in (1, 2, 4, 8, 16):
        cmap = synthetic.write_isochronal(mat, out / f"scan_{f}Hz.txt", float(f), T, rng, noise=0.005)
    print(f"mgmeso fit {' '.join(str(out / f'scan_{f}Hz.txt') for f in (1, 2, 4, 8, 16))} "
          f"--kind dma-isochronal --frequency-Hz 1 2 4 8 16 --columns {cmap} "
          f"--material la60ni15al25 --free U_beta_kJ_per_mol,tau_beta0_s --out out/fit_dma")
    cmap = synthetic.write_isothermal(mat, out / "sweeps.csv", [420.0, 440.0, 460.0],
                                      np.geomspace(0.01, 2.0, 12), rng)
    print(f"mgmeso fit {out / 'sweeps.csv'} --kind dma-isothermal --columns {cmap} "
          f"--material la60ni15al25 --free chi_g,a1_per_K --out out/fit_sweeps")
    cmap = synthetic.write_creep_recovery(mat, out / "creep_recovery_430K.csv", 430.0, 25.0, 330.0,
                                          1000.0, rng)
    print(f"mgmeso fit {out / 'creep_recovery_430K.csv'} --kind creep-recovery --temperature-K 430 "
          f"--columns {cmap} --material la60ni15al25 --free A_an_per_MPa,t0_s --out out/fit_creep")
    synthetic.write_relaxation(mat, out / "relaxation.txt", [400.0, 420.0], 0.005, 1800.0, rng)
    print(f"mgmeso fit {out / 'relaxation.txt'} --kind relaxation --material la60ni15al25 "
          f"--free A_an_per_MPa,chi_g --out out/fit_relaxation")
    pv = out / "pyvisco"                    # real data, shipped as published (not written here)
    print(f"mgmeso fit {pv / 'freq_user_raw.csv'} --kind dma_isothermal --columns "
          f"frequency=f,E_storage=E_stor,E_loss=E_loss,temperature=T,sweep=Set --material "
          f"{pv / 'polymer_start.toml'} --free E_unrelaxed_MPa,E_relaxed_beta_MPa,A_an_per_MPa,"
          f"U_beta_kJ_per_mol,chi_g,tau_beta0_s --start U_beta_kJ_per_mol=55 --out out/fit_pyvisco")


if __name__ == "__main__":
    main()
