"""Cluster labelling, wrapping, thresholds, liquid-like fields and the percolation CLI."""

from __future__ import annotations

import json
import math
import os

import networkx as nx
import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config.loader import load_material
from mgmeso.errors import ConfigError, UserError
from mgmeso.kmc.lattice import (
    LATTICE_TYPES,
    LATTICES,
    LatticeType,
    lattice_type,
    make_lattice,
    register_lattice,
)
from mgmeso.percolation.clusters import grid_shape, label_clusters, padded_offsets
from mgmeso.percolation.graph import (
    clusters_networkx,
    footprint_contact_graph,
    site_graph,
)
from mgmeso.percolation.kernels import wrap_onsets
from mgmeso.percolation.liquid import dynamic_liquid_like, static_glass
from mgmeso.percolation.maps import first_crossing, spectral_fraction
from mgmeso.percolation.threshold import estimate_threshold, literature_threshold

P_NEAR = {"square": 0.59, "triangular": 0.5, "sc": 0.31, "bcc": 0.25, "fcc": 0.2}


def _assert_same_as_networkx(field, lat):
    cl = label_clusters(field, lat)
    ref = clusters_networkx(field, lat)
    assert cl.n == len(ref)
    for c, (sites, wraps) in enumerate(ref, start=1):
        idx = np.array(sorted(sites))
        assert np.all(cl.labels[idx] == c)
        assert cl.sizes[c] == idx.size
        assert np.array_equal(cl.wraps[c], wraps)
    assert np.all(cl.labels[~np.asarray(field, bool)] == 0)


@pytest.mark.parametrize("name", LATTICES)
def test_fast_labeller_equals_networkx(name):
    rng = np.random.default_rng(hash(name) % 2**32)
    for _ in range(25):
        L = int(rng.integers(3, 9 if make_lattice(name, 3).dim == 2 else 6))
        lat = make_lattice(name, L)
        p = P_NEAR[name] + rng.uniform(-0.12, 0.12)
        _assert_same_as_networkx(rng.random(lat.n_sites) < p, lat)


def test_hand_built_wrapping_cases():
    lat = make_lattice("square", 6)
    f = np.zeros((6, 6), bool)
    assert label_clusters(f, lat).n == 0
    f[:, 2] = True                      # a full line along x: wraps along x only
    cl = label_clusters(f, lat)
    assert cl.n == 1 and cl.wraps[1].tolist() == [True, False]
    f[:, 2] = False
    f[np.arange(6), np.arange(6)] = True    # diagonal: not connected on the square lattice
    assert label_clusters(f, lat).n == 6
    tri = make_lattice("triangular", 6)
    # on the triangular lattice the anti-diagonal (shift (1, -1)) is a bond: one cluster wrapping both
    g = np.zeros((6, 6), bool)
    g[np.arange(6), (-np.arange(6)) % 6] = True
    cl = label_clusters(g, tri)
    assert cl.n == 1 and cl.wraps[1].tolist() == [True, True]
    full = label_clusters(np.ones(make_lattice("fcc", 3).n_sites, bool), make_lattice("fcc", 3))
    assert full.n == 1 and full.wraps[1].all()
    # a U-shaped cluster touching both faces but not closing around the torus does not wrap
    h = np.zeros((6, 6), bool)
    h[0:5, 0] = True
    h[0:5, 2] = True
    h[4, 0:3] = True
    cl = label_clusters(h, lat)
    assert cl.n == 1 and not cl.wraps_any


def test_graph_measures():
    lat = make_lattice("sc", 4)
    rng = np.random.default_rng(3)
    f = rng.random(lat.n_sites) < 0.4
    g = site_graph(f, lat)
    cl = label_clusters(f, lat)
    assert nx.number_connected_components(g) == cl.n
    assert max(len(c) for c in nx.connected_components(g)) == cl.sizes[1:].max()
    # footprints: two touching footprints and one apart
    fp = np.full(lat.n_sites, -1)
    fp[[0, 1]] = 0                       # sites 0, 1 (z neighbours)
    fp[[2]] = 2                          # site 2 touches site 1
    fp[[40]] = 40
    cg = footprint_contact_graph(fp, lat)
    assert sorted(cg.edges()) == [(0, 2)] and cg.nodes[0]["size"] == 2 and cg.number_of_nodes() == 3


