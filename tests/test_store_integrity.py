"""Corruption suite (issue 15.1): damaged run stores and checkpoints are detected, never used.

Each kind of damage is a mutator of a copy of an intact store (or checkpoint directory) and
the words the message must contain. Every damaged store is given to ``export``, ``plot``,
``compare`` and ``percolation map``; every damaged checkpoint directory to ``run --resume``.
Each call must exit 2 with a message naming the store or file and the damage, never a
traceback, never an output file; harmless damage (the provenance file, outside the data)
must give exactly the intact result. ``--resume --restart-damaged`` must then give the same
bytes as the uninterrupted run. The full suite is slow-marked; the default run takes a sample.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mgmeso.cli import main

CFG = '''title = "integrity test"
material = "la60ni15al25"
[protocol]
kind = "creep"
temperature_K = 440.0
stress_MPa = 30.0
creep_time_s = 4.0
t_first_s = 0.01
points_per_decade = 4
[simulation]
lattice = "sc"
L = 5
replicas = 3
seed = 11
[output]
snapshot_times_s = [1.0, 4.0]
'''


@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    """An intact store, its config, and mid-run checkpoints of the same run."""
    from mgmeso.config import load_config
    from mgmeso.config.dump import config_hash
    from mgmeso.kmc import checkpoint, ensemble
    from mgmeso.kmc.replica import Replica
    from mgmeso.kmc.setup import make_setup

    d = tmp_path_factory.mktemp("integrity")
    cfg_path = d / "c.toml"
    cfg_path.write_text(CFG)
    store = d / "ref.zarr"
    assert main(["run", str(cfg_path), "--out", str(store), "--quiet"]) == 0
    # checkpoints part way through every replica (as a killed run leaves them)
    cfg = load_config(cfg_path)
    setup = make_setup(cfg)
    h = config_hash(cfg)
    ck = d / "ck.zarr.ckpt"
    ck.mkdir()
    ensemble._write_info(ck / "run.json", h, cfg)
    seeds = ensemble._seeds(setup)
    for r in range(cfg.simulation.replicas):
        rep = Replica(setup, 0, seeds[0][r])
        for _ in range(6 + 3 * r):
            rep.advance(300)
        checkpoint.save(ck / f"case000_rep{r:05d}.npz", rep, r, h)
    return cfg_path, store, ck


# ---- store damage ----------------------------------------------------------------------------

def _chunk(store: Path, array: str) -> Path:
    return sorted(p for p in (store / array / "c").rglob("*") if p.is_file())[0]


def _root(store: Path) -> dict:
    return json.loads((store / "zarr.json").read_text())


def _set_root(store: Path, meta: dict) -> None:
    (store / "zarr.json").write_text(json.dumps(meta))


def _edit_attrs(fn):
    def mutate(store):
        m = _root(store)
        fn(m["attributes"])
        _set_root(store, m)
    return mutate


def _flip(p: Path, at: int = -3) -> None:
    b = bytearray(p.read_bytes())
    b[at] ^= 0xFF
    p.write_bytes(bytes(b))


def _consolidated(fn):
    def mutate(store):
        m = _root(store)
        fn(m["consolidated_metadata"]["metadata"])
        _set_root(store, m)
    return mutate


def _meta_shape(store):
    p = store / "strain" / "zarr.json"
    m = json.loads(p.read_text())
    m["shape"][2] += 1
    p.write_text(json.dumps(m))


def _extra_array(store):
    shutil.copytree(store / "strain", store / "strain_extra")


def _extra_chunk(store):
    c = _chunk(store, "strain")
    shutil.copy(c, c.parent / "99")


def _swap_chunks(store):
    files = sorted(p for p in (store / "snapshots" / "last_smd_time" / "c").rglob("*")
                   if p.is_file())
    a = files[0]
    b = next(p for p in files[1:] if p.read_bytes() != a.read_bytes())   # two that differ
    ta, tb = a.read_bytes(), b.read_bytes()
    a.write_bytes(tb)
    b.write_bytes(ta)


def _foreign_chunk(store):
    # a chunk of the same size from another array: zarr would read it as valid data
    _chunk(store, "strain").write_bytes(_chunk(store, "strain_beta").read_bytes())


def _chunk_dir(store):
    c = _chunk(store, "stress_MPa")
    c.unlink()
    c.mkdir()


def _as_file(store):
    shutil.rmtree(store)
    store.write_text("not a store\n")


def _orphan_only(store):
    store.rename(store.with_name(store.name + ".tmp999999"))


def _truncate(p: Path, keep: float = 0.5) -> None:
    b = p.read_bytes()
    p.write_bytes(b[: int(len(b) * keep)])


#: name -> (mutator, words the message must contain); None: harmless, the result is unchanged
STORE_DAMAGE = {
    "chunk deleted (time series)": (lambda s: _chunk(s, "strain").unlink(), "chunk file"),
    "chunk deleted (coordinate time_s)": (lambda s: _chunk(s, "time_s").unlink(), "chunk file"),
    "chunk deleted (snapshot field)": (lambda s: _chunk(s, "snapshots/kind").unlink(), "chunk file"),
    "chunk deleted (estimates)": (lambda s: _chunk(s, "estimates/strain").unlink(), "chunk file"),
    "chunk deleted (calibration)": (lambda s: _chunk(s, "unit_strain_beta").unlink(), "chunk file"),
    "chunk deleted (case labels)": (lambda s: _chunk(s, "case").unlink(), "chunk file"),
    "chunk truncated": (lambda s: _truncate(_chunk(s, "strain")), "checksum"),
    "chunk emptied": (lambda s: _chunk(s, "strain_plastic").write_bytes(b""), "checksum"),
    "chunk byte flipped": (lambda s: _flip(_chunk(s, "stress_MPa")), "checksum"),
    "chunk from another array": (_foreign_chunk, "checksum"),
    "chunks swapped": (_swap_chunks, "checksum"),
    "extra chunk file": (_extra_chunk, "chunk file"),
    "chunk replaced by a directory": (_chunk_dir, "chunk file"),
    "array metadata deleted": (lambda s: (s / "strain" / "zarr.json").unlink(), "missing"),
    "array metadata shape edited": (_meta_shape, "consolidated metadata"),
    "array deleted": (lambda s: shutil.rmtree(s / "strain_beta"), "missing"),
    "snapshots group deleted": (lambda s: shutil.rmtree(s / "snapshots"), "missing"),
    "extra array": (_extra_array, "not one the run wrote"),
    "root zarr.json emptied": (lambda s: (s / "zarr.json").write_bytes(b""), "unreadable"),
    "root zarr.json garbage": (lambda s: (s / "zarr.json").write_bytes(os.urandom(300)),
                               "unreadable"),
    "root zarr.json truncated": (lambda s: _truncate(s / "zarr.json", 0.7), "unreadable"),
    "root zarr.json deleted": (lambda s: (s / "zarr.json").unlink(), "no zarr.json"),
    "completeness marker removed": (_edit_attrs(lambda a: a.pop("integrity")),
                                    "completeness marker"),
    "marked incomplete": (_edit_attrs(lambda a: a["integrity"].update(complete=False)),
                          "incomplete"),
    "config attribute edited": (_edit_attrs(lambda a: a["config"]["simulation"].update(seed=12)),
                                "root attributes"),
    "seed attribute edited": (_edit_attrs(lambda a: a.update(seed=99)), "root attributes"),
    "consolidated metadata removed": (lambda s: _set_root(s, {k: v for k, v in _root(s).items()
                                                              if k != "consolidated_metadata"}),
                                      "consolidated metadata"),
    "consolidated shape edited": (_consolidated(lambda m: m["strain"]["shape"].__setitem__(2, 3)),
                                  "consolidated metadata"),
    "old schema (no schema_version)": (_edit_attrs(lambda a: a.pop("schema_version")),
                                       "old schema"),
    "future schema": (_edit_attrs(lambda a: a.update(schema_version=99)), "schema 99"),
    "not a run store": (_edit_attrs(lambda a: a.update(mgmeso_store="other")),
                        "not an mgmeso kMC run store"),
    "a sweep store": (_edit_attrs(lambda a: a.update(mgmeso_store="sweep")), "sweep store"),
    "empty directory": (lambda s: (shutil.rmtree(s), s.mkdir()), "no zarr.json"),
    "a file instead": (_as_file, "is a file"),
    "deleted": (shutil.rmtree, "does not exist"),
    "only the partial store of a killed write": (_orphan_only, "killed while writing"),
    "provenance.json garbage (harmless)": (lambda s: (s / "provenance.json").write_bytes(b"\xff{"),
                                           None),
    "provenance.json deleted (harmless)": (lambda s: (s / "provenance.json").unlink(), None),
}


def _commands(store: Path, out: Path, cfg: Path):
    return {
        "export": ["export", str(store), "--csv", str(out / "e.csv")],
        "plot": ["plot", str(store), "--out", str(out / "p.png")],
        "compare": ["compare", str(store), "--out", str(out / "cmp")],
        "percolation map": ["percolation", "map", str(store), "--out", str(out / "perc")],
    }


def _check_store_damage(name, intact, tmp_path, capsys) -> int:
    cfg, ref, _ = intact
    mutate, words = STORE_DAMAGE[name]
    store = tmp_path / "run.zarr"
    shutil.copytree(ref, store)
    mutate(store)
    calls = 0
    for verb, argv in _commands(store, tmp_path / "out", cfg).items():
        capsys.readouterr()
        rc = main(argv)
        out, err = capsys.readouterr()
        calls += 1
        assert "Traceback" not in err + out, (name, verb)
        if words is None:       # harmless: the same result as from the intact store
            assert rc == 0, (name, verb, err)
            continue
        assert rc == 2, (name, verb, rc, out, err)
        assert str(store) in err and words in err, (name, verb, err)
        assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*")), \
            (name, verb, "an output was written from a damaged store")
    if words is None:
        ref_out = tmp_path / "ref_out"
        assert main(["export", str(ref), "--csv", str(ref_out / "e.csv")]) == 0
        assert (ref_out / "e.csv").read_bytes() == (tmp_path / "out" / "e.csv").read_bytes()
    return calls


SAMPLE_STORE = ["chunk deleted (time series)", "chunk byte flipped", "completeness marker removed",
                "old schema (no schema_version)", "provenance.json garbage (harmless)"]


@pytest.mark.parametrize("name", SAMPLE_STORE)
def test_damaged_store_sample(name, intact, tmp_path, capsys):
    _check_store_damage(name, intact, tmp_path, capsys)


@pytest.mark.slow
def test_every_damaged_store(intact, tmp_path, capsys):
    calls = 0
    for k, name in enumerate(STORE_DAMAGE):
        calls += _check_store_damage(name, intact, tmp_path / f"s{k}", capsys)
    print(f"{len(STORE_DAMAGE)} damaged stores, {calls} calls")
    assert len(STORE_DAMAGE) >= 35


# ---- checkpoint damage -----------------------------------------------------------------------

def _npz(ck: Path, r: int = 1) -> Path:
    return ck / f"case000_rep{r:05d}.npz"


def _load(p: Path) -> dict:
    with np.load(p, allow_pickle=False) as z:
        return {k: np.array(z[k]) for k in z.files}


def _rewrite(fn, rehash: bool):
    """Change the arrays of replica 1's file; with ``rehash`` also its header (checksum,
    shapes), as a careful forger would: the layout checks must still catch it.
    """
    from mgmeso.kmc import checkpoint as cp

    def mutate(ck):
        p = _npz(ck)
        d = _load(p)
        head = json.loads(bytes(d.pop(cp.HEADER)).decode())
        fn(d)
        if rehash:
            head["arrays"] = {k: [v.dtype.str, list(v.shape)] for k, v in sorted(d.items())}
            head["sha256"] = cp.content_digest(d)
        d[cp.HEADER] = np.frombuffer(json.dumps(head).encode(), dtype=np.uint8)
        with open(p, "wb") as fh:
            np.savez(fh, **d)
    return mutate


def _header_edit(fn):
    from mgmeso.kmc import checkpoint as cp

    def mutate(ck):
        p = _npz(ck)
        d = _load(p)
        head = json.loads(bytes(d.pop(cp.HEADER)).decode())
        fn(head)
        d[cp.HEADER] = np.frombuffer(json.dumps(head).encode(), dtype=np.uint8)
        with open(p, "wb") as fh:
            np.savez(fh, **d)
    return mutate


def _flip_array_data(ck, member: str = "S_log_tb.npy"):
    """Flip one byte inside an array's data in the file (not in a zip header)."""
    import struct
    import zipfile

    p = _npz(ck)
    with zipfile.ZipFile(p) as z:
        off = z.getinfo(member).header_offset
    raw = p.read_bytes()
    n_name, n_extra = struct.unpack("<HH", raw[off + 26: off + 30])
    _flip(p, off + 30 + n_name + n_extra + 128 + 5)      # past the 128-byte .npy header


