"""Synthetic measurement files from the analytical model, with noise, in instrument shapes.

Used by the round-trip tests and by ``scripts/make_fit_examples.py`` (the example files
in ``validation/fit_examples``). Every file is written the way a lab would export it
(other units, other separators, other headers), together with the ``--columns`` map that
reads it back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config.material import Material
from ..theory.compliance import creep_recovery_strain, state_point
from ..theory.gumbel import gumbel_grid
from ..theory.volterra import relax_stress

__all__ = ["write_creep_recovery", "write_isochronal", "write_isothermal", "write_relaxation"]


def _grid(mat):
    return gumbel_grid(mat.B_beta, 121)


def write_isochronal(mat: Material, path: Path, f_Hz: float, T_K: np.ndarray, rng,
                     noise: float = 0.01) -> str:
    """E', E'' (GPa) against T (deg C), tab-separated; noise as a fraction of max E''.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    path : pathlib.Path
        File to write.
    rng : numpy.random.Generator
        Noise stream.
    noise : float
        Noise level (see above).
    f_Hz : float
        Frequency (Hz).
    T_K : numpy.ndarray
        Temperatures (K).

    Returns
    -------
    str
        The ``--columns`` map that reads the file back.
    """
    from ..theory.protocols import dma_columns

    m = dma_columns(mat, T_K, f_Hz, _grid(mat))
    s = noise * m["E_loss_MPa"].max()
    Ep = m["E_storage_MPa"] + rng.normal(0, s, T_K.size)
    Epp = m["E_loss_MPa"] + rng.normal(0, s, T_K.size)
    lines = [f"# synthetic isochronal DMA scan, {f_Hz:g} Hz (mgmeso.fit.synthetic)", "Temp\tEp\tEpp"]
    lines += [f"{T - 273.15:.3f}\t{a / 1e3:.7g}\t{b / 1e3:.7g}" for T, a, b in zip(T_K, Ep, Epp)]
    Path(path).write_text("\n".join(lines) + "\n")
    return "temperature_degC=Temp,E_storage_GPa=Ep,E_loss_GPa=Epp"


def write_isothermal(mat: Material, path: Path, T_K, f_Hz: np.ndarray, rng,
                     noise: float = 0.01) -> str:
    """tan(delta) against angular frequency (rad/s) at several temperatures, one CSV.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    path : pathlib.Path
        File to write.
    rng : numpy.random.Generator
        Noise stream.
    noise : float
        Noise level (see above).
    T_K : sequence of float
        Temperatures (K).
    f_Hz : numpy.ndarray
        Frequencies (Hz).

    Returns
    -------
    str
        The ``--columns`` map that reads the file back.
    """
    from ..theory.protocols import dma_columns

    rows = ["T_K,omega,tand"]
    for T in T_K:
        m = dma_columns(mat, T, f_Hz, _grid(mat))
        td = m["tan_delta"] * (1 + rng.normal(0, noise, f_Hz.size))
        rows += [f"{T:g},{2 * np.pi * f:.8g},{t:.7g}" for f, t in zip(f_Hz, td)]
    Path(path).write_text("\n".join(rows) + "\n")
    return "temperature_K=T_K,frequency_rad_per_s=omega,tan_delta=tand"


def write_creep_recovery(mat: Material, path: Path, T_K: float, stress_MPa: float, t_load_s: float,
                         t_end_s: float, rng, noise: float = 0.005) -> str:
    """Strain (%) against time (min) with the stress column; semicolon CSV; noise x max strain.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    path : pathlib.Path
        File to write.
    rng : numpy.random.Generator
        Noise stream.
    noise : float
        Noise level (see above).
    T_K : float
        Temperature (K).
    stress_MPa : float
        Creep stress (MPa).
    t_load_s : float
        Duration of the creep (s).
    t_end_s : float
        End of the recovery (s).

    Returns
    -------
    str
        The ``--columns`` map that reads the file back.
    """
    t = np.unique(np.concatenate([np.geomspace(0.5, t_load_s, 60),
                                  t_load_s + np.geomspace(0.5, t_end_s - t_load_s, 60)]))
    sp = state_point(mat, T_K)
    g = _grid(mat)
    eps = creep_recovery_strain(mat, t, sp, g, stress_MPa, t_load_s)
    after = t >= t_load_s
    eps = eps + rng.normal(0, noise * eps.max(), t.size)
    s = np.where(after, 0.0, stress_MPa)
    rows = ["time;strain;stress"] + [f"{a / 60:.8g};{100 * e:.8g};{b:g}" for a, e, b in zip(t, eps, s)]
    Path(path).write_text("\n".join(rows) + "\n")
    return "time_min=time,strain_percent=strain,stress_MPa=stress"


def write_relaxation(mat: Material, path: Path, T_K, strain: float, t_end_s: float, rng,
                     noise: float = 0.005) -> str:
    """Stress (MPa) against time (s) after a strain step, several temperatures, whitespace text.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    path : pathlib.Path
        File to write.
    rng : numpy.random.Generator
        Noise stream.
    noise : float
        Noise level (see above).
    T_K : sequence of float
        Temperatures (K).
    strain : float
        Step strain.
    t_end_s : float
        Duration (s).

    Returns
    -------
    str
        ``""``: the headers are column keys already.
    """
    t = np.geomspace(0.5, t_end_s, 50)
    rows = ["time_s stress_MPa strain temperature_K"]
    for T in T_K:
        r = relax_stress(mat, state_point(mat, T), _grid(mat), lambda x: np.full_like(x, strain), t)
        s = r["stress_MPa"] * (1 + rng.normal(0, noise, t.size))
        rows += [f"{a:.8g} {b:.8g} {strain:g} {T:g}" for a, b in zip(t, s)]
    Path(path).write_text("\n".join(rows) + "\n")
    return ""
