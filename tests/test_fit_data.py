"""Reading measurement files: column maps, unit conversion, clear errors on malformed files."""

from __future__ import annotations

import numpy as np
import pytest

from mgmeso.errors import DataError
from mgmeso.fit.data import parse_column_map, read_dataset


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_units_and_shapes(tmp_path):
    p = write(tmp_path, "scan.txt", "# instrument export\nTemp\tEp\tEpp\n26.85\t33.0\t0.5\n"
              "46.85\t32.9\t0.7\n")
    d = read_dataset(p, "dma-isochronal", parse_column_map("temperature_degC=Temp,"
                     "G_storage_GPa=Ep,G_loss_GPa=Epp"), poisson_ratio=0.25, frequency_Hz=1.0)
    assert np.allclose(d.columns["temperature_K"], [300.0, 320.0])
    assert np.allclose(d.columns["E_storage_MPa"], [2 * 1.25 * 33e3, 2 * 1.25 * 32.9e3])
    assert np.allclose(d.columns["frequency_Hz"], 1.0) and d.lines.tolist() == [3, 4]
    c = write(tmp_path, "creep.csv", "t;eps;sig\n0;0;25\n1.5;0.1;25\n3;0.15;0\n")
    d = read_dataset(c, "creep-recovery", parse_column_map("time_min=t,strain_percent=eps,"
                     "stress_MPa=sig"))
    assert np.allclose(d.columns["time_s"], [0, 90, 180]) and np.allclose(d.columns["strain"], [0, 1e-3, 1.5e-3])
    iso = write(tmp_path, "iso.csv", "T,f,tand\n400,0.01,0.1\n400,0.1,0.05\n410,0.01,0.2\n410,0.1,0.1\n")
    d = read_dataset(iso, "dma-isothermal", parse_column_map("temperature_K=T,frequency_Hz=f,tan_delta=tand"))
    assert len(d) == 4       # frequencies restart at each temperature: allowed


@pytest.mark.parametrize("text,cmap,kind,needle", [
    ("T,E2\n300,1\n310,x\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "line 3, column 'E2'"),
    ("T,E2\n300,1\n310,nan\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "not a finite"),
    ("T,E2\n300,1\n300,2\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "line 3: temperature_K 300 duplicates line 2"),
    ("T,E2\n300,1\n310,2\n305,2\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "line 4: temperature_K 305 reverses"),
    ("t,e\n1,1\n0.5,2\n", "time_s=t,strain=e", "creep", "increase strictly"),
    ("T,E2\n300,-1\n310,2\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "line 2, column 'E2': -1 is outside [0, 1e+07] MPa"),
    ("Temp,E2\n300,1\n", "temperature_K=Tmp,E_loss_MPa=E2", "dma-isochronal", "did you mean 'Temp'"),
    ("T,E2\n300,1\n", "temperature_K=T", "dma-isochronal", "E_loss_MPa or tan_delta"),
    ("T,E2\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "no data rows"),
    ("T,E2\n20,1\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", None),
    ("T,E2\n-20,1\n", "temperature_K=T,E_loss_MPa=E2", "dma-isochronal", "above 0 K"),
])
def test_malformed_files(tmp_path, text, cmap, kind, needle):
    p = write(tmp_path, "bad.csv", text)
    if needle is None:
        read_dataset(p, kind, parse_column_map(cmap))
        return
    with pytest.raises(DataError) as exc:
        read_dataset(p, kind, parse_column_map(cmap))
    assert needle in str(exc.value) and "bad.csv" in str(exc.value)


def test_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="unknown unit 'fortnight'.*time_min"):
        parse_column_map("time_fortnight=t,stress_MPa=s")
    with pytest.raises(DataError, match="KEY=HEADER"):
        parse_column_map("temperature_K")
    with pytest.raises(DataError, match="no such data file"):
        read_dataset(tmp_path / "none.csv", "creep", {"time_s": "t"})
    with pytest.raises(DataError, match="must be one of"):
        read_dataset(tmp_path / "none.csv", "dma", {"time_s": "t"})


def test_column_map_file(tmp_path):
    spec = tmp_path / "cols.toml"
    spec.write_text('[columns]\ntemperature_degC = "Temp"\nE_loss_GPa = "E2"\n')
    assert parse_column_map(str(spec)) == {"temperature_degC": "Temp", "E_loss_GPa": "E2"}
    spec.write_text('[columns]\ntemperature_degR = "Temp"\n')
    with pytest.raises(DataError, match="unknown unit"):
        parse_column_map(str(spec))
    spec.write_text('colums = 1\n')
    with pytest.raises(DataError, match="one \\[columns\\] table"):
        parse_column_map(str(spec))
