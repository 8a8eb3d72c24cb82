"""The validation suite: `mgmeso validate --quick` has no failure, its report is complete,
and every case fails when fed a deliberately broken input.

One quick run of the whole suite (through the CLI, in two worker processes) is shared by
the module; the broken-input tests re-judge its measurements against perturbed references
(cheap), or rerun a cheap case with a wrong parameter.
"""

from __future__ import annotations

import base64
import copy
import re

import pytest

from mgmeso.cli import main
from mgmeso.validation import (
    DISAGREES,
    FAIL,
    NOT_REPRODUCIBLE,
    NOT_RUN,
    PASS,
    all_cases,
    judge,
    run_case,
)
from mgmeso.validation import runner as runner_mod

ALLOWED = {PASS, DISAGREES, NOT_REPRODUCIBLE, NOT_RUN}

# one xdist worker runs this module: the quick suite (about 110 s) is then run once, not once
# per worker
pytestmark = pytest.mark.xdist_group("validate")


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """Run ``mgmeso validate --quick --jobs 2`` once; keep the results for re-judging."""
    out = tmp_path_factory.mktemp("validate") / "report"
    captured = {}
    real = runner_mod.run_cases

    def spy(*args, **kwargs):
        captured["results"] = real(*args, **kwargs)
        return captured["results"]

    mp = pytest.MonkeyPatch()
    mp.setattr(runner_mod, "run_cases", spy)
    try:
        code = main(["validate", "--quick", "--jobs", "2", "--out", str(out)])
    finally:
        mp.undo()
    return code, out, {r.name: r for r in captured["results"]}


def test_quick_suite_has_no_failure(quick):
    code, _, results = quick
    bad = {n: (r.status, r.error[-300:], [(c.name, c.why) for c in r.checks if c.status == FAIL])
           for n, r in results.items() if r.status not in ALLOWED}
    assert not bad
    assert code == 0
    assert set(results) == set(all_cases())
    assert all(r.status == NOT_RUN for r in results.values() if all_cases()[r.name].placeholder)
    statuses = {c.status for r in results.values() for c in r.checks}
    assert statuses <= ALLOWED


def test_report_is_complete_with_every_figure(quick):
    _, out, results = quick
    html = (out / "report.html").read_text()
    md = (out / "report.md").read_text()
    imgs = re.findall(r"<img alt='([^']+)' src='data:image/png;base64,([^']+)'>", html)
    want = {n for n, c in all_cases().items() if not c.placeholder}
    assert {n for n, _ in imgs} == want, "a case without its figure"
    for _, b64 in imgs:
        png = base64.b64decode(b64)
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    for n in want:
        assert f"![{n}](figures/{n}.png)" in md and (out / "figures" / f"{n}.png").stat().st_size > 5000
        assert f"id='{n}'" in html
    # one summary row per check, with its tolerance and status
    n_checks = sum(len(r.checks) for r in results.values())
    assert len(re.findall(r"^\| \[\w+\]\(#\w+\) \|", md, flags=re.MULTILINE)) == n_checks
    assert "commit:" in md and "machine:" in md and "command: `mgmeso validate" in md
    # never replaced without --overwrite
    assert main(["validate", "--case", "percolation_liquid_fraction", "--out", str(out)]) == 2


# a perturbed reference per case: a documented agreement becomes a disagreement (or the
# reverse), and the case must then fail
PERTURBED = {
    "hao2022_dma_1Hz": {"beta_peak_T": 380.0},
    "hao2022_arrhenius": {"U_beta_fit": 92.0},
    "hao2022_tension_430K": {"initial_modulus_MPa": 28600.0},
    "hao2022_chi_tan_delta": {"chi_g_precision": 0.02},
    "hao2023_two_step": {"E1_kJ_per_mol": 95.0},
    "hao2023_beta_share": {"beta_share": 0.063},
    "hao2023_reversibility": {"coincide_tol": 1e-5},
    "duan2022_stepped_relaxation": {"T_alpha_2Hz": 460.0},
    "zhang2023_training": {"n_323K": 0.964},
    "percolation_site_thresholds": {"p_c_sc": 0.33},
    "percolation_liquid_fraction": {"liquid_fraction_threshold": 0.31},
    "hao_joint_fit": {"two_step_margin_max": 100.0},
}


