"""docs/tutorial.md is executed: every ```python block, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"


def code_blocks(text: str) -> list[str]:
    """The ```python blocks of a Markdown text."""
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_tutorial_runs(tmp_path, monkeypatch, capsys):
    blocks = code_blocks(TUTORIAL.read_text())
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    ns: dict = {"__name__": "tutorial"}
    for k, code in enumerate(blocks):
        try:
            exec(compile(code, f"{TUTORIAL.name} block {k + 1}", "exec"), ns)
        except Exception as exc:          # name the block that broke
            pytest.fail(f"{TUTORIAL.name} block {k + 1} raised {exc!r}:\n{code}")
    out = capsys.readouterr().out
    # what the text says the blocks show
    assert "case" in out and "replica" in out and "time_s" in out
    assert "mean-field Eq. 25a" in out
    assert "overall:" in out
    assert (tmp_path / "creep.zarr" / "zarr.json").is_file()
    assert (tmp_path / "tutorial_creep.png").stat().st_size > 10_000
    ds = ns["ds"]
    assert ds.sizes["replica"] == 16 and list(ds["case"].values) == ["creep"]


def test_readme_shows_both_openers():
    text = (ROOT / "README.md").read_text()
    assert "mgmeso.open_run(" in text and "mgmeso.open_run_zarr(" in text
    assert "docs/tutorial.md" in text
