"""The physical two-state bias law in the engine (docs/kmc_elastic.md section 1): its config
keys, the per-process saturation stresses, and the agreement with the linear law in the
linear regime."""

from __future__ import annotations

import tomllib

import pytest

from mgmeso.config import parse_config
from mgmeso.errors import ConfigError

PROTO = '''
[protocol]
kind = "creep"
temperature_K = 430.0
stress_MPa = 25.0
creep_time_s = 10.0
[simulation]
L = 6
replicas = 2
'''
CREEP = 'material = "la60ni15al25"\n' + PROTO


def _errors(text):
    with pytest.raises(ConfigError) as exc:
        parse_config(tomllib.loads(text))
    return "\n".join(exc.value.messages)


def test_config_keys_defaults_and_errors():
    cfg = parse_config(tomllib.loads(CREEP))
    assert cfg.simulation.bias_law == "physical"
    assert (cfg.material.site_volume_nm3, cfg.material.poisson_ratio) == (2.8, 0.35)
    msg = _errors(CREEP + 'bias_law = "tanh"\n')
    assert "bias_law" in msg and "'physical'" in msg and "'linear'" in msg
    msg = _errors(CREEP + 'bias_saturation_stress_MPa = 100.0\n')
    assert "bias_saturation_stress_MPa" in msg and "bias_law = 'linear'" in msg
    parse_config(tomllib.loads(CREEP + 'bias_law = "linear"\nbias_saturation_stress_MPa = 100.0\n'))
    for key, val in (("site_volume_nm3", 0.01), ("site_volume_nm3", 1e3), ("poisson_ratio", 0.5),
                     ("poisson_ratio", -1.0)):
        msg = _errors(f'[material]\nbase = "la60ni15al25"\n{key} = {val}\n' + PROTO)
        assert key in msg and "nm^3" * (key == "site_volume_nm3") in msg, msg
