"""mgmeso fit: round trips from synthetic data, identifiability warnings, CLI and its errors."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.config import load_material
from mgmeso.fit import synthetic
from mgmeso.fit.core import fit_material
from mgmeso.fit.data import parse_column_map, read_dataset


@pytest.fixture(scope="module")
def la60():
    return load_material("la60ni15al25")[0]


def _within(res, truth: dict, k=3.0):
    for name, v in truth.items():
        assert abs(res.values[name] - v) < k * res.std_errors[name], (name, res.values[name], v,
                                                                       res.std_errors[name])
        assert res.std_errors[name] < 0.2 * abs(v)          # an informative error, not a wide band


def test_multifrequency_isochronal_recovers_U_and_tau0(tmp_path, la60, capsys):
    rng = np.random.default_rng(4)
    T = np.arange(320.0, 430.0, 1.0)
    files = []
    for f in (1, 2, 4, 8, 16):
        p = tmp_path / f"scan_{f}Hz.txt"
        cmap = synthetic.write_isochronal(la60, p, float(f), T, rng, noise=0.005)
        files.append(str(p))
    out = tmp_path / "fit"
    argv = files + ["--kind", "dma-isochronal", "--frequency-Hz", "1", "2", "4", "8", "16",
                    "--columns", cmap, "--material", "la60ni15al25",
                    "--free", "U_beta_kJ_per_mol,tau_beta0_s",
                    "--start", "U_beta_kJ_per_mol=75,tau_beta0_s=1e-11", "--out", str(out),
                    "--no-figures"]
    assert main(["fit"] + argv) == 0
    doc = json.loads((out / "fit.json").read_text())
    for key, truth in (("U_beta_kJ_per_mol", 83.12), ("tau_beta0_s", 1.86e-13)):
        p = doc["parameters"][key]
        assert abs(p["value"] - truth) < 3 * p["std_error"]
    # the derived Arrhenius fit of the data's beta peaks (the peaks of the broadened spectrum
    # follow a slightly lower apparent energy, as in docs/theory.md)
    arr = doc["derived_fits"]["beta_peak_arrhenius"]
    assert 76.0 < arr["U_kJ_per_mol"] < 86.0 and len(doc["derived_fits"]["beta_peaks"]) == 5
    # the material file is a valid material for theory and run, with the fitted values
    mat, _, sources = load_material(str(out / "material.toml"))
    assert mat.U_beta_kJ_per_mol == pytest.approx(doc["parameters"]["U_beta_kJ_per_mol"]["value"])
    assert "fitted by mgmeso fit" in sources["U_beta_kJ_per_mol"]
    assert mat.chi_g == la60.chi_g and sources["chi_g"] == load_material("la60ni15al25")[2]["chi_g"]
    assert (out / "report.md").read_text().count("| `") >= 4
    assert main(["fit"] + argv) == 2                        # no overwrite


@pytest.mark.parametrize("scale", [1.0, pytest.param(0.6, marks=pytest.mark.slow)])
def test_round_trips_time_domain_and_sweeps(tmp_path, la60, scale):
    """Several parameter sets ([Hao2022] Table 1, and A_an, t0 scaled) and every protocol shape."""
    truth_mat = dataclasses.replace(la60, A_an_per_MPa=la60.A_an_per_MPa * scale,
                                    t0_s=la60.t0_s / scale)
    rng = np.random.default_rng(int(scale * 10))
    p = tmp_path / "cr.csv"
    cmap = synthetic.write_creep_recovery(truth_mat, p, 430.0, 25.0, 330.0, 1000.0, rng)
    ds = read_dataset(p, "creep-recovery", parse_column_map(cmap), temperature_K=430.0)
    res = fit_material(la60, [ds], ["A_an_per_MPa", "t0_s"],
                       start={"A_an_per_MPa": 3e-5, "t0_s": 2e-6})
    _within(res, {"A_an_per_MPa": truth_mat.A_an_per_MPa, "t0_s": truth_mat.t0_s})
    if scale != 1.0:            # relaxation (Volterra) is the slow one; the default run fits it in
        q = tmp_path / "rel.txt"  # test_cli_every_file_shape
        synthetic.write_relaxation(truth_mat, q, [400.0, 420.0], 0.005, 1800.0, rng)
        ds = read_dataset(q, "relaxation", {k: k for k in ("time_s", "stress_MPa", "strain",
                                                           "temperature_K")})
        res = fit_material(la60, [ds], ["A_an_per_MPa", "t0_s"],
                           start={"A_an_per_MPa": 2.5e-5, "t0_s": 3e-6})
        _within(res, {"A_an_per_MPa": truth_mat.A_an_per_MPa, "t0_s": truth_mat.t0_s})
    s = tmp_path / "sw.csv"
    truth_chi = dataclasses.replace(la60, chi_g=0.4 + 0.05 * (1 - scale), a1_per_K=0.00231 * scale)
    cmap = synthetic.write_isothermal(truth_chi, s, [420.0, 440.0, 460.0], np.geomspace(0.01, 2, 12), rng)
    ds = read_dataset(s, "dma-isothermal", parse_column_map(cmap))
    res = fit_material(la60, [ds], ["chi_g", "a1_per_K"], start={"chi_g": 0.3, "a1_per_K": 0.004})
    _within(res, {"chi_g": truth_chi.chi_g, "a1_per_K": truth_chi.a1_per_K})


def test_shared_parameters_across_kinds(tmp_path, la60):
    """A creep curve and a DMA scan fitted together share A_an."""
    rng = np.random.default_rng(9)
    a = tmp_path / "scan.txt"
    cmap_a = synthetic.write_isochronal(la60, a, 1.0, np.arange(320.0, 500.0, 2.0), rng, noise=0.005)
    b = tmp_path / "cr.csv"
    cmap_b = synthetic.write_creep_recovery(la60, b, 430.0, 25.0, 330.0, 1000.0, rng)
    dss = [read_dataset(a, "dma-isochronal", parse_column_map(cmap_a), frequency_Hz=1.0),
           read_dataset(b, "creep-recovery", parse_column_map(cmap_b), temperature_K=430.0)]
    res = fit_material(la60, dss, ["A_an_per_MPa", "U_beta_kJ_per_mol"],
                       start={"A_an_per_MPa": 2e-5, "U_beta_kJ_per_mol": 80.0})
    _within(res, {"A_an_per_MPa": la60.A_an_per_MPa, "U_beta_kJ_per_mol": 83.12})
    assert len(res.blocks) == 2 and res.n_points == 2 * 90 + 120


def test_identifiability_warning(tmp_path, la60):
    """A_an and t0 from one frequency, beta region only: flagged as not identifiable."""
    rng = np.random.default_rng(1)
    p = tmp_path / "scan.txt"
    cmap = synthetic.write_isochronal(la60, p, 1.0, np.arange(320.0, 360.0, 1.0), rng, noise=0.005)
    ds = read_dataset(p, "dma-isochronal", parse_column_map(cmap), frequency_Hz=1.0)
    res = fit_material(la60, [ds], ["A_an_per_MPa", "t0_s"], loss_only=True)
    assert any("identifiable" in w or "correlated" in w or "singular" in w for w in res.warnings)


def test_cli_errors(tmp_path, capsys):
    good = tmp_path / "c.csv"
    good.write_text("time_s,strain,stress_MPa\n1,0.001,25\n2,0.002,25\n")
    base = [str(good), "--kind", "creep", "--material", "la60ni15al25", "--temperature-K", "430"]
    assert main(["fit"] + base + ["--free", "A_an", "--out", str(tmp_path / "a")]) == 2
    assert main(["fit"] + base + ["--free", "A_an_per_MPa", "--start", "A_an_per_MPa=-1",
                                  "--out", str(tmp_path / "b")]) == 2
    assert main(["fit", str(good), str(good), "--kind", "creep", "creep", "relaxation",
                 "--material", "la60ni15al25", "--free", "t0_s", "--out", str(tmp_path / "c")]) == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,strain,stress_MPa\n1,0.001,25\n2,oops,25\n")
    assert main(["fit", str(bad), "--kind", "creep", "--material", "la60ni15al25", "--free", "t0_s",
                 "--temperature-K", "430", "--out", str(tmp_path / "d")]) == 2
    err = capsys.readouterr().err
    assert "fittable keys" in err and "allowed range" in err and "one per file" in err
    assert "bad.csv: line 3, column 'strain'" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()


def test_cli_every_file_shape(tmp_path, la60, capsys):
    """The shipped example files through the CLI, and isothermal sweeps as one file per temperature."""
    from pathlib import Path

    ex = Path(__file__).resolve().parents[1] / "validation" / "fit_examples"
    runs = [
        ([str(ex / "sweeps.csv"), "--kind", "dma-isothermal", "--columns",
          "temperature_K=T_K,frequency_rad_per_s=omega,tan_delta=tand", "--free", "chi_g,a1_per_K",
          "--start", "chi_g=0.3,a1_per_K=0.004"], {"chi_g": 0.4, "a1_per_K": 0.00231}),
        ([str(ex / "creep_recovery_430K.csv"), "--kind", "creep-recovery", "--temperature-K", "430",
          "--columns", "time_min=time,strain_percent=strain,stress_MPa=stress",
          "--free", "A_an_per_MPa,t0_s", "--start", "A_an_per_MPa=3e-5,t0_s=1e-6"],
         {"A_an_per_MPa": 1.5e-5, "t0_s": 6e-7}),
        ([str(ex / "relaxation.txt"), "--kind", "relaxation", "--free", "A_an_per_MPa",
          "--start", "A_an_per_MPa=2.5e-5"], {"A_an_per_MPa": 1.5e-5}),
    ]
    # one file per temperature, the temperature given on the command line
    rng = np.random.default_rng(3)
    files = []
    for T in (420.0, 460.0):
        p = tmp_path / f"sweep_{T:g}.csv"
        synthetic.write_isothermal(la60, p, [T], np.geomspace(0.01, 2, 12), rng)
        p.write_text("\n".join(ln.split(",", 1)[1] for ln in p.read_text().splitlines()) + "\n")
        files.append(str(p))
    runs.append((files + ["--kind", "dma-isothermal", "--temperature-K", "420", "460", "--columns",
                          "frequency_rad_per_s=omega,tan_delta=tand", "--free", "chi_g,a1_per_K",
                          "--start", "chi_g=0.3,a1_per_K=0.004"], {"chi_g": 0.4, "a1_per_K": 0.00231}))
    for k, (argv, truth) in enumerate(runs):
        out = tmp_path / f"o{k}"
        figs = [] if k == 1 else ["--no-figures"]          # one figure is enough here
        assert main(["fit"] + argv + ["--material", "la60ni15al25", "--out", str(out)] + figs) == 0, \
            capsys.readouterr().err
        doc = json.loads((out / "fit.json").read_text())
        for name, v in truth.items():
            p = doc["parameters"][name]
            assert abs(p["value"] - v) < 3 * p["std_error"], (k, name, p, v)
        assert len(list(out.glob("fit_*.png"))) == (len(doc["data_files"]) if k == 1 else 0)