def _swap(ck):
    a, b = _npz(ck, 0), _npz(ck, 1)
    ta, tb = a.read_bytes(), b.read_bytes()
    a.write_bytes(tb)
    b.write_bytes(ta)


def _meta_edit(fn):
    def edit(d):
        m = json.loads(bytes(d["meta"]).decode())
        fn(m)
        d["meta"] = np.frombuffer(json.dumps(m).encode(), dtype=np.uint8)
    return edit


def _no_header(ck):
    from mgmeso.kmc import checkpoint as cp
    p = _npz(ck)
    d = _load(p)
    d.pop(cp.HEADER)
    with open(p, "wb") as fh:
        np.savez(fh, **d)


def _nan(key):
    def edit(d):
        d[key] = d[key].copy()
        d[key].flat[0] = np.nan
    return edit


CKPT_DAMAGE = {
    "run.json emptied": (lambda ck: (ck / "run.json").write_text(""), "run.json is empty"),
    "run.json garbage": (lambda ck: (ck / "run.json").write_text("{config"), "not valid JSON"),
    "run.json a list": (lambda ck: (ck / "run.json").write_text("[1, 2]"), "no config_hash"),
    "run.json without hash": (lambda ck: (ck / "run.json").write_text('{"x": 1}'), "no config_hash"),
    "run.json binary": (lambda ck: (ck / "run.json").write_bytes(b"\xff\xfe\x00"), "run.json"),
    "run.json of another config": (lambda ck: (ck / "run.json").write_text(
        '{"config_hash": "0123456789abcdef"}'), "different config"),
    "run.json deleted": (lambda ck: (ck / "run.json").unlink(), "run.json is missing"),
    "npz emptied": (lambda ck: _npz(ck).write_bytes(b""), "is empty"),
    "npz truncated to half": (lambda ck: _truncate(_npz(ck)), "not a readable .npz"),
    "npz truncated to 100 bytes": (lambda ck: _npz(ck).write_bytes(_npz(ck).read_bytes()[:100]),
                                   "not a readable .npz"),
    "npz cut by 10 bytes": (lambda ck: _truncate(_npz(ck), 0.999), "not a readable .npz"),
    "npz random bytes": (lambda ck: _npz(ck).write_bytes(os.urandom(4000)), "not a readable .npz"),
    "npz data byte flipped": (_flip_array_data, "checkpoint case000_rep00001.npz"),
    "npz a directory": (lambda ck: (_npz(ck).unlink(), _npz(ck).mkdir()), "not a regular file"),
    "array missing": (_rewrite(lambda d: d.pop("S_beta"), False), "'S_beta' is missing"),
    "array missing, header forged": (_rewrite(lambda d: d.pop("S_beta"), True),
                                     "'S_beta' is missing"),
    "extra array": (_rewrite(lambda d: d.update(bogus=np.zeros(3)), False), "not one mgmeso wrote"),
    "NaN in the state": (_rewrite(_nan("S_chi"), False), "checksum"),
    "NaN in the state, header forged": (_rewrite(_nan("S_chi"), True), "NaN"),
    "NaN in the time, header forged": (_rewrite(_nan("K_t"), True), "NaN"),
    "inf in the quenched disorder, header forged": (
        _rewrite(lambda d: d["S_log_tb"].__setitem__(0, np.inf), True), "NaN or infinite"),
    "wrong shape, header forged": (_rewrite(lambda d: d.update(S_beta=d["S_beta"][:-1]), True),
                                   "this run's replica has"),
    "wrong dtype, header forged": (_rewrite(lambda d: d.update(S_beta=d["S_beta"].astype(np.int16)),
                                            True), "this run's replica has"),
    "wrong shape, header kept": (_rewrite(lambda d: d.update(S_beta=d["S_beta"][:-1]), False),
                                 "written as"),
    "records columns dropped, header forged": (
        _rewrite(lambda d: d.update(records=d["records"][:, :-1]), True), "observables"),
    "meta garbage, header forged": (
        _rewrite(lambda d: d.update(meta=np.frombuffer(b"\xff garbage", np.uint8)), True),
        "unreadable"),
    "meta key missing, header forged": (_rewrite(_meta_edit(lambda m: m.pop("seg_index")), True),
                                        "lacks seg_index"),
    "snapshot count forged": (_rewrite(_meta_edit(lambda m: m.update(n_snapshots=5)), True),
                              "lacks field"),
    "segment state forged": (_rewrite(_meta_edit(lambda m: m.update(seg={"x": 1})), True),
                             "could not be restored"),
    "replica files swapped": (_swap, "holds case 0 replica 0, not case 0 replica 1"),
    "replica file copied over another": (lambda ck: shutil.copy(_npz(ck, 0), _npz(ck, 1)),
                                         "holds case 0 replica 0"),
    "header removed": (_no_header, "has no header"),
    "header emptied": (_header_edit(lambda h: h.clear()), "header is unreadable"),
    "header of another schema": (_header_edit(lambda h: h.update(schema=1)), "checkpoint schema 1"),
    "header of another config": (_header_edit(lambda h: h.update(config_hash="f" * 16)),
                                 "another config"),
    "header of another replica": (_header_edit(lambda h: h.update(replica=2)),
                                  "holds case 0 replica 2"),
    "checksum edited": (_header_edit(lambda h: h.update(sha256="0" * 64)), "checksum"),
}


