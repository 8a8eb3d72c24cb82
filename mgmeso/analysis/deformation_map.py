"""The simulated deformation map: homogeneous against localised flow in the (T, stress) plane.

Three boundaries side by side (docs/kmc_localisation.md section 5):

* **kMC**: a run is *localised* when its localisation index (:func:`.localisation.plane_share`
  of the plastic strain at its last snapshot, replica mean) is at least
  :data:`LOCALISED_THRESHOLD` = 0.5, i.e. half the plastic strain lies in 10 % of the planes,
  a strain density in the band at least 9 times that outside it;
* **percolation**: the lines of ``mgmeso percolation deformation`` (liquid-like zones percolate
  above ``T_static(rate)``; the spectral line ``T_spectral(rate)``), evaluated at each run's
  own mean plastic strain rate: above a line the flow is homogeneous in that picture;
* **literature** (:func:`literature_localised`): inhomogeneous (shear-banded) flow below
  ``f_tr Tg`` with ``f_tr`` in 0.7-0.8 ([Spaepen1977] map as summarised by [Schuh2007]) and
  at stresses at or above the yield stress; the yield stress is the cooperative-shear law
  ``tau_y/mu = 0.036 - 0.016 (T/Tg)^(2/3)`` of [Johnson2005] (which [Schuh2007] reviews),
  converted to the engine's uniaxial stress by the Schmid factor 1/2 (docs/kmc_elastic.md
  section 1.1): ``sigma_y = 2 tau_y``. Scaled with the material's ``Tg_K`` and
  ``mu = E_u / (2 (1 + nu))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .localisation import correlation, ipr, null_plane_share, plane_share

__all__ = ["LOCALISED_THRESHOLD", "T_TRANSITION_FRACTION", "RunLocalisation", "DeformationMapResult",
           "run_localisation", "yield_stress_MPa", "literature_localised", "simulated_deformation_map",
           "plot_simulated_deformation_map"]

#: localisation index at and above which a run counts as localised (see the module docstring)
LOCALISED_THRESHOLD = 0.5
#: T/Tg below which [Spaepen1977] / [Schuh2007] place inhomogeneous flow (low, central, high)
T_TRANSITION_FRACTION = (0.7, 0.75, 0.8)
#: [Johnson2005] tau_y/mu = GAMMA_C0 - GAMMA_C1 (T/Tg)^(2/3)
GAMMA_C0, GAMMA_C1 = 0.036, 0.016


def shear_modulus_MPa(material) -> float:
    """Isotropic shear modulus ``E_u / (2 (1 + nu))`` (MPa) of a material.

    Parameters
    ----------
    material : Material
        The material (``E_unrelaxed_MPa``, ``poisson_ratio``).

    Returns
    -------
    float
        mu (MPa).
    """
    return material.E_unrelaxed_MPa / (2.0 * (1.0 + material.poisson_ratio))


def yield_stress_MPa(T_K, Tg_K: float, mu_MPa: float):
    """Uniaxial yield stress ``2 mu (0.036 - 0.016 (T/Tg)^(2/3))`` ([Johnson2005]), MPa.

    Parameters
    ----------
    T_K : float or array_like
        Temperature (K), at most Tg.
    Tg_K : float
        Glass transition temperature (K).
    mu_MPa : float
        Shear modulus (MPa).

    Returns
    -------
    float or numpy.ndarray
        The yield stress (MPa).
    """
    t = np.clip(np.asarray(T_K, dtype=float) / Tg_K, 0.0, None)
    return 2.0 * mu_MPa * (GAMMA_C0 - GAMMA_C1 * t ** (2.0 / 3.0))


def literature_localised(T_K, stress_MPa, Tg_K: float, mu_MPa: float,
                         f_tr: float = T_TRANSITION_FRACTION[1]):
    """Whether the literature's map puts (T, stress) in the inhomogeneous (shear-band) regime.

    Parameters
    ----------
    T_K, stress_MPa : float or array_like
        Temperature (K) and uniaxial stress (MPa).
    Tg_K, mu_MPa : float
        The material's Tg (K) and shear modulus (MPa).
    f_tr : float
        T/Tg of the transition (0.7-0.8; default 0.75).

    Returns
    -------
    bool or numpy.ndarray
        True where T < f_tr Tg and stress >= the yield stress.
    """
    T = np.asarray(T_K, dtype=float)
    s = np.asarray(stress_MPa, dtype=float)
    return (T < f_tr * Tg_K) & (s >= yield_stress_MPa(T, Tg_K, mu_MPa))


@dataclass(frozen=True)
class RunLocalisation:
    """Localisation measures of one case of one run, over its replicas (last snapshot).

    ``index``/``index_se``: plane share (mean, SE over replicas); ``null``: the same values at
    random sites (mean); ``ipr_N``: N times the IPR (1 uniform); ``q4``: quadrupolar
    projection of the mean autocorrelation; ``plastic_rate_per_s``: mean plastic strain over
    the time of the last snapshot.
    """

    T_K: float
    stress_MPa: float
    index: float
    index_se: float
    null: float
    ipr_N: float
    q4: float
    plastic_rate_per_s: float
    path: str = ""


def _protocol_point(cfg) -> tuple[float, float]:
    p = cfg.protocol
    return float(getattr(p, "temperature_K", np.nan)), float(getattr(p, "stress_MPa", np.nan))


def run_localisation(run, case: int = 0, snapshot: int = -1) -> RunLocalisation:
    """Localisation of the plastic strain of one run store at a snapshot.

    Parameters
    ----------
    run : str, path-like or RunData
        A run store with the snapshot field ``plastic_strain``.
    case : int
        The case.
    snapshot : int
        The snapshot (default the last).

    Returns
    -------
    RunLocalisation
        The measures.
    """
    from ..errors import UserError
    from ..kmc.reader import RunData, read_run

    data = run if isinstance(run, RunData) else read_run(run)
    if not data.has_snapshots():
        raise UserError(f"{data.path}: the run took no snapshots; set [output] snapshot_times_s")
    snaps = data.snapshots(["plastic_strain"])
    lat = (str(data.attrs["lattice"]), int(data.attrs["L"]))
    ep = snaps["plastic_strain"][case, :, snapshot].astype(float)      # (replica, site)
    t = float(np.nanmean(snaps["time_s"][case, :, snapshot]))
    idx = np.array([plane_share(f, lat) for f in ep])
    ok = np.isfinite(idx)
    n = int(ok.sum())
    null = np.mean([null_plane_share(f, lat, n_perm=5, seed=i)[0]
                    for i, f in enumerate(ep) if np.any(f)]) if n else np.nan
    T, s = _protocol_point(data.config)
    return RunLocalisation(
        T_K=T, stress_MPa=s,
        index=float(np.mean(idx[ok])) if n else np.nan,
        index_se=float(np.std(idx[ok], ddof=1) / np.sqrt(n)) if n > 1 else np.nan,
        null=float(null),
        ipr_N=float(np.mean([ipr(f) * f.size for f in ep[ok]])) if n else np.nan,
        q4=float(correlation(ep[ok], lat).q4) if n else np.nan,
        plastic_rate_per_s=float(np.mean(ep) / t) if t > 0 else np.nan,
        path=str(data.path))


@dataclass(frozen=True)
class DeformationMapResult:
    """The three classifications of a set of runs (see the module docstring)."""

    runs: tuple[RunLocalisation, ...]
    threshold: float
    Tg_K: float
    mu_MPa: float
    kmc_localised: np.ndarray = field(repr=False)
    percolation_homogeneous: np.ndarray = field(repr=False)   # NaN where not evaluated
    literature_localised: np.ndarray = field(repr=False)
    percolation: object = field(default=None, repr=False)     # the percolation DeformationMap
    percolation_spectral_homogeneous: np.ndarray | None = field(default=None, repr=False)

    def table(self) -> dict[str, np.ndarray]:
        """Columns per run: T, stress, index (+ SE, null), the three classifications.

        Returns
        -------
        dict of numpy.ndarray
            Column name -> values.
        """
        cols = {k: np.array([getattr(r, k) for r in self.runs])
                for k in ("T_K", "stress_MPa", "index", "index_se", "null", "ipr_N", "q4",
                          "plastic_rate_per_s")}
        sp = self.percolation_spectral_homogeneous
        cols.update(kmc_localised=self.kmc_localised, literature_localised=self.literature_localised,
                    percolation_homogeneous=self.percolation_homogeneous,
                    percolation_spectral_homogeneous=np.full(len(self.runs), np.nan)
                    if sp is None else sp)
        return cols


def simulated_deformation_map(runs, *, threshold: float = LOCALISED_THRESHOLD,
                              percolation: bool = True, material=None,
                              config=None) -> DeformationMapResult:
    """Classify runs over (T, stress) three ways: kMC index, percolation line, literature.

    Parameters
    ----------
    runs : iterable of run stores (paths or RunData), or of RunLocalisation
        The runs (e.g. every kMC group of a sweep store).
    threshold : float
        Localisation index at and above which a run is localised.
    percolation : bool
        Evaluate the percolation line (``mgmeso.percolation.deformation_map`` of the first
        run's config) at each run's plastic strain rate.
    material : Material, optional
        Tg and shear modulus (default: the first run's).
    config : RunConfig, optional
        The config whose percolation map is evaluated when the runs are RunLocalisation
        records (default: the first run store's config).

    Returns
    -------
    DeformationMapResult
        The classifications.
    """
    from ..kmc.reader import read_run

    runs = list(runs)
    locs, cfg = [], config
    for r in runs:
        if isinstance(r, RunLocalisation):
            locs.append(r)
            continue
        data = read_run(r) if not hasattr(r, "snapshots") else r
        cfg = cfg or data.config
        locs.append(run_localisation(data))
    if material is None:
        if cfg is None:
            raise ValueError("give material= when the runs are RunLocalisation records")
        material = cfg.material
    mu, Tg = shear_modulus_MPa(material), float(material.Tg_K)
    T = np.array([r.T_K for r in locs])
    s = np.array([r.stress_MPa for r in locs])
    kmc = np.array([r.index >= threshold for r in locs])
    lit = np.asarray(literature_localised(T, s, Tg, mu))
    perc = np.full(len(locs), np.nan)
    perc_sp = perc.copy()
    pmap = None
    if percolation and cfg is not None:
        from ..percolation import deformation_map

        rates = np.array([r.plastic_rate_per_s for r in locs])
        good = np.isfinite(rates) & (rates > 0)
        if good.any():
            lo = max(float(rates[good].min()) / 2, 1e-12)
            hi = min(max(float(rates[good].max()) * 2, lo * 10), 1e6)
            pmap = deformation_map(cfg, rates_per_s=(lo, hi), n_rates=13)
            tab = pmap.table.columns
            lr = np.log(np.where(good, rates, lo))
            Ts = np.interp(lr, np.log(tab["strain_rate_per_s"]), tab["T_static_K"])
            Tsp = np.interp(lr, np.log(tab["strain_rate_per_s"]), tab["T_spectral_K"])
            perc = np.where(good, (T > Ts).astype(float), np.nan)
            perc_sp = np.where(good, (T > Tsp).astype(float), np.nan)
    return DeformationMapResult(tuple(locs), float(threshold), Tg, mu, kmc, perc, lit, pmap,
                                perc_sp)


def plot_simulated_deformation_map(res: DeformationMapResult, ax=None):
    """Draw the runs in the (T, stress) plane with the three classifications.

    Filled markers: localised by the kMC index (open: homogeneous), colour = index; crosses:
    homogeneous by the percolation line at the run's rate; the shaded corner and its dashed
    edges: the literature's inhomogeneous regime (T below 0.7-0.8 Tg, stress above the
    [Johnson2005] yield stress).

    Parameters
    ----------
    res : DeformationMapResult
        The map.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes drawn.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 4.5))
    tab = res.table()
    T, s = tab["T_K"], tab["stress_MPa"]
    Tg, mu = res.Tg_K, res.mu_MPa
    Tl = np.linspace(min(T.min(), 0.6 * Tg) - 10, max(T.max(), Tg) + 10, 200)
    sy = yield_stress_MPa(Tl, Tg, mu)
    top = max(float(np.nanmax(s)) * 1.15, float(sy.max()) * 1.1)
    lo_f, mid_f, hi_f = T_TRANSITION_FRACTION
    m = Tl < mid_f * Tg
    ax.fill_between(Tl[m], sy[m], top, color="0.85", label="literature: shear bands")
    ax.plot(Tl, sy, "k-", lw=1, label="yield stress [Johnson2005]")
    for f in (lo_f, hi_f):
        ax.axvline(f * Tg, color="k", ls="--", lw=0.8)
    ax.axvline(mid_f * Tg, color="k", ls=":", lw=0.8)
    loc = tab["kmc_localised"].astype(bool)
    has = np.isfinite(tab["index"])
    sc = ax.scatter(T[has], s[has], c=tab["index"][has], cmap="viridis", vmin=0.1, vmax=1.0,
                    s=60, edgecolors="k", zorder=3)
    if (~has).any():
        ax.scatter(T[~has], s[~has], marker="x", s=50, c="0.4", zorder=3,
                   label="kMC: no plastic strain in the run")
    if loc.any():
        ax.scatter(T[loc], s[loc], marker="*", s=140, c="r", zorder=4,
                   label=f"kMC localised (index >= {res.threshold:g})")
    for key, mk, c, what in (("percolation_homogeneous", "+", "C1", "static"),
                             ("percolation_spectral_homogeneous", "1", "C3", "spectral")):
        ph = tab[key] == 1
        if ph.any():
            ax.scatter(T[ph], s[ph], marker=mk, s=140, c=c, zorder=5,
                       label=f"percolation ({what} line): homogeneous at the run's rate")
    ax.figure.colorbar(sc, ax=ax, label="localisation index (0.1 homogeneous, 1 one plane)")
    ax.set_xlabel("temperature (K)")
    ax.set_ylabel("stress (MPa)")
    ax.set_ylim(0, top)
    ax.set_title(f"deformation map (Tg = {Tg:g} K, mu = {mu / 1e3:.1f} GPa)", fontsize=10)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return ax
