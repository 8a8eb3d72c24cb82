"""Model predictions and residual blocks for each kind of measurement.

Each :class:`~mgmeso.fit.data.Dataset` becomes one or more residual *blocks*:
named arrays of (model - data) / scale, times a weight per point.

* DMA (isochronal or isothermal): E' and E'' (or E'' alone, or tan delta when
  only that was measured), each scaled by the largest value of its data column,
  so that a fit of E' and E'' together is the complex-modulus fit of the issue
  and neither part swamps the other.
* creep and creep-recovery: strain, scaled by its largest value; recovery by
  Boltzmann superposition ``eps = sigma [J(t) - J(t - t_1)]`` after unloading
  at t_1 (the first time the stress column falls below 1 % of its maximum).
* relaxation: stress from the Volterra inversion of J(t) for the step strain,
  per temperature, scaled by the largest stress.

Creep and relaxation points carry log-time weights (each point stands for its
share of ln t, normalised to mean 1), so that a file sampled densely at long
times does not outweigh the early, fast part of the curve.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..config.material import Material
from ..errors import DataError
from ..theory.compliance import creep_recovery_strain, state_point
from ..theory.gumbel import GumbelGrid
from ..theory.volterra import relax_stress
from .data import Dataset

__all__ = ["Block", "log_time_weights", "predict"]


@dataclass
class Block:
    """One residual block: data, model and how they are compared."""

    name: str            # e.g. 'E_loss_MPa'
    x_name: str          # abscissa column, e.g. 'temperature_K'
    data: np.ndarray
    model: np.ndarray
    scale: float
    weight: np.ndarray

    @property
    def residual(self) -> np.ndarray:
        """Weighted, scaled residuals ``sqrt(w) (model - data) / scale``."""
        return np.sqrt(self.weight) * (self.model - self.data) / self.scale


def log_time_weights(t: np.ndarray) -> np.ndarray:
    """Weights proportional to each point's share of ln t (t = 0 points get the median).

    Parameters
    ----------
    t : numpy.ndarray
        Times (s), increasing.

    Returns
    -------
    numpy.ndarray
        Weights, of the shape of ``t``.
    """
    t = np.asarray(t, float)
    w = np.ones_like(t)
    pos = t > 0
    if pos.sum() >= 2:
        lt = np.log(t[pos])
        g = np.gradient(lt)
        w[pos] = np.maximum(g, 1e-12)
        w[~pos] = np.median(w[pos])
    return w / w.mean()


#: rows per evaluation of the complex modulus: bounds the (rows x Gumbel nodes) temporaries
_CHUNK = 2048


def _scale(ds: Dataset, name: str, data: np.ndarray) -> float:
    s = float(np.max(np.abs(data))) if data.size else 0.0
    if not s > 0:
        raise DataError(f"{ds.path}: {name} is zero in every row: there is nothing to fit")
    return s


def _dma(mat, ds: Dataset, grid, chi_law, loss_only: bool) -> list[Block]:
    from ..theory.protocols import dma_columns

    c = ds.columns
    x_name = "temperature_K" if ds.kind == "dma-isochronal" else "frequency_Hz"
    if "frequency_Hz" not in c:
        raise DataError(f"{ds.path}: DMA data need the frequency: map a frequency column or give "
                        f"--frequency-Hz")
    T, f = c["temperature_K"], c["frequency_Hz"]
    parts = [dma_columns(mat, T[i:i + _CHUNK], f[i:i + _CHUNK], grid, chi_law)
             for i in range(0, len(ds), _CHUNK)]
    m = {k: np.concatenate([p[k] for p in parts]) for k in ("E_storage_MPa", "E_loss_MPa", "tan_delta")}
    one = np.ones(len(ds))
    blocks = []
    names = ["E_loss_MPa"] if loss_only else ["E_storage_MPa", "E_loss_MPa"]
    for name in names:
        if name in c:
            blocks.append(Block(name, x_name, c[name], m[name], _scale(ds, name, c[name]), one))
    if not blocks and "tan_delta" in c:
        blocks.append(Block("tan_delta", x_name, c["tan_delta"], m["tan_delta"],
                            _scale(ds, "tan_delta", c["tan_delta"]), one))
    return blocks


def _creep(mat, ds: Dataset, grid, chi_law) -> list[Block]:
    c = ds.columns
    if "temperature_K" not in c:
        raise DataError(f"{ds.path}: creep data need the temperature: give --temperature-K")
    if "stress_MPa" not in c:
        raise DataError(f"{ds.path}: creep data need the stress: map a stress column or give "
                        f"--stress-MPa")
    t, s = c["time_s"], c["stress_MPa"]
    sigma = float(np.max(s))
    if sigma <= 0:
        raise DataError(f"{ds.path}: the creep stress must be positive (largest stress {sigma:g} MPa)")
    sp = state_point(mat, float(c["temperature_K"][0]), chi_law=chi_law)
    t1 = None
    if ds.kind == "creep-recovery":
        off = np.flatnonzero((s < 0.01 * sigma) & (np.arange(s.size) > np.argmax(s)))
        if off.size:
            t1 = float(t[off[0]])
    eps = creep_recovery_strain(mat, t, sp, grid, sigma, t1)
    d = c["strain"]
    return [Block("strain", "time_s", d, eps, _scale(ds, "strain", d), log_time_weights(t))]


def _relaxation(mat, ds: Dataset, grid, chi_law, ppd: int) -> list[Block]:
    c = ds.columns
    if "temperature_K" not in c:
        raise DataError(f"{ds.path}: relaxation data need the temperature: map a column or give "
                        f"--temperature-K")
    if "strain" not in c:
        raise DataError(f"{ds.path}: relaxation data need the step strain: map a strain column")
    t = c["time_s"]
    if np.any(t <= 0):
        k = int(np.flatnonzero(t <= 0)[0])
        raise DataError(f"{ds.path}: line {ds.lines[k]}: relaxation times must be > 0 (the stress "
                        f"at t = 0 is the instantaneous response; start at the first measured time)")
    model = np.empty_like(t)
    w = np.empty_like(t)
    T = c["temperature_K"]
    for _, idx in ds.curves():
        strain = float(np.median(c["strain"][idx]))
        sp = state_point(mat, float(np.mean(T[idx])), chi_law=chi_law)
        r = relax_stress(mat, sp, grid, functools.partial(_step, strain), t[idx],
                         points_per_decade=ppd)
        model[idx] = r["stress_MPa"]
        w[idx] = log_time_weights(t[idx])
    d = c["stress_MPa"]
    return [Block("stress_MPa", "time_s", d, model, _scale(ds, "stress_MPa", d), w)]


def _step(strain: float, t: np.ndarray) -> np.ndarray:
    """Return the strain history of a relaxation test: the step strain at every time."""
    return np.full_like(t, strain)


def predict(mat: Material, ds: Dataset, grid: GumbelGrid, chi_law: str = "linear",
            loss_only: bool = False, relaxation_ppd: int = 40) -> list[Block]:
    """Residual blocks of one data set for the material ``mat``.

    Parameters
    ----------
    mat : Material
        Parameters of the model.
    ds : Dataset
        The data set.
    grid : GumbelGrid
        Beta-time grid.
    chi_law : {'linear', 'defects'}
        Law of chi(T).
    loss_only : bool
        DMA: E'' alone.
    relaxation_ppd : int
        Points per decade of the relaxation solver.

    Returns
    -------
    list of Block
        Named residual blocks.
    """
    if ds.kind.startswith("dma"):
        return _dma(mat, ds, grid, chi_law, loss_only)
    if ds.kind.startswith("creep"):
        return _creep(mat, ds, grid, chi_law)
    return _relaxation(mat, ds, grid, chi_law, relaxation_ppd)