def _check_ckpt_damage(name, intact, tmp_path, capsys, restart=False) -> None:
    cfg, ref, ck0 = intact
    mutate, words = CKPT_DAMAGE[name]
    out = tmp_path / "r.zarr"
    ck = tmp_path / "r.zarr.ckpt"
    shutil.copytree(ck0, ck)
    mutate(ck)
    capsys.readouterr()
    rc = main(["run", str(cfg), "--out", str(out), "--resume", "--quiet"])
    o, err = capsys.readouterr()
    assert "Traceback" not in o + err, name
    assert rc == 2, (name, rc, o, err)
    assert words in err, (name, err)
    # the way out: restart the damaged replicas (not for checkpoints of another config)
    assert ("--restart-damaged" in err) == (words != "different config"), (name, err)
    assert not out.exists()
    if restart:
        rc = main(["run", str(cfg), "--out", str(out), "--resume", "--restart-damaged", "--quiet"])
        o, err = capsys.readouterr()
        assert rc == 0 and "Traceback" not in err, (name, err)
        _same_data(ref, out)


def _same_data(a: Path, b: Path) -> None:
    """Every file of two stores but provenance.json byte-identical."""
    fa = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    fb = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    assert fa == fb
    for rel in fa:
        if rel.name != "provenance.json":
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


