"""Config files: what is accepted, what is rejected and how the rejection reads."""

import tomllib

import pytest

from mgmeso.cli import main
from mgmeso.config import load_config, load_material, parse_config
from mgmeso.errors import ConfigError

from .conftest import CONFIGS


def write(tmp_path, text, name="c.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = '''
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
'''


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    cfg = load_config(path)
    assert cfg.material.name
    assert cfg.title


@pytest.mark.parametrize("name", ["la60ni15al25", "la30ce30ni10al20co10"])
def test_material_files_document_every_key(name):
    mat, path, sources = load_material(name)
    for key in ("E_unrelaxed_MPa", "E_relaxed_beta_MPa", "U_beta_kJ_per_mol", "tau_beta0_s",
                "A_an_per_MPa", "chi_g", "a1_per_K", "a2", "t0_s", "sigma1_MPa", "Tg_K",
                "B_beta", "Cd_at_Tg"):
        assert key in sources and len(sources[key]) > 10, key


def test_la60_material_is_table_1(la60):
    assert (la60.E_unrelaxed_MPa, la60.E_relaxed_beta_MPa) == (3.3e4, 3.06e4)
    assert (la60.U_beta_kJ_per_mol, la60.tau_beta0_s) == (83.12, 1.86e-13)
    assert (la60.A_an_per_MPa, la60.A_vp, la60.chi_g) == (1.5e-5, 1.5e-5, 0.4)
    assert (la60.a1_per_K, la60.t0_s, la60.sigma1_MPa, la60.a2, la60.Tg_K) == \
        (0.00231, 6e-7, 28000.0, 1.8, 453.0)


def errors_of(tmp_path, text):
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    return "\n".join(exc.value.messages)


def test_unknown_key_suggests_nearest(tmp_path):
    msg = errors_of(tmp_path, BASE + "stres_MPa = 3\n")
    assert "unknown key 'stres_MPa'" in msg and "did you mean 'stress_MPa'" in msg


def test_typo_in_material_key_and_case(tmp_path):
    msg = errors_of(tmp_path, BASE.replace('material = "la60ni15al25"', "") +
                    '[material]\nbase = "la60ni15al25"\nChi_g = 0.5\n')
    assert "did you mean 'chi_g'" in msg


def test_out_of_range_names_key_value_range_and_why(tmp_path):
    msg = errors_of(tmp_path, BASE.replace('material = "la60ni15al25"', "") +
                    '[material]\nbase = "la60ni15al25"\nchi_g = 1.5\n')
    assert "chi_g = 1.5" in msg and "(0, 1]" in msg and "perfect order" in msg


@pytest.mark.parametrize("line,fragment", [
    ("temperature_K = -5.0", "temperature_K = -5"),
    ("temperature_K = 0.0", "allowed range is (0, 5000]"),
    ("temperature_K = nan", "must be finite"),
    ("temperature_K = 'hot'", "must be a number"),
    ("temperature_K = true", "must be a number"),
    ("creep_time_s = -1.0", "a duration must be positive"),
    ("stress_MPa = 30000.0", "must be below [material] sigma1_MPa"),
])
def test_bad_protocol_values(tmp_path, line, fragment):
    key = line.split("=")[0].strip()
    text = "\n".join(ln for ln in BASE.splitlines() if not ln.startswith(key)) + "\n" + line + "\n"
    assert fragment in errors_of(tmp_path, text)


def test_Er_above_Eu_rejected(tmp_path):
    msg = errors_of(tmp_path, BASE.replace('material = "la60ni15al25"', "") +
                    '[material]\nbase = "la60ni15al25"\nE_relaxed_beta_MPa = 4e4\n')
    assert "must be below E_unrelaxed_MPa" in msg


def test_missing_tables_and_kinds(tmp_path):
    assert "missing [protocol]" in errors_of(tmp_path, 'material = "la60ni15al25"\n')
    assert "missing material" in errors_of(tmp_path, "[protocol]\nkind = 'creep'\n")
    msg = errors_of(tmp_path, 'material = "la60ni15al25"\n[protocol]\nkind = "crep"\n')
    assert "did you mean 'creep'" in msg
    msg = errors_of(tmp_path, 'material = "la60ni15al26"\n[protocol]\nkind = "creep"\n'
                    'temperature_K = 400.0\nstress_MPa = 1.0\n')
    assert "did you mean 'la60ni15al25'" in msg


def test_inline_material_needs_every_required_key(tmp_path):
    msg = errors_of(tmp_path, "[material]\nname = 'x'\n[protocol]\nkind = 'creep'\n"
                    "temperature_K = 400.0\nstress_MPa = 1.0\n")
    assert "missing required key 'E_unrelaxed_MPa'" in msg and "missing required key 'Tg_K'" in msg


def test_all_problems_reported_together(tmp_path):
    text = BASE + "stres = 1\n[output]\nplott = true\n"
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    assert len(exc.value.messages) == 2


def test_invalid_toml_and_missing_file(tmp_path):
    assert "not valid TOML" in errors_of(tmp_path, "kind = = 3")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml")


def test_program_segments(tmp_path):
    text = '''material = "la60ni15al25"
[protocol]
kind = "program"
temperature_K = 315.0
[[protocol.segments]]
type = "hold_strain"
strain = 0.006
duration_s = 100.0
[[protocol.segments]]
type = "hold_stres"
'''
    msg = errors_of(tmp_path, text)
    assert "did you mean 'hold_stress'" in msg


def test_config_show_is_valid_toml_that_round_trips(tmp_path, capsys):
    src = CONFIGS / "la60_tension_430K.toml"
    assert main(["config", "show", str(src)]) == 0
    out = capsys.readouterr().out
    doc = tomllib.loads(out)
    # the printed config, read back, is the same config
    doc["material"].pop("name")
    doc["material"]["name"] = load_config(src).material.name
    again = parse_config(doc, src)
    orig = load_config(src)
    assert again.material == orig.material
    assert again.protocol == orig.protocol
    assert again.theory == orig.theory
    assert "[K]" in out and "source: [Hao2022] Table 1" in out


def test_cli_bad_config_exit_2_no_traceback(tmp_path, capsys):
    p = write(tmp_path, BASE + "stres = 3\n")
    assert main(["theory", str(p), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "unknown key 'stres'" in err
    assert not (tmp_path / "o").exists()  # nothing written before validation passed


def test_cross_key_checks_of_new_options(tmp_path):
    """Options that only make sense together are rejected with both keys named."""
    msg = errors_of(tmp_path, BASE + '[simulation]\nheterogeneity = "paper"\n'
                    'hierarchy_beta_time = "neighbourhood"\n')
    assert "hierarchy_beta_time = 'neighbourhood' needs heterogeneity = 'local'" in msg
    training = ('material = "la30ce30ni10al20co10"\n[protocol]\nkind = "cyclic_training"\n'
                'post_scan_T_end_K = 420.0\npost_creep_stress_MPa = 25.0\n')
    msg = errors_of(tmp_path, training)
    assert "post_scan_T_end_K = 420 and post_creep_stress_MPa = 25" in msg
    assert "choose one post-training test" in msg


def test_training_compiles_the_post_training_creep_test():
    from mgmeso.config.protocols import CyclicTraining
    from mgmeso.program import HoldStress, Temperature, compile_training
    p = CyclicTraining(frequency_Hz=(1.0,), post_creep_stress_MPa=25.0)
    for _label, prog in compile_training(p):
        *_, heat, creep = prog.segments
        assert isinstance(heat, Temperature) and heat.to_K == 403.0 and heat.hold_s == 600.0
        assert heat.rate_K_per_min == p.heating_rate_K_per_min
        assert isinstance(creep, HoldStress) and creep.stress_MPa == 25.0
        assert creep.duration_s == p.post_creep_time_s