def _prefix_wraps_networkx(order, n, lat, axis):
    f = np.zeros(lat.n_sites, bool)
    f[order[:n]] = True
    return any(w[axis] for _, w in clusters_networkx(f, lat))


@pytest.mark.parametrize("name", LATTICES)
def test_newman_ziff_onsets_equal_brute_force(name):
    """The sweep's onset n is the first prefix of the order whose site field wraps (networkx twin)."""
    rng = np.random.default_rng(11)
    for _ in range(4):
        L = int(rng.integers(3, 7 if make_lattice(name, 3).dim == 2 else 4))
        lat = make_lattice(name, L)
        N = lat.n_sites
        order = rng.permutation(N)
        Lg, Lz = grid_shape(lat)
        on = wrap_onsets(order, Lg, Lz, lat.nb, padded_offsets(lat), np.empty(N, np.int32),
                         np.empty((N, 3), np.int32))
        for a in range(lat.dim):
            n = int(on[a])
            assert n <= N
            assert _prefix_wraps_networkx(order, n, lat, a)
            assert not _prefix_wraps_networkx(order, n - 1, lat, a)
        if lat.dim == 2:
            assert on[2] == N + 1


def test_square_threshold_matches_literature():
    est = estimate_threshold("square", (16, 32, 64), 600, seed=2, bootstrap=60)
    ref = literature_threshold("square").p_c
    assert est.error < 0.015               # informative, not a wide band
    assert abs(est.p_c - ref) < 3 * est.error
    # same seed, same numbers; worker count does not matter
    again = estimate_threshold("square", (16, 32), 50, seed=2, bootstrap=5, workers=1)
    other = estimate_threshold("square", (16, 32), 50, seed=2, bootstrap=5, workers=2)
    assert np.array_equal(again.onsets[32], other.onsets[32])


@pytest.mark.slow
@pytest.mark.parametrize("name,sizes,samples", [
    ("square", (32, 64, 128), 2000), ("triangular", (32, 64, 128), 2000),
    ("sc", (16, 32, 64), 1000), ("bcc", (16, 32, 48), 1000), ("fcc", (12, 24, 36), 1000)])
def test_all_thresholds_match_literature(name, sizes, samples):
    est = estimate_threshold(name, sizes, samples, seed=7, bootstrap=100)
    ref = literature_threshold(name).p_c
    assert abs(est.p_c - ref) < 3 * est.error, (est.p_c, est.error, ref)
    assert est.error < 0.01


@pytest.fixture(scope="module")
def la60():
    return load_material("la60ni15al25")[0]


@pytest.mark.parametrize("het", ["local", "paper"])
def test_static_glass_definition(la60, het):
    from mgmeso.theory import kinetics

    lat = make_lattice("sc", 12)
    g = static_glass(la60, lat, 4, heterogeneity=het)
    for T in (380.0, 450.0, 500.0):
        lt = g.log_tau_max(T)
        qpd = g.qpd(T)
        assert np.all(np.isinf(lt[~qpd])) and np.all(np.isfinite(lt[qpd]))
        fr = g.fraction(T, [1e-3, 1.0, 1800.0, 1e30])
        assert np.all(np.diff(fr) >= 0)                              # wider window, more sites
        assert fr[-1] <= qpd.mean()                                  # never more than the QPD set
        if het == "paper":
            assert fr[-1] == pytest.approx(qpd.mean())
        assert fr[2] == pytest.approx(g.liquid_like(T, 1800.0).mean())
        assert abs(qpd.mean() - float(kinetics.defect_concentration(la60, T))) < 4 * math.sqrt(
            0.25 * 0.75 / lat.n_sites)
    # same glass at every temperature: the QPD set grows with C_d(T)
    assert np.all(g.qpd(450.0) <= g.qpd(520.0))
    # warmer, more liquid-like (at fixed window)
    assert g.fraction(480.0, [1800.0])[0] > g.fraction(400.0, [1800.0])[0]
    if het == "paper":
        # paper heterogeneity: tau_max_j = t0 (tau_beta_j/t0)^(1/chi) exactly
        T = 430.0
        chi = float(kinetics.chi(la60, T))
        tb = kinetics.tau_beta(la60, T) * np.exp(g.disorder.log_tb.astype(float))
        want = np.log(kinetics.tau_max(la60, tb, chi))
        q = g.qpd(T)
        assert np.allclose(g.log_tau_max(T)[q], want[q], rtol=1e-12)