SAMPLE_CKPT = ["run.json garbage", "npz truncated to half", "NaN in the state, header forged",
               "replica files swapped"]


@pytest.mark.parametrize("name", SAMPLE_CKPT)
def test_damaged_checkpoint_sample(name, intact, tmp_path, capsys):
    _check_ckpt_damage(name, intact, tmp_path, capsys, restart=name == "replica files swapped")


def test_intact_checkpoints_resume_to_the_same_bytes(intact, tmp_path):
    cfg, ref, ck0 = intact
    shutil.copytree(ck0, tmp_path / "r.zarr.ckpt")
    assert main(["run", str(cfg), "--out", str(tmp_path / "r.zarr"), "--resume", "--quiet"]) == 0
    _same_data(ref, tmp_path / "r.zarr")


@pytest.mark.slow
def test_every_damaged_checkpoint(intact, tmp_path, capsys):
    for k, name in enumerate(CKPT_DAMAGE):
        # restart-damaged on a third of them (each reruns the damaged replica); a checkpoint
        # directory of another config is refused even then
        _check_ckpt_damage(name, intact, tmp_path / f"c{k}", capsys,
                           restart=k % 3 == 0 and name != "run.json of another config")
    print(f"{len(CKPT_DAMAGE)} damaged checkpoint directories")
    assert len(CKPT_DAMAGE) >= 35


