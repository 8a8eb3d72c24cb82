"""The project stands alone: citations a reader can look up, nothing that points outside.

Every tracked text file is scanned for pointers a user cannot follow: paths outside the
repository, the names of the working copies of the papers, line numbers of text files used as
citations, "seed 00N" used for a paper, and the ids of an external index of the papers. Papers
are cited by author-year key (``[Hao2022] Eq. 25a``); every key used must resolve in
``docs/references.md``, and every erratum cited as ``docs/model.md E<n>`` must exist there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()

#: Files other helpers are rewriting at the same time: their citation edits are listed for the
#: coordinator, who applies them after the rewrite merges and then empties this set.
PENDING: frozenset[str] = frozenset()

#: the outside names, spelled in pieces so that this file does not itself name them
_SHARED, _INDEX = "sha" + "red", "seed" + "_catalog"

#: what may not appear, and why a reader could not follow it
FORBIDDEN = {
    "path outside the repository": re.compile(rf"\.\./{_SHARED}|/{_SHARED}/(?:seeds|MODEL|{_INDEX})"),
    "name of the external paper index": re.compile(_INDEX),
    "file name of a working copy of a paper": re.compile(r"_[0-9a-f]{16}\.txt"),
    "line number of a text file used as a citation": re.compile(r"(?<![\w/.-])L\d{2,4}(?:-\d{1,4})?\b"),
    "'seed' used for a paper (seed means the RNG seed)": re.compile(
        r"(?<![A-Za-z])[Ss]eeds?[\s_-]*0\d\d\b"),
    "the external model contract (cite docs/model.md)": re.compile(r"\bMODEL\.md\b"),
    "id of the external paper index": re.compile(
        r"\b[Cc]atalog (?:F\d|M\d|P\d|S\d|\d\.\d)|\bS00\d-Q\d+|\(F\d{1,2}[),]|\bflags? F\d"),
}

KEY = re.compile(r"\[([A-Z][A-Za-z]+\d{4}[a-z]?)\]")
ERRATUM = re.compile(r"model\.md,? (?:section 6, )?E(\d+)\b")
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip", ".gz", ".npz", ".npy", ".zarr"}


def _tracked_text_files() -> dict[str, str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are not known")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    texts = {}
    for name in out.stdout.decode().split("\0"):
        if not name or Path(name).suffix.lower() in BINARY_SUFFIXES:
            continue
        path = ROOT / name
        if not path.is_file():          # deleted in the working tree, not yet committed
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", errors="replace")
        # figures embedded in a self-contained HTML report are binary: their base64 payload
        # can spell anything (e.g. 'L999')
        texts[name] = DATA_URI.sub("data:;base64,", text)
    return texts


@pytest.fixture(scope="module")
def texts() -> dict[str, str]:
    return _tracked_text_files()


def _defined_keys() -> set[str]:
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\|\s*\[([A-Z][A-Za-z]+\d{4}[a-z]?)\]\s*\|", refs, flags=re.M))


def test_no_pointer_outside_the_project(texts):
    bad = []
    for name, text in texts.items():
        if name == THIS or name in PENDING:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for why, pat in FORBIDDEN.items():
                m = pat.search(line)
                if m:
                    bad.append(f"{name}:{n}: {m.group(0)!r} ({why})")
    assert not bad, ("cite papers as [Key] + equation/figure/table/section "
                     "(docs/references.md):\n" + "\n".join(bad))


def test_scanner_catches_what_it_should():
    # the patterns must fire on the forms they exist for, and stay quiet on ordinary text
    must = [f"../{_SHARED}/MODEL.md", "seed 004 Table 1", "seeds 000 and 003", "theory_seed004",
            "004 L225-230", "(L204)", "catalog F22", "S001-Q9", "(F19)", "x_" + "0123456789abcdef" + ".txt",
            "see MODEL.md"]
    never = ["RNG seed 7", "seed = 2026", "L = 16", "sc L = 20", "[Hao2022] Eq. 25a", "F-P1",
             "docs/model.md E5", "test_tau_beta_catalog_values", "a 1 Hz scan", "seed 2026"]
    for s in must:
        assert any(p.search(s) for p in FORBIDDEN.values()), s
    for s in never:
        assert not any(p.search(s) for p in FORBIDDEN.values()), s


def test_every_cited_key_is_in_references(texts):
    defined = _defined_keys()
    assert {"Hao2022", "Hao2023", "Duan2022", "Zhang2023", "Qiao2019"} <= defined
    missing = []
    for name, text in texts.items():
        if name == THIS:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            missing += [f"{name}:{n}: [{k}]" for k in KEY.findall(line) if k not in defined]
    assert not missing, "keys not defined in docs/references.md:\n" + "\n".join(missing)


def test_docs_cite_by_key():
    docs = ROOT / "docs"
    for page in ("model.md", "theory.md", "kmc_aging.md", "kmc_dma.md"):
        assert KEY.search((docs / page).read_text(encoding="utf-8")), page


def test_every_reference_has_a_doi_or_says_it_is_not_verified():
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    rows = [r for r in refs.splitlines() if re.match(r"^\|\s*\[[A-Z][A-Za-z]+\d{4}[a-z]?\]\s*\|", r)]
    assert len(rows) == len(_defined_keys()), "a key is defined twice"
    for row in rows:
        assert re.search(r"doi\.org/10\.\d{4,}/", row) or "DOI not verified" in row, row


def test_cited_errata_exist(texts):
    model = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    known = set(re.findall(r"^\* \*\*E(\d+) - ", model, flags=re.M))
    assert known, "docs/model.md lists no errata"
    bad = [f"{name}: E{e}" for name, text in texts.items() if name != THIS
           for e in ERRATUM.findall(text) if e not in known]
    assert not bad, "errata cited but not in docs/model.md section 6:\n" + "\n".join(bad)


def test_citation_cff():
    yaml = pytest.importorskip("yaml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["message"] and cff["title"] and cff["authors"]
    refs = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    assert len(cff["references"]) >= 5
    for ref in cff["references"]:
        assert ref["type"] and ref["title"] and ref["authors"], ref
        if "doi" in ref:                # the same DOI, checked the same way, in references.md
            assert str(ref["doi"]) in refs, ref["doi"]
