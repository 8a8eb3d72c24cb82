"""Group 8: site percolation of the lattices, and the liquid-like fraction at the threshold.

Thresholds are estimated with the public ``mgmeso.percolation.estimate_threshold`` (wrapping
onsets of a Newman-Ziff sweep, crossing of the two largest sizes, bootstrap plus
finite-size error) and compared with the literature values of ``reference.csv`` (the same
as the lattice registry's, ``mgmeso.percolation.literature_threshold``).
"""

from __future__ import annotations

from typing import Any

from ..core import DISAGREES, PASS, Case, References, closed, paper, register, validation_root

GROUP = "8 percolation"


def _thr_measure(ctx) -> dict:
    from ...percolation import estimate_threshold, literature_threshold

    st = ctx.settings
    out: dict[str, Any] = {}
    for lat, sizes in st["sizes"].items():
        e = estimate_threshold(lat, sizes, int(st["samples"]), seed=int(st.get("seed", 7)),
                               bootstrap=int(st["bootstrap"]), workers=int(st.get("workers", 1)))
        lit = literature_threshold(lat)
        out[lat] = {"p_c": e.p_c, "error": e.error, "stat": e.stat_err, "sys": e.sys_err,
                    "sizes": list(e.sizes), "samples": e.samples,
                    "registry_p_c": None if lit is None else lit.p_c,
                    "pairs": [(a, b, p) for a, b, p, _ in e.pair_crossings]}
    out["max_error"] = float(st["max_error"])
    return out


def _thr_judge(m, refs):
    checks = []
    for lat, r in m.items():
        if lat == "max_error":
            continue
        ref = refs[f"p_c_{lat}"]
        if r["registry_p_c"] is not None and abs(r["registry_p_c"] - ref) > 1e-9:
            checks.append(closed(f"{lat}: the lattice registry holds the literature value", False,
                                 r["registry_p_c"], ref, "", "equal", refs.source(f"p_c_{lat}")))
        z = (r["p_c"] - ref) / r["error"] if r["error"] > 0 else float("inf")
        checks.append(closed(f"{lat}: site-percolation threshold", abs(z) < 3 and r["error"] < m["max_error"],
                             round(r["p_c"], 5), ref, "", f"within 3 errors, error < {m['max_error']:g}",
                             refs.source(f"p_c_{lat}"),
                             f"error {r['error']:.2g} (bootstrap {r['stat']:.2g}, finite size "
                             f"{r['sys']:.2g}), {z:+.2f} errors; sizes {r['sizes']}, {r['samples']} "
                             "samples each"))
    return checks


def _thr_figure(m, refs):
    from ...plotting import plt

    lats = [k for k in m if k != "max_error"]
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    z = [(m[k]["p_c"] - refs[f"p_c_{k}"]) / m[k]["error"] for k in lats]
    ax.errorbar(range(len(lats)), [m[k]["p_c"] - refs[f"p_c_{k}"] for k in lats],
                [3 * m[k]["error"] for k in lats], fmt="o", capsize=4,
                label="estimate - literature, 3 errors")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(range(len(lats)), [f"{k}\n({zz:+.2f} err.)" for k, zz in zip(lats, z)])
    ax.set_ylabel("p_c - p_c(literature)")
    ax.legend(fontsize=8)
    return fig


register(Case(
    "percolation_site_thresholds", GROUP,
    "Site-percolation thresholds of every lattice against the literature",
    "[Newman2000], [Sykes1964], [Wang2013], [Lorenz1998]", _thr_measure, _thr_judge, _thr_figure,
    quick={"sizes": {"square": (16, 32, 64), "triangular": (16, 32, 64), "sc": (8, 12, 16),
                     "bcc": (6, 9, 12), "fcc": (5, 8, 11)}, "samples": 200, "bootstrap": 30,
           "max_error": 0.05, "cost_s": 10},
    full={"sizes": {"square": (32, 64, 128), "triangular": (32, 64, 128), "sc": (16, 32, 64),
                    "bcc": (16, 32, 48), "fcc": (12, 24, 36)}, "samples": 1000, "bootstrap": 200,
          "max_error": 0.01, "workers": 2, "cost_s": 600}))


# ---------------------------------------------------------------------------
# the liquid-like fraction at the threshold against ~25 %

def _liq_measure(ctx) -> dict:
    from ...percolation import literature_threshold

    mat = ctx.material()
    refs = References.read(validation_root() / "percolation_site_thresholds" / "reference.csv")
    p_c = {}
    for lat in ("square", "triangular", "sc", "bcc", "fcc"):
        lit = literature_threshold(lat)
        p_c[lat] = lit.p_c if lit is not None else refs[f"p_c_{lat}"]
    return {"p_c": p_c, "Cd_at_Tg": mat.Cd_at_Tg}


def _liq_judge(m, refs):
    ref = refs["liquid_fraction_threshold"]
    tol = refs["liquid_fraction_precision"]
    expected = {"square": DISAGREES, "triangular": DISAGREES, "sc": DISAGREES, "bcc": PASS, "fcc": DISAGREES}
    checks = []
    for lat, p in m["p_c"].items():
        checks.append(paper(f"{lat}: site threshold as the liquid-like fraction of homogeneous flow",
                            abs(p - ref) <= tol, round(p, 4), ref, "", f"+/- {tol:g}", expected[lat],
                            refs.source("liquid_fraction_threshold"),
                            ("the default lattice of the kMC; its QPD sites at Cd_at_Tg = "
                             f"{m['Cd_at_Tg']:g} do not percolate" if lat == "sc" else
                             "a 2D lattice, not the papers' geometry" if lat in ("square", "triangular")
                             else "")))
    return checks


def _liq_figure(m, refs):
    from ...plotting import plt

    fig, ax = plt.subplots(figsize=(6, 3.6), layout="constrained")
    lats = list(m["p_c"])
    ax.bar(range(len(lats)), [m["p_c"][k] for k in lats], color="tab:blue")
    ref, tol = refs["liquid_fraction_threshold"], refs["liquid_fraction_precision"]
    ax.axhspan(ref - tol, ref + tol, color="tab:orange", alpha=0.3, label="papers: about 25 %")
    ax.set_xticks(range(len(lats)), lats)
    ax.set_ylabel("site-percolation threshold")
    ax.legend()
    return fig


register(Case(
    "percolation_liquid_fraction", GROUP,
    "Liquid-like fraction at the percolation threshold against about 25 %",
    "[Duan2022] discussion of Fig. 2; [Qiao2019] Sec. 5.1", _liq_measure, _liq_judge, _liq_figure,
    quick={"cost_s": 0.1}))