# ---- same seed, same bytes; a write killed part way --------------------------------------------

def _files(store: Path) -> dict[str, bytes]:
    return {p.relative_to(store).as_posix(): p.read_bytes() for p in sorted(store.rglob("*"))
            if p.is_file()}


def test_same_seed_same_bytes(intact, tmp_path):
    """Two runs of one config and seed (one on 1 thread, one on 3): every file of the store is
    byte-identical -- every chunk file, every array's zarr.json, the groups' zarr.json and the
    root zarr.json (attributes, integrity manifest, consolidated metadata) -- except
    provenance.json, which holds the run-time facts and differs.
    """
    cfg, ref, _ = intact
    out = tmp_path / "again.zarr"
    assert main(["run", str(cfg), "--out", str(out), "--quiet", "--workers", "1"]) == 0
    a, b = _files(ref), _files(out)
    assert a.keys() == b.keys()
    differ = sorted(k for k in a if a[k] != b[k])
    assert differ == [] or differ == ["provenance.json"], differ
    chunks = [k for k in a if "/c/" in k or k.endswith("/c")]
    metas = [k for k in a if k.endswith("zarr.json")]
    assert len(chunks) > 50 and len(metas) > 20          # the comparison covered the data
    prov = json.loads(b["provenance.json"])
    assert {"created_utc", "wall_time_s", "command_line", "host"} <= prov.keys()
    root = json.loads(b["zarr.json"])["attributes"]
    assert not {"created_utc", "wall_time_s", "command_line", "host"} & root.keys()
    # another seed: other data (the comparison can fail)
    other = tmp_path / "seed12.zarr"
    assert main(["run", str(cfg), "--out", str(other), "--quiet", "--seed", "12"]) == 0
    c = _files(other)
    assert c["strain/c/0/0/0"] != a["strain/c/0/0/0"]


