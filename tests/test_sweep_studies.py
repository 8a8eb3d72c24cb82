"""The study SWEEP.toml files validate, and their collection analyses run on shrunk versions."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from mgmeso.cli import main
from mgmeso.sweep import load_sweep

SWEEPS = Path(__file__).resolve().parents[1] / "configs" / "sweeps"


@pytest.mark.parametrize("path", sorted(SWEEPS.glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_sweeps_expand_and_validate(path):
    sw = load_sweep(path)
    assert len(sw.runs) >= 4
    assert sw.collect.get("analysis")
    assert len({r.record()["config_hash"] for r in sw.runs}) == len(sw.runs)


def shrunk(tmp: Path, name: str, subs: list[tuple[str, str]]) -> Path:
    """The shipped sweep file with absolute paths and textual substitutions (smaller runs)."""
    text = (SWEEPS / f"{name}.toml").read_text()
    text = text.replace('base = "../', f'base = "{SWEEPS.parent}/')
    text = text.replace('reference = "../../', f'reference = "{SWEEPS.parents[1]}/')
    for a, b in subs:
        text, n = re.subn(a, b, text)
        assert n, a
    p = tmp / f"{name}.toml"
    p.write_text(text)
    return p


def _run_and_collect(toml: Path, tmp: Path, capsys, theory: bool = False) -> str:
    store = tmp / "s.zarr"
    assert main(["sweep", str(toml), "--out", str(store), "--executor", "serial", "--quiet"]) == 0
    if theory:
        assert main(["sweep", str(toml), "--out", str(store), "--theory", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["sweep", "--collect", str(store), "--out", str(tmp / "analysis")]) == 0
    return capsys.readouterr().out


@pytest.mark.slow
def test_deviation_analysis_on_a_tiny_lattice(tmp_path, capsys):
    toml = shrunk(tmp_path, "kmc_deviation", [
        (r"L = 12", "L = 3"), (r"replicas = 16", "replicas = 2"),
        (r"creep_time_s = 330.0", "creep_time_s = 20.0"),
        (r"recovery_time_s = 1000.0", "recovery_time_s = 20.0"),
        (r"creep_end_s = 330.0", "creep_end_s = 20.0"),
        (r'"protocol.temperature_K" = \[400.0, 415.0, 430.0, 445.0\]',
         '"protocol.temperature_K" = [430.0, 445.0]'),
        (r'"simulation.seed" = \[400, 415, 430, 445\]', '"simulation.seed" = [430, 445]'),
        (r"labels = \[400.0, 415.0, 430.0, 445.0\]", "labels = [430.0, 445.0]")])
    out = _run_and_collect(toml, tmp_path, capsys)
    assert "445 K  mesoscale (alpha growth)" in out
    with open(tmp_path / "analysis" / "deviation.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8
    # the mean-field theory does not depend on the rule; the series theory does not either
    mf = {(r["temperature_K"], r["anelastic_meanfield_theory"]) for r in rows}
    assert len(mf) == 2
    assert (tmp_path / "analysis" / "deviation.png").stat().st_size > 10_000


@pytest.mark.slow
def test_creep_compliance_analysis_with_theory(tmp_path, capsys):
    toml = shrunk(tmp_path, "creep_T_stress_meanfield", [
        (r"L = 8", "L = 3"), (r"replicas = 4\n# one", "replicas = 2\n# one"),
        (r"values = \[400.0, 415.0, 430.0, 445.0\]", "values = [430.0, 445.0]"),
        (r"values = \[10.0, 25.0, 50.0\]", "values = [25.0, 50.0]"),
        (r"\[\[axis\]\]\nreplicas = 4", "[[axis]]\nreplicas = 2")])
    out = _run_and_collect(toml, tmp_path, capsys, theory=True)
    assert "compliance_end_creep_per_MPa: max |kMC - theory| / SE" in out
    with open(tmp_path / "analysis" / "creep_compliance.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4
    th = [float(r["compliance_end_creep_per_MPa_theory"]) for r in rows]
    assert th[0] == pytest.approx(th[1], rel=1e-12)          # linear model: same J at 25, 50 MPa
    assert th[2] > th[0]                                       # softer at 445 K


@pytest.mark.slow
def test_training_creep_analysis_on_a_short_program(tmp_path, capsys):
    toml = shrunk(tmp_path, "aging_training_creep", [
        (r"replicas = 1\n", "replicas = 1\nL = 4\n"), (r"replicas = 8", "replicas = 3")])
    text = toml.read_text().replace("[base.simulation]", """[base.protocol]
frequency_Hz = [1.0, 10.0]
T_end_K = 310.0
terminal_temperatures_K = [305.0, 310.0]
post_creep_hold_s = 60.0
post_creep_time_s = 60.0

[base.simulation]""")
    toml.write_text(text)
    out = _run_and_collect(toml, tmp_path, capsys)
    assert "creep after training untrained" in out and "against" in out
    with open(tmp_path / "analysis" / "training_creep.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["case"] for r in rows] == ["untrained", "1 Hz", "10 Hz"]
    assert all(np.isfinite(float(r["creep_strain"])) and float(r["creep_strain"]) > 0
               for r in rows)