def test_dynamic_definition_and_helpers(la60):
    last = np.array([-1.0, 0.5, 9.0, 10.0, 3.0])
    assert dynamic_liquid_like(last, 10.0, 2.0).tolist() == [False, False, True, True, False]
    assert first_crossing(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.2, 0.6]), 0.4) == pytest.approx(2.5)
    assert math.isnan(first_crossing(np.array([1.0, 2.0]), np.array([0.0, 0.1]), 0.4))
    T = np.arange(250.0, 650.0, 2.0)
    s = spectral_fraction(la60, T, 1e-3)
    assert s[0] == 0.0 and s[-1] == pytest.approx(1.0) and np.all(np.diff(s) >= -1e-12)
    # slower probing, lower temperature for the same fraction ([Duan2022]: modes faster than 1/f)
    assert first_crossing(T, spectral_fraction(la60, T, 1e-5), 0.3) < first_crossing(T, s, 0.3)


# ---------------------------------------------------------------- CLI
def test_cli_threshold(tmp_path, capsys):
    out = tmp_path / "thr"
    assert main(["percolation", "threshold", "--lattice", "square", "--sizes", "8,16",
                 "--samples", "40", "--out", str(out), "--quiet"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last.startswith("p_c = ") and "+/-" in last
    value = float(last.split()[2])
    assert 0.5 < value < 0.7
    meta = json.loads((out / "threshold_square.json").read_text())
    assert meta["p_c"] == pytest.approx(value, abs=1e-5)
    assert (out / "threshold_square.png").stat().st_size > 10000
    assert main(["percolation", "threshold", "--lattice", "square", "--sizes", "8,16",
                 "--samples", "40", "--out", str(out)]) == 2        # no overwrite
    assert main(["percolation", "threshold", "--lattice", "squar", "--sizes", "8,16"]) == 2
    assert main(["percolation", "threshold", "--lattice", "sc", "--sizes", "16"]) == 2
    assert main(["percolation", "threshold", "--lattice", "sc", "--sizes", "a,b"]) == 2
    assert main(["percolation", "threshold", "--lattice", "sc", "--samples", "3"]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'square'" in err and "Traceback" not in err and "--sizes" in err


def test_cli_map_and_deformation_from_config(tmp_path, capsys):
    from pathlib import Path

    cfg = Path(__file__).resolve().parents[1] / "configs" / "la60_stepped_relaxation.toml"
    out = tmp_path / "m"
    assert main(["percolation", "map", str(cfg), "--L", "10", "--lattice", "bcc",
                 "--temperature-K", "440", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "reaches p_c at" in text
    summary = json.loads((out / "liquid_fraction.json").read_text())
    T_cross = summary["T_fraction_reaches_p_c_K"]["1800.0"]
    assert 400.0 < T_cross < 520.0
    assert (out / "map_440K_1800s.png").stat().st_size > 20000
    assert (out / "liquid_fraction.png").stat().st_size > 20000
    assert main(["percolation", "map", str(cfg), "--L", "10", "--out", str(out)]) == 2
    assert main(["percolation", "map", str(cfg), "--window-s", "-5", "--out", str(tmp_path / "x")]) == 2
    assert main(["percolation", "map", str(tmp_path / "missing.toml")]) == 2
    d = tmp_path / "d"
    assert main(["percolation", "deformation", str(cfg), "--L", "8", "--lattice", "bcc",
                 "--out", str(d)]) == 0
    rows = (d / "deformation_map.csv").read_text().splitlines()
    assert rows[0] == "strain_rate_per_s,window_s,T_static_K,T_spectral_K" and len(rows) == 14
    T_static = np.array([float(r.split(",")[2]) for r in rows[1:]])
    assert np.all(np.diff(T_static[np.isfinite(T_static)]) >= 0)   # faster loading, hotter
    assert main(["percolation", "deformation", str(cfg), "--rates-per-s", "1", "0.1",
                 "--out", str(tmp_path / "e")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_cli_map_from_run(tmp_path, capsys):
    cfgfile = tmp_path / "k.toml"
    cfgfile.write_text("""
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 440.0
stress_MPa = 25.0
creep_time_s = 60.0
recovery_time_s = 0.0
[simulation]
lattice = "square"
L = 12
replicas = 2
seed = 3
plasticity = "series"
coalescence = true
footprint_max_sites = 4
[output]
snapshot_times_s = [10.0, 60.0]
""")
    store = tmp_path / "r.zarr"
    assert main(["run", str(cfgfile), "--out", str(store), "--quiet"]) == 0
    out = tmp_path / "pm"
    assert main(["percolation", "map", str(store), "--window-s", "30", "--out", str(out)]) == 0
    rows = (out / "cluster_series.csv").read_text().splitlines()
    assert rows[0].startswith("case,replica,time_s,window_s,liquid_fraction")
    assert len(rows) == 1 + 2 * 2
    assert (out / "map_case0_w30s.png").stat().st_size > 10000
    from mgmeso.kmc.reader import read_run
    run = read_run(store)
    hist = run.coalescence_counts()
    series = run.series("events_coalescence")
    # the histogram accounts for every coalescence the time series counted
    assert np.array_equal(hist.sum(axis=2), np.nanmax(series, axis=2).astype(np.int64))
    assert hist.sum() > 0 and hist[..., :2].sum() == 0     # two footprints hold at least 2 sites
    rows = (out / "coalescence_sizes.csv").read_text().splitlines()
    assert rows[0] == "footprint_sites,coalescences_case0"
    assert main(["percolation", "map", str(store), "--temperature-K", "400"]) == 2
    assert "applies to a config" in capsys.readouterr().err


# ---------------------------------------------------------------- lattice registry
HONEYCOMB = LatticeType("honeycomb", ((1.0, 0.0), (0.5, math.sqrt(3.0) / 2.0)),
                        ((1 / 3, 1 / 3), (2 / 3, 2 / 3)), 3)      # no site threshold on purpose


@pytest.fixture
def honeycomb():
    """A lattice registered for one test (one entry, no literature threshold), removed after."""
    register_lattice(HONEYCOMB)
    yield HONEYCOMB
    del LATTICE_TYPES[HONEYCOMB.name]


@pytest.fixture(scope="module")
def small_stepped(tmp_path_factory):
    """A stepped-relaxation config with 30 K steps: the analytical delta(T) in under a second."""
    p = tmp_path_factory.mktemp("cfg") / "stepped.toml"
    p.write_text('material = "la60ni15al25"\n[protocol]\nkind = "stepped_relaxation"\n'
                 'T_start_K = 380.0\nT_end_K = 470.0\nT_step_K = 30.0\nhold_s = 1800.0\n'
                 '[simulation]\nlattice = "square"\nL = 8\n')
    return p


def test_registry_entries_and_checks():
    for name in LATTICES:
        t = lattice_type(name)
        assert make_lattice(name, 4).z == t.z and t.site_threshold.source
        assert 0 < t.site_threshold.p_c < 1
    with pytest.raises(ValueError, match="gives 3 nearest neighbours"):
        register_lattice(LatticeType("bad", HONEYCOMB.vectors, HONEYCOMB.basis, 6))
    with pytest.raises(ValueError, match="already registered"):
        register_lattice(LATTICE_TYPES["sc"])
    with pytest.raises(ValueError, match="2D or 3D"):
        register_lattice(LatticeType("chain", ((1.0,),), ((0.0,),), 2))
    with pytest.raises(ValueError, match="did you mean 'fcc'"):
        make_lattice("fc", 4)
    assert "bad" not in LATTICE_TYPES and "chain" not in LATTICE_TYPES


def test_registered_lattice_without_threshold(honeycomb, small_stepped, tmp_path, capsys):
    """One entry makes a lattice usable everywhere; without a threshold nothing raises KeyError."""
    from mgmeso.config import parse_config

    lat = make_lattice("honeycomb", 5)
    assert lat.z == 3 and lat.n_sites == 50
    rng = np.random.default_rng(8)
    for L in (3, 4, 6):
        lat = make_lattice("honeycomb", L)
        _assert_same_as_networkx(rng.random(lat.n_sites) < 0.7, lat)
    doc = {"material": "la60ni15al25", "simulation": {"lattice": "honeycomb"},
           "protocol": {"kind": "creep", "temperature_K": 430.0, "stress_MPa": 25.0}}
    assert parse_config(doc).simulation.lattice == "honeycomb"      # the config reads the registry
    assert literature_threshold("honeycomb") is None

    out = tmp_path / "thr"
    assert main(["percolation", "threshold", "--lattice", "honeycomb", "--sizes", "4,8",
                 "--samples", "20", "--out", str(out), "--quiet"]) == 0
    assert "literature: none" in capsys.readouterr().out
    meta = json.loads((out / "threshold_honeycomb.json").read_text())
    assert meta["literature"] is None and meta["deviation_in_errors"] is None

    out = tmp_path / "map"
    assert main(["percolation", "map", str(small_stepped), "--lattice", "honeycomb",
                 "--temperature-K", "450", "--out", str(out)]) == 0
    assert "no literature site threshold" in capsys.readouterr().out
    summary = json.loads((out / "liquid_fraction.json").read_text())
    assert summary["p_c"] is None and summary["T_fraction_reaches_p_c_K"] == {"1800.0": None}
    assert (out / "map_450K_1800s.png").stat().st_size > 10000
    # a threshold given by hand gives the crossings back
    from mgmeso import percolation
    m = percolation.static_map(small_stepped, lattice="honeycomb", p_c=0.2)
    assert m.p_c_source == "given" and 380.0 < m.crossings_K[1800.0] < 530.0
    assert main(["percolation", "deformation", str(small_stepped), "--lattice", "honeycomb",
                 "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "no literature site-percolation threshold" in err and "Traceback" not in err
    del LATTICE_TYPES["honeycomb"]
    with pytest.raises(ConfigError, match="lattice = 'honeycomb'"):
        parse_config(doc)
    register_lattice(HONEYCOMB)                      # for the fixture's teardown


# ---------------------------------------------------------------- API and plotting
def test_api_results_and_plots_draw_where_told(small_stepped, tmp_path):
    import matplotlib.pyplot as plt

    from mgmeso import percolation
    from mgmeso.errors import OutputExistsError
    from mgmeso.plotting import save
    from mgmeso.plotting.percolation_plots import (
        plot_deformation_map,
        plot_liquid_curves,
        plot_site_map,
        plot_threshold,
    )

    m = percolation.static_map(small_stepped, temperatures_K=[450.0], lattice="bcc", L=6)
    assert m.p_c == literature_threshold("bcc").p_c and m.map_temperatures_K == (450.0,)
    assert 400.0 < m.summary()["T_fraction_reaches_p_c_K"]["1800.0"] == m.crossings_K[1800.0]
    sm = m.site_map(450.0, 1800.0)
    assert sm.liquid.mean() == pytest.approx(m.glass.fraction(450.0, [1800.0])[0])
    assert sm.clusters.occupied_fraction == pytest.approx(sm.liquid.mean())
    dm = percolation.deformation_map(small_stepped, n_rates=3)
    est = percolation.estimate_threshold("square", (4, 8), 20, bootstrap=5)
    fig, ax = plt.subplots(1, 3)
    assert plot_liquid_curves(m, ax=ax[0]) is ax[0]
    assert plot_deformation_map(dm, ax=ax[1]) is ax[1]
    assert plot_threshold(est, ax=ax[2]) is ax[2]
    assert all(a.has_data() for a in ax) and len(fig.axes) == 3
    f2 = plt.figure()
    assert plot_site_map(sm, fig=f2) is f2 and len(f2.axes) == 4      # 3D: 3 panels, colour bar
    png = tmp_path / "p.png"
    assert save(fig, png, close=False) == png and png.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(OutputExistsError):
        save(fig, png)
    save(fig, png, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png"]     # no temporary left
    plt.close("all")
    with pytest.raises(UserError, match="window_s = -1"):
        percolation.static_map(small_stepped, windows_s=[-1.0])


def test_importing_plotting_leaves_the_backend_alone():
    """A notebook keeps its backend: only the CLI entry (use_file_backend) chooses Agg."""
    import subprocess
    import sys
    from pathlib import Path

    import mgmeso

    code = ("import matplotlib; matplotlib.use('svg'); import mgmeso.plotting.kmc_plots, "
            "mgmeso.plotting.theory_plots; print(matplotlib.get_backend()); "
            "from mgmeso.plotting import use_file_backend; use_file_backend(); "
            "print(matplotlib.get_backend().lower())")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True).stdout.split()
    assert out == ["svg", "agg"]
    # and no other module of the package switches it (percolation_plots imports the engine, too
    # slow for a subprocess here)
    root = Path(mgmeso.__file__).parent
    users = sorted(str(p.relative_to(root)) for p in root.rglob("*.py")
                   if "matplotlib.use(" in p.read_text(encoding="utf-8"))
    assert users == ["plotting/__init__.py"]