KILL_WRITE = r'''
import os, signal, sys
import mgmeso.kmc.store as st

def killed(*args, **kwargs):        # every array written, the completeness marker not yet
    os.kill(os.getpid(), signal.SIGKILL)

st.manifest = killed
from mgmeso.cli import main
sys.exit(main(sys.argv[1:]))
'''


def test_killed_final_write_leaves_an_orphan_that_the_next_run_removes(intact, tmp_path, capsys):
    cfg, ref, _ = intact
    out = tmp_path / "k.zarr"
    script = tmp_path / "kill.py"
    script.write_text(KILL_WRITE)
    proc = subprocess.Popen([sys.executable, str(script), "run", str(cfg), "--out", str(out),
                             "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, perr = proc.communicate(timeout=300)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, perr)
    orphan = tmp_path / f"k.zarr.tmp{proc.pid}"
    assert not out.exists() and orphan.is_dir() and (orphan / "strain").is_dir()
    assert (tmp_path / "k.zarr.ckpt" / "run.json").is_file()      # checkpoints kept
    # a reader names the partial store and the way out
    capsys.readouterr()
    assert main(["export", str(out), "--csv", str(tmp_path / "e.csv")]) == 2
    err = capsys.readouterr().err
    assert orphan.name in err and "killed while writing" in err and "--resume" in err, err
    assert not (tmp_path / "e.csv").exists()
    # the next run removes it (and says so), and finishes from the checkpoints
    assert main(["run", str(cfg), "--out", str(out), "--resume", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert f"removed {orphan}" in err, err
    assert not orphan.exists() and not list(tmp_path.glob("k.zarr.tmp*"))
    assert not (tmp_path / "k.zarr.ckpt").exists()
    a, b = _files(ref), _files(out)
    assert sorted(k for k in a if a[k] != b.get(k)) in ([], ["provenance.json"])
