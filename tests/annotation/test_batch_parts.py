"""The batch's parts on synthetic input (no fixture models): content keys and duplicates, zip safety, the worker
sandbox's time limit and crash handling, the manifest's commit protocol and recovery, the gate, the CLI's sizes."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
import zipfile
from pathlib import Path

import pytest

from seethrough.annotation.batch.discover import ModelSource, discover, find_sources, fingerprint
from seethrough.annotation.batch.options import BatchOptions
from seethrough.core.errors import BadInput


def _model(folder: Path, name: str = "m", texture: bytes = b"png-bytes", extra: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.moc3").write_bytes(b"MOC3-bytes")
    (folder / "tex").mkdir(exist_ok=True)
    (folder / "tex" / "t.png").write_bytes(texture)
    (folder / "motion.json").write_text("{}")
    settings = {"Version": 3, "FileReferences": {"Moc": f"{name}.moc3", "Textures": ["tex/t.png"],
                                                 "Motions": {"Idle": [{"File": "motion.json"}]}}, **(extra or {})}
    path = folder / f"{name}.model3.json"
    path.write_text(json.dumps(settings, indent=4))
    return path


def test_content_keys_find_duplicates_in_folders_and_zips(tmp_path):
    root = tmp_path / "root"
    first = _model(root / "a")
    _model(root / "b renamed")  # the same files in another folder
    (root / "c").mkdir()
    with zipfile.ZipFile(root / "c" / "pack.zip", "w") as zf:
        for path in sorted((root / "a").rglob("*")):
            if path.is_file():
                zf.write(path, f"inner/{path.relative_to(root / 'a').as_posix()}")
        zf.writestr("../escape.model3.json", "{}")  # a member leaving the archive: never a model
    (root / "d").mkdir()
    (root / "d" / "broken.zip").write_bytes(b"not a zip")
    _model(root / "e", texture=b"other pixels")  # another texture: another model
    spaced = _model(root / "f")
    spaced.write_text(json.dumps(json.loads(spaced.read_text())))  # the same settings, other spacing

    sources = list(find_sources(root))
    assert [s.shown(root) for s in sources] == ["a/m.model3.json", "b renamed/m.model3.json",
                                                "c/pack.zip!inner/m.model3.json", "e/m.model3.json", "f/m.model3.json"]
    found = discover(root)
    assert [m.source.shown(root) for m in found.models] == ["a/m.model3.json", "e/m.model3.json"]
    assert [(c.shown(root), f.source.shown(root)) for c, f in found.duplicates] == [
        ("b renamed/m.model3.json", "a/m.model3.json"), ("c/pack.zip!inner/m.model3.json", "a/m.model3.json"),
        ("f/m.model3.json", "a/m.model3.json")]
    assert set(found.models[0].files) == {"m.moc3", "tex/t.png", "motion.json"}
    # motions are copied with a review copy but are not part of the key; the moc is
    (root / "a" / "motion.json").write_text('{"changed": 1}')
    assert fingerprint(ModelSource(str(first))).key == found.models[0].key
    (root / "a" / "m.moc3").write_bytes(b"MOC3-other")
    assert fingerprint(ModelSource(str(first))).key != found.models[0].key


def test_work_key_follows_the_options():
    base = BatchOptions()
    assert base.work_key() == BatchOptions().work_key()
    assert base.work_key() != BatchOptions(size=256).work_key()
    assert base.work_key() != BatchOptions(poses=(("neutral", {}),)).work_key()


def test_gate_reasons_and_review_order():
    from seethrough.annotation.batch.quality import Thresholds, gate, review_score

    good = {"coverage": 1.0, "uncertain_area": 0.1, "excluded_area": 0.0, "psnr": None, "warnings": []}
    assert gate(good, Thresholds()) == []
    bad = {**good, "coverage": 0.5, "uncertain_area": 0.8, "psnr": 9.0, "warnings": ["a", "b"]}
    reasons = gate(bad, Thresholds(max_warnings=1))
    assert [r.split()[0] for r in reasons] == ["coverage", "uncertain", "recomposite", "2"]
    assert review_score(bad) > review_score(good)


def test_memory_size_option():
    from seethrough.cli.live2d_batch import memory_size

    assert memory_size("4G") == 4 << 30 and memory_size("1.5GiB") == 3 << 29 and memory_size("0") == 0
    assert memory_size("512M") == 512 << 20
    for bad in ("lots", "10M", "-1G"):
        with pytest.raises(argparse.ArgumentTypeError):
            memory_size(bad)


def _task(tmp_path: Path, settings: Path):
    from seethrough.annotation.batch.work import ModelTask

    return ModelTask("k" * 64, "m-kkk", ModelSource(str(settings)), (), BatchOptions(size=64))


def test_sandbox_kills_a_model_past_its_time_limit_and_reports_bad_models(tmp_path, monkeypatch):
    from seethrough.annotation.batch.sandbox import Sandbox

    monkeypatch.setenv("SEETHROUGH_BATCH_TEST_HANG", "Hang.model3.json")
    hang = _model(tmp_path / "hang", name="Hang")
    broken = _model(tmp_path / "broken")
    (tmp_path / "broken" / "m.moc3").unlink()
    sandbox = Sandbox(memory_cap=0)
    try:
        started = time.monotonic()
        result = sandbox.run(_task(tmp_path, hang), time_limit=3)
        assert result.status == "failed" and result.reason.startswith("timed out after 3 s")
        assert time.monotonic() - started < 60
        result = sandbox.run(_task(tmp_path, broken), time_limit=60)  # a fresh worker after the kill
        assert result.status == "failed" and "moc file m.moc3 is missing" in result.reason
        assert result.peak_rss > 0 and not result.restart
        again = sandbox.run(_task(tmp_path, broken), time_limit=60)
        assert again.reason == result.reason and sandbox.started == 2  # a bad model does not cost a worker
    finally:
        sandbox.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="POSIX signals")
def test_sandbox_reports_a_worker_that_dies(tmp_path, monkeypatch):
    from seethrough.annotation.batch.sandbox import Sandbox

    monkeypatch.setenv("SEETHROUGH_BATCH_TEST_HANG", "Hang.model3.json")
    hang = _model(tmp_path / "hang", name="Hang")
    sandbox = Sandbox(memory_cap=0)
    try:
        sandbox._ensure()
        pid = sandbox._proc.pid
        threading.Timer(2.0, lambda: os.kill(pid, signal.SIGSEGV)).start()
        result = sandbox.run(_task(tmp_path, hang), time_limit=120)
        assert result.status == "failed" and result.reason == "the worker crashed: killed by SIGSEGV"
    finally:
        sandbox.close()


def test_a_commit_caught_half_way_is_undone_on_resume(tmp_path):
    from seethrough.annotation.batch.driver import Batch
    from seethrough.annotation.batch.engines import LocalEngine
    from seethrough.annotation.batch.manifest import Manifest

    out = tmp_path / "dataset"
    book = Manifest(out / ".batch" / "manifest.sqlite")
    book.begin_commit("abc", "m-abc", "a/m.model3.json", ["m-abc-neutral"])
    (out / "samples" / "m-abc-neutral").mkdir(parents=True)
    (out / "samples" / "m-abc-neutral" / "composite.png").write_bytes(b"half")
    (out / "samples" / f".m-abc-left.{2**22 + 7}.x1.st-tmp").mkdir()  # a dead writer's temp folder
    book.close()
    root = tmp_path / "models"
    root.mkdir()
    with pytest.raises(BadInput, match="holds no .model3.json"):
        Batch(root, out, BatchOptions(), LocalEngine(1, 10), resume=True).run()
    (root / "x.model3.json").write_text("{")  # a model that fails: nothing of it reaches the dataset
    with pytest.raises(BadInput, match="holds an earlier batch"):
        Batch(root, out, BatchOptions(), LocalEngine(1, 60)).run()
    summary = Batch(root, out, BatchOptions(), LocalEngine(1, 60), resume=True).run()
    assert (summary.found, summary.failed) == (1, 1) and not any((out / "samples").iterdir())
    assert [row.state for row in Manifest(out / ".batch" / "manifest.sqlite").rows()] == ["failed"]
    assert json.loads((out / "dataset.json").read_text())["samples"] == []
    with pytest.raises(BadInput, match="not empty and holds no batch"):
        Batch(root, root, BatchOptions(), LocalEngine(1, 60)).run()
