"""`seethrough-gui check`: findings as JSON with exit 0, repairs written only to -o, bad input exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from seethrough.cli import run


def _sandwich(path: Path) -> Path:
    """The sample with its side locks tucked behind the cheeks, unstratified: order conflicts to find and fix."""
    from seethrough.core.io.project import save_project
    from seethrough.core.sample import build_sample_document

    save_project(build_sample_document(tucked_locks=True), path)
    return path


def test_check_prints_the_findings_of_the_sandwich_sample_as_json(tmp_path: Path, capsys) -> None:
    assert run(["check", str(_sandwich(tmp_path / "s.stproj")), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    checks = {f["check"] for f in out["findings"]}
    assert "order" in checks and out["canvas"] == [768, 1024]
    assert all(f["fixes"] and len(f["box"]) == 4 for f in out["findings"] if f["check"] != "empty")


def test_check_fix_writes_a_repaired_copy_and_never_touches_the_input(tmp_path: Path, capsys) -> None:
    src = _sandwich(tmp_path / "in.stproj")
    before = src.read_bytes()
    out = tmp_path / "fixed.stproj"
    capsys.readouterr()
    assert run(["check", str(src), "--fix", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["fixed"] and report["output"] == str(out)
    assert src.read_bytes() == before and out.is_file()
    assert run(["check", str(out), "--json"]) == 0
    remaining = json.loads(capsys.readouterr().out)["findings"]
    assert not [f for f in remaining if f["check"] in ("order", "reconstruction")]


def test_check_fix_without_output_and_a_broken_file_exit_2(tmp_path: Path, capsys) -> None:
    assert run(["check", "sample", "--fix"]) == 2
    assert "-o" in capsys.readouterr().err
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    assert run(["check", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "broken.png" in err


def test_check_fix_leaves_locked_layers_alone(tmp_path: Path, capsys) -> None:
    import numpy as np

    from seethrough.core.commands import SetLayerProperty
    from seethrough.core.io.project import load_project, save_project
    from seethrough.core.sample import build_sample_document

    doc = build_sample_document(tucked_locks=True)
    with doc.history.transaction("lock all"):
        for layer in doc.layers:
            doc.history.push(SetLayerProperty(layer.uid, "locked", True))
    src, out = tmp_path / "locked.stproj", tmp_path / "fixed.stproj"
    save_project(doc, src)
    assert run(["check", str(src), "--fix", "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["skipped"] and all("is locked" in item["reason"] for item in report["skipped"])
    fixed = {layer.uid: layer for layer in load_project(out).layers}
    for layer in doc.layers:  # every layer still exists with its name and pixels
        assert layer.uid in fixed and fixed[layer.uid].name == layer.name
        assert np.array_equal(fixed[layer.uid].rgba, layer.rgba) and fixed[layer.uid].offset == layer.offset
