"""The headless CLI end to end, through main.py in a fresh process."""

import json
import subprocess
import sys
from pathlib import Path

from psd_tools import PSDImage

REPO = Path(__file__).resolve().parents[2]


def _run(*args):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=REPO)


def _names(psd_path: Path) -> list[str]:
    return [layer.name for layer in PSDImage.open(psd_path)]


def test_info_json_lists_the_sample_layers():
    result = _run("info", "sample", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["canvas"] == [768, 1024]
    names = [layer["name"] for layer in info["layers"]]
    assert "front hair" in names and "handwear" in names and len(names) >= 12
    assert all(len(layer["bbox"]) == 4 for layer in info["layers"])


def test_sample_psd_then_composite_stratify_lrsplit_export(tmp_path):
    psd = tmp_path / "sample.psd"
    assert _run("sample", "-o", psd).returncode == 0
    assert psd.exists() and (tmp_path / "sample_depth.psd").exists() and (tmp_path / "sample.psd.json").exists()

    png = tmp_path / "composite.png"
    assert _run("composite", psd, "-o", png, "--mode", "zbuffer").returncode == 0
    import cv2

    assert cv2.imread(str(png), cv2.IMREAD_UNCHANGED).shape[:2] == (1024, 768)

    strat = tmp_path / "strat.psd"
    result = _run("stratify", psd, "-o", strat, "--tags", "front hair", "--k", "2", "--inpaint", "opencv", "--json")
    assert result.returncode == 0, result.stderr
    names = _names(strat)
    assert "front hair-0" in names and "front hair-1" in names and "front hair" not in names
    assert names.index("front hair-1") < names.index("face") < names.index("front hair-0")  # bottom → top

    lr = tmp_path / "lr.psd"
    result = _run("lrsplit", psd, "-o", lr, "--tags", "handwear", "--json")
    assert result.returncode == 0, result.stderr
    assert {"handwear-r", "handwear-l"} <= set(_names(lr))
    assert json.loads(result.stdout)["split"][0]["into"] == ["handwear-r", "handwear-l"]

    folder = tmp_path / "layers"
    assert _run("export", lr, "-o", folder).returncode == 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert len(manifest["layers"]) == len(_names(lr))


def test_bad_input_exits_2_with_one_line(tmp_path):
    missing = _run("info", tmp_path / "nope.png")
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 20)
    result = _run("info", broken)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert _run("stratify", "sample", "-o", tmp_path / "x.psd", "--tags", "wings").returncode == 2
    assert _run("info", "sample", "--bogus").returncode == 2  # argparse


def test_locked_layer_is_refused_by_name_and_skipped_by_default(tmp_path):
    from seethrough.core.commands import SetLayerProperty
    from seethrough.core.io.project import save_project
    from seethrough.core.sample import build_sample_document

    doc = build_sample_document()
    doc.history.push(SetLayerProperty(doc.find("front hair").uid, "locked", True))
    project = tmp_path / "locked.stproj"
    save_project(doc, project)
    result = _run("stratify", project, "-o", tmp_path / "named.stproj", "--tags", "front hair", "--inpaint", "none")
    assert result.returncode == 2 and not (tmp_path / "named.stproj").exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'front hair' is locked" in lines[0]
    result = _run("stratify", project, "-o", tmp_path / "batch.stproj", "--inpaint", "none", "--json")
    assert result.returncode == 0, result.stderr
    split = [entry["layer"] for entry in json.loads(result.stdout)["split"]]
    assert "front hair" not in split and split  # the other default tags were still split
    names = [layer["name"] for layer in json.loads(result.stdout)["layers"]]
    assert "front hair" in names