@pytest.mark.parametrize("name", sorted(PERTURBED))
def test_case_fails_on_a_perturbed_reference(quick, name):
    _, _, results = quick
    case = all_cases()[name]
    r = results[name]
    status, _ = judge(case, r.measured, case.references())
    assert status == r.status != FAIL
    status, checks = judge(case, r.measured, case.references().replace(**PERTURBED[name]))
    assert status == FAIL, [(c.name, c.status) for c in checks]


def test_fit_round_trip_fails_against_a_wrong_truth(quick):
    _, _, results = quick
    case = all_cases()["fit_round_trips"]
    m = copy.deepcopy(results["fit_round_trips"].measured)
    m["relaxation"]["truth"]["A_an_per_MPa"] *= 1.2
    assert judge(case, m)[0] == FAIL


# a wrong parameter per cheap case: the measured side is rerun with it
WRONG = {
    "closed_two_state": {"options": {"rate_factor": 1.1}},
    "closed_stable_law": {"options": {"chi_shift": 0.03}},
    "closed_gumbel": {"options": {"B_factor": 1.05}},
    "closed_lockin": {"options": {"amp_factor": 1.001}},
    "closed_kww_transform": {"options": {"chi_shift": 1e-4}},
    "hao2022_creep_recovery_430K": {"material_overrides": {"A_vp_per_MPa": 1.5e-9}},
}


@pytest.mark.parametrize("name", sorted(WRONG))
def test_case_fails_with_a_wrong_parameter(name):
    r = run_case(name, "quick", figure=False, **WRONG[name])
    assert r.status == FAIL, [(c.name, c.measured, c.status) for c in r.checks]


def test_every_case_has_a_broken_input_test():
    runnable = {n for n, c in all_cases().items() if not c.placeholder}
    # the kMC cases' broken inputs: tests/test_validation_kmc.py
    assert runnable == set(PERTURBED) | set(WRONG) | {"fit_round_trips", "kmc_vs_analytical",
                                                      "kmc_mesoscale_vs_meanfield"}


def test_cli_errors_exit_2(tmp_path, capsys):
    assert main(["validate", "--case", "no_such_case", "--out", str(tmp_path / "a")]) == 2
    assert "no such validation case" in capsys.readouterr().err
    assert main(["validate", "--jobs", "0", "--out", str(tmp_path / "b")]) == 2
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert main(["validate", "--list"]) == 0
    assert "hao2022_tension_430K" in capsys.readouterr().out


def test_missing_case_directory_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MGMESO_VALIDATION_DIR", str(tmp_path / "nowhere"))
    assert main(["validate", "--list"]) == 2
    assert "MGMESO_VALIDATION_DIR" in capsys.readouterr().err


def test_every_case_directory_is_documented():
    from mgmeso.validation import validation_root

    for name, case in all_cases().items():
        d = validation_root() / name
        text = (d / "README.md").read_text()
        assert name in text
        refs = case.references()
        for key, ref in refs.rows.items():
            assert ref.source, key
        # (pointers outside the project and citation style: tests/test_references.py)


def test_embedded_figures_are_palette_pngs_of_the_same_size():
    """The HTML embeds figures re-encoded with a palette: same pixel size, smaller file."""
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from PIL import Image

    from mgmeso.validation.report import compact_png

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1, 4, 9], "o-")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    png = buf.getvalue()
    small = compact_png(png)
    assert Image.open(io.BytesIO(small)).size == Image.open(io.BytesIO(png)).size
    assert Image.open(io.BytesIO(small)).mode == "P"
    assert len(small) < len(png)
