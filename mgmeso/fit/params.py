"""Search coordinates of the free parameters, with the model's constraints built in.

Each free material key gets one coordinate x of the optimiser, bounded by the material's declared
range (the same ranges config validation uses), narrowed where the model needs it:

* ``log``: times, intensities, B and sigma1 are searched as ln(value), so steps are relative and
  the value keeps its sign;
* ``lin``: energies, chi, a1 and Tg as they are;
* the moduli keep the constraint ``E_relaxed < E_unrelaxed`` (A_beta = 1/E_r - 1/E_u > 0) by
  construction: with both free, E_u is searched as ln E_u and E_r through
  ``x = ln(E_u / E_r) >= 1e-6``; with one free, its bound is the other's value.

So every point the optimiser visits, and the optimum, is a material that loads. Values are
clamped into the declared range after the transform, since exp(ln(hi)) can exceed hi by an ulp.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..config.fields import field_specs
from ..config.material import Material
from ..errors import UserError

__all__ = ["FITTABLE", "Coordinates", "bounds_of"]

#: fittable material keys and their search coordinate
FITTABLE = {
    "U_beta_kJ_per_mol": "lin", "tau_beta0_s": "log", "B_beta": "log", "chi_g": "lin",
    "t0_s": "log", "A_an_per_MPa": "log", "A_vp_per_MPa": "log", "E_unrelaxed_MPa": "lin",
    "E_relaxed_beta_MPa": "lin", "a1_per_K": "lin", "Tg_K": "lin", "sigma1_MPa": "log",
}
_EXTRA_BOUNDS = {"chi_g": (0.05, 1.0), "U_beta_kJ_per_mol": (1.0, 2000.0), "a1_per_K": (0.0, 0.1)}
_MIN_LOG_RATIO = 1e-6        # E_r <= E_u / (1 + 1e-6)
_LOG_SPAN = 50.0             # a log coordinate with a bound at 0 searches e^-50 below the start


def bounds_of(name: str) -> tuple[float, float]:
    """Return the allowed range of a material key for the fit (declared range, open ends nudged inward).

    Parameters
    ----------
    name : str
        A key of :data:`FITTABLE`.

    Returns
    -------
    (float, float)
        Lower and upper bound.
    """
    spec = field_specs(Material)[name][1]
    lo = spec.lo if spec.lo is not None else -np.inf
    hi = spec.hi if spec.hi is not None else np.inf
    if name in _EXTRA_BOUNDS:
        lo, hi = max(lo, _EXTRA_BOUNDS[name][0]), min(hi, _EXTRA_BOUNDS[name][1])
    if getattr(spec, "lo_open", False) and np.isfinite(lo) and lo != 0:
        lo = np.nextafter(lo, np.inf)
    if getattr(spec, "hi_open", False) and np.isfinite(hi):
        hi = np.nextafter(hi, -np.inf)
    return float(lo), float(hi)


@dataclass
class _Coord:
    name: str
    kind: str              # 'lin', 'log' or 'logratio' (E_r = E_u exp(-x))
    lo: float
    hi: float


class Coordinates:
    """Map between optimiser coordinates ``x`` and material values."""

    def __init__(self, base: Material, free: list[str], start: dict[str, float]):
        bad = [f for f in free if f not in FITTABLE]
        if bad or not free:
            raise UserError(f"--free {','.join(free) or '(empty)'}: fittable keys are "
                            f"{', '.join(FITTABLE)}")
        if len(set(free)) != len(free):
            raise UserError(f"--free {','.join(free)}: a parameter is listed twice")
        unknown = [k for k in start if k not in free]
        if unknown:
            raise UserError(f"--start {', '.join(unknown)}: starting values are for free "
                            f"parameters only (free: {', '.join(free)})")
        self.base, self.free = base, list(free)
        v0 = {}
        for name in free:
            v = start.get(name, getattr(base, name))
            if v is None:                       # A_vp_per_MPa defaults to A_an
                v = base.A_an_per_MPa
            a, b = bounds_of(name)
            if not (np.isfinite(v) and a <= v <= b):
                raise UserError(f"start value {name} = {v:g} is outside its allowed range "
                                f"[{a:g}, {b:g}]")
            v0[name] = float(v)
        Eu = v0.get("E_unrelaxed_MPa", base.E_unrelaxed_MPa)
        Er = v0.get("E_relaxed_beta_MPa", base.E_relaxed_beta_MPa)
        if ("E_unrelaxed_MPa" in free or "E_relaxed_beta_MPa" in free) and not Er < Eu:
            raise UserError(f"start values E_relaxed_beta_MPa = {Er:g} and E_unrelaxed_MPa = {Eu:g}: "
                            f"the relaxed modulus must be below the unrelaxed one (the beta "
                            f"relaxation softens the glass); set them with --start")
        both = "E_unrelaxed_MPa" in free and "E_relaxed_beta_MPa" in free
        self.coords: list[_Coord] = []
        x0 = []
        # E_u before E_r: the ratio coordinate of E_r needs E_u
        order = sorted(free, key=lambda n: n == "E_relaxed_beta_MPa")
        for name in order:
            a, b = bounds_of(name)
            v = v0[name]
            kind = FITTABLE[name]
            if both and name == "E_unrelaxed_MPa":
                kind = "log"
            if both and name == "E_relaxed_beta_MPa":
                c = _Coord(name, "logratio", _MIN_LOG_RATIO, np.log(b / a))
                x = np.log(Eu / v)
            else:
                if name == "E_relaxed_beta_MPa":
                    b = min(b, base.E_unrelaxed_MPa / (1 + _MIN_LOG_RATIO))
                if name == "E_unrelaxed_MPa" and not both:
                    a = max(a, base.E_relaxed_beta_MPa * (1 + _MIN_LOG_RATIO))
                if kind == "log":
                    xa = np.log(a) if a > 0 else np.log(v) - _LOG_SPAN
                    xb = np.log(b) if np.isfinite(b) else np.log(v) + _LOG_SPAN
                    c, x = _Coord(name, "log", xa, xb), np.log(v)
                else:
                    c, x = _Coord(name, "lin", a, b), v
            self.coords.append(c)
            x0.append(float(np.clip(x, c.lo + 1e-9 * max(1, abs(c.lo)), c.hi - 1e-9 * max(1, abs(c.hi)))))
        self.x0 = np.array(x0)
        self.lo = np.array([c.lo for c in self.coords])
        self.hi = np.array([c.hi for c in self.coords])
        self.names = [c.name for c in self.coords]      # order of x (may differ from free)

    def values(self, x: np.ndarray, clamp: bool = True) -> dict[str, float]:
        """Material values at ``x``, clamped into their declared ranges unless ``clamp`` is false.

        Parameters
        ----------
        x : numpy.ndarray
            Search coordinates, in ``names`` order.
        clamp : bool
            Clamp into the declared ranges.

        Returns
        -------
        dict of str to float
            Material key -> value.
        """
        out: dict[str, float] = {}
        for c, xi in zip(self.coords, x):
            if c.kind == "lin":
                v = float(xi)
            elif c.kind == "log":
                v = float(np.exp(xi))
            else:
                Eu = out.get("E_unrelaxed_MPa", self.base.E_unrelaxed_MPa)
                v = float(Eu * np.exp(-xi))
            if clamp:
                a, b = bounds_of(c.name)
                v = min(max(v, a), b)
            out[c.name] = float(v)
        return out

    def material(self, x: np.ndarray) -> Material:
        """Return the base material with the values at ``x``.

        Parameters
        ----------
        x : numpy.ndarray
            Search coordinates.

        Returns
        -------
        Material
            The material.
        """
        return dataclasses.replace(self.base, **self.values(x))  # type: ignore[arg-type]

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """d value_i / d x_j (central differences of the smooth transform), in ``names`` order.

        Parameters
        ----------
        x : numpy.ndarray
            Search coordinates.

        Returns
        -------
        numpy.ndarray
            float64 (p, p).
        """
        p = x.size
        G = np.zeros((p, p))
        for j in range(p):
            h = 1e-6 * max(1.0, abs(x[j]))
            xp, xm = x.copy(), x.copy()
            xp[j] += h
            xm[j] -= h
            vp, vm = self.values(xp, clamp=False), self.values(xm, clamp=False)
            G[:, j] = [(vp[n] - vm[n]) / (2 * h) for n in self.names]
        return G
