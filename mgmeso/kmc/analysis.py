"""Analyses of a stored run (:class:`~mgmeso.kmc.reader.RunData`): the lock-in table of a DMA
run, its curves and peaks, and the summary lines ``mgmeso run`` prints.

A DMA run is analysed as ``mgmeso compare`` does it: E* by lock-in per window of whole
cycles (:func:`mgmeso.kmc.lockin.dma_table`), per temperature window in an isochronal scan
(default width: the protocol's ``T_step_K``, at least 0.5 K), per frequency in an
isothermal sweep. A curve is one frequency (isochronal) or one temperature (isothermal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UserError
from .lockin import dma_table

__all__ = ["is_dma", "dma_window_K", "dma_run_table", "DmaCurve", "dma_curves", "summary_lines"]


def is_dma(data) -> bool:
    """Tell whether a stored run is a DMA run (isochronal or isothermal).

    Parameters
    ----------
    data : RunData
        The stored run.

    Returns
    -------
    bool
        True for the protocols ``dma_isochronal`` and ``dma_isothermal``.
    """
    return data.protocol in ("dma_isochronal", "dma_isothermal")


def dma_window_K(data, window_K: float | None = None) -> float:
    """Lock-in window of a scan: ``window_K`` or the protocol's T_step_K, at least 0.5 K.

    Parameters
    ----------
    data : RunData
        The stored run (its config's ``[protocol] T_step_K`` is the default).
    window_K : float, optional
        Window width asked for (K); must be positive and finite.

    Returns
    -------
    float
        Width of the temperature window (K).
    """
    if window_K is not None:
        if not (np.isfinite(window_K) and window_K > 0):
            raise UserError(f"--window-K {window_K:g}: must be a positive number of kelvin")
        return float(window_K)
    return max(float(data.attrs["config"]["protocol"].get("T_step_K", 1.0)), 0.5)


def dma_run_table(data, window_K: float | None = None) -> dict[str, np.ndarray]:
    """Lock-in E', E'', tan delta (with ``<name>_se``) of a stored DMA run.

    Parameters
    ----------
    data : RunData
        The stored run; a run of another protocol is a :class:`~mgmeso.errors.UserError`.
    window_K : float, optional
        Temperature window of an isochronal scan (K); see :func:`dma_window_K`.

    Returns
    -------
    dict of str to ndarray
        The columns of :func:`mgmeso.kmc.lockin.dma_table`, one row per window and frequency.
    """
    if not is_dma(data):
        raise UserError(f"{data.path} is a {data.protocol} run, not a DMA run")
    return dma_table(data.series, data.setup, temperature_window_K=dma_window_K(data, window_K))


@dataclass(frozen=True)
class DmaCurve:
    """One curve of a DMA run: E* against ``x`` at fixed ``value`` of the other variable."""

    value: float            # frequency (Hz) of an isochronal curve, temperature (K) otherwise
    unit: str
    x_name: str             # "temperature_K" or "frequency_Hz"
    rows: np.ndarray        # indices into the table, sorted by x

    def label(self) -> str:
        """Legend label of the curve, e.g. ``"1 Hz"`` or ``"450 K"``.

        Returns
        -------
        str
            The fixed value and its unit.
        """
        return f"{self.value:g} {self.unit}"


def dma_curves(tab: dict, protocol: str) -> list[DmaCurve]:
    """Split a lock-in table into curves: one per frequency (isochronal) or temperature.

    Parameters
    ----------
    tab : dict of str to ndarray
        Lock-in table of :func:`dma_run_table` (``temperature_K``, ``frequency_Hz``, ...).
    protocol : str
        ``"dma_isochronal"`` or ``"dma_isothermal"``.

    Returns
    -------
    list of DmaCurve
        The curves, by increasing fixed value; each curve's rows sorted by ``x``.
    """
    iso = protocol == "dma_isochronal"
    key, x_name, unit = (("frequency_Hz", "temperature_K", "Hz") if iso
                         else ("temperature_K", "frequency_Hz", "K"))
    out = []
    for v in np.unique(tab[key]):
        rows = np.nonzero(tab[key] == v)[0]
        out.append(DmaCurve(float(v), unit, x_name, rows[np.argsort(tab[x_name][rows])]))
    return out


def _peak(x: np.ndarray, y: np.ndarray) -> tuple[float, float, bool]:
    """Location and value of the maximum, and whether it lies inside the range."""
    ok = np.isfinite(y)
    if not ok.any():
        return float("nan"), float("nan"), False
    i = int(np.nanargmax(np.where(ok, y, -np.inf)))
    return float(x[i]), float(y[i]), 0 < i < len(y) - 1


def curve_features(tab: dict, curve: DmaCurve) -> dict:
    """E' at both ends, the largest E'' and tan delta (where, and whether inside the range).

    Parameters
    ----------
    tab : dict of str to ndarray
        Lock-in table of :func:`dma_run_table`.
    curve : DmaCurve
        One curve of :func:`dma_curves`.

    Returns
    -------
    dict
        ``E_storage_first_MPa``, ``E_storage_last_MPa``, ``x_first``, ``x_last``, and for
        E'' and tan delta the location (``*_max_at``, in the unit of ``x``), the value and
        whether the maximum lies inside the range (``*_peak_inside``).
    """
    r = curve.rows
    x = tab[curve.x_name][r]
    xE, E, inside_E = _peak(x, tab["E_loss_MPa"][r])
    xt, td, inside_t = _peak(x, tab["tan_delta"][r])
    return {"E_storage_first_MPa": float(tab["E_storage_MPa"][r][0]),
            "E_storage_last_MPa": float(tab["E_storage_MPa"][r][-1]),
            "x_first": float(x[0]), "x_last": float(x[-1]),
            "E_loss_max_at": xE, "E_loss_max_MPa": E, "E_loss_peak_inside": inside_E,
            "tan_delta_max_at": xt, "tan_delta_max": td, "tan_delta_peak_inside": inside_t}


def _dma_lines(data) -> list[str]:
    tab = dma_run_table(data)
    iso = data.protocol == "dma_isochronal"
    xu = "K" if iso else "Hz"
    lines = []
    for c in dma_curves(tab, data.protocol):
        f = curve_features(tab, c)

        def where(v, inside):
            return f"{v:.4g} {xu}" + ("" if inside else " (at the end of the range: no peak inside it)")

        lines.append(f"  {c.label()}: E' {f['E_storage_first_MPa'] / 1e3:.4g} GPa at "
                     f"{f['x_first']:.4g} {xu} -> {f['E_storage_last_MPa'] / 1e3:.4g} GPa at "
                     f"{f['x_last']:.4g} {xu}; largest E'' {f['E_loss_max_MPa'] / 1e3:.3g} GPa "
                     f"at {where(f['E_loss_max_at'], f['E_loss_peak_inside'])}; largest "
                     f"tan delta {f['tan_delta_max']:.3g} at "
                     f"{where(f['tan_delta_max_at'], f['tan_delta_peak_inside'])}")
    return lines


def _last(x: np.ndarray) -> np.ndarray:
    """Per replica (axis 0) the last finite value along the samples."""
    out = np.full(x.shape[0], np.nan)
    for r in range(x.shape[0]):
        ok = np.nonzero(np.isfinite(x[r]))[0]
        if ok.size:
            out[r] = x[r, ok[-1]]
    return out


def summary_lines(data) -> list[str]:
    """Describe a finished store in the lines ``mgmeso run`` prints.

    Size, events and speed; per case the final strain components (time-domain runs) or the
    moduli and peaks (DMA runs).

    Parameters
    ----------
    data : RunData
        The stored run.

    Returns
    -------
    list of str
        The lines, without trailing newlines.
    """
    a = data.attrs
    prov = data.provenance
    wall = prov.get("wall_time_s")
    ev = float(np.nansum([_last(data.series("events_total")[c]).sum()
                          for c in range(len(data.cases))]))
    speed = (f" in {wall:.1f} s ({ev / max(wall, 1e-9):.3g} events/s)"
             if isinstance(wall, (int, float)) else "")
    lines = [f"{a['lattice']} lattice, L = {a['L']} ({a['n_sites']} sites), {a['replicas']} "
             f"replica(s) x {len(data.cases)} case(s): {ev:.4g} events{speed}"]
    if is_dma(data):
        return lines + _dma_lines(data)
    n_rep = int(a["replicas"])

    def fmt(name, c):
        v = _last(data.series(name)[c])
        m = float(np.nanmean(v))
        if n_rep > 1:
            return f"{m:.4g} +/- {float(np.nanstd(v, ddof=1)) / np.sqrt(n_rep):.2g}"
        return f"{m:.4g}"

    for c, label in enumerate(data.cases):
        lines.append(f"  {label}: at t = {fmt('time_s', c)} s, strain {fmt('strain', c)} (beta "
                     f"{fmt('strain_beta', c)}, anelastic {fmt('strain_anelastic', c)}, plastic "
                     f"{fmt('strain_plastic', c)}), stress {fmt('stress_MPa', c)} MPa")
    return lines
