"""The layer CLI end to end, through `main.py` in a child process, on the built-in sample and files it writes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          cwd=cwd, timeout=120)


def psd_names(path: Path) -> list[str]:
    from psd_tools import PSDImage

    return [layer.name for layer in PSDImage.open(path).descendants() if not layer.is_group()]


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "sample.stproj"
    result = cli("sample", "-o", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_info_json_lists_the_layers(sample_project):
    result = cli("info", str(sample_project), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["canvas"] == [768, 1024]
    assert len(data["layers"]) >= 12
    first = data["layers"][0]
    assert set(first) == {"name", "tag", "bbox", "depth", "visible", "opacity", "blend_mode"}
    tags = {row["tag"] for row in data["layers"]}
    assert {"front hair", "handwear", "face"} <= tags
    assert all(len(row["bbox"]) == 4 for row in data["layers"])
    # the word 'sample' gives the same layers without a file
    builtin = json.loads(cli("info", "sample", "--json").stdout)
    assert [r["name"] for r in builtin["layers"]] == [r["name"] for r in data["layers"]]


def test_info_table(sample_project):
    result = cli("info", str(sample_project))
    assert result.returncode == 0
    assert "front hair" in result.stdout and "768×1024" in result.stdout


def test_composite_writes_a_canvas_size_png(sample_project, tmp_path):
    from seethrough.core.io.images import load_image

    out = tmp_path / "c.png"
    result = cli("composite", str(sample_project), "-o", str(out), "--mode", "zbuffer")
    assert result.returncode == 0, result.stderr
    img = load_image(out)
    assert img.shape == (1024, 768, 4)
    assert img[..., 3].max() == 255 and img[0, 0, 3] == 0


def test_stratify_hair_into_a_psd(sample_project, tmp_path):
    out = tmp_path / "s.psd"
    result = cli("stratify", str(sample_project), "-o", str(out), "--tags", "front hair", "--k", "2",
                 "--inpaint", "none", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["split"][0]["into"]) == ["front hair-0", "front hair-1"]
    names = psd_names(out)
    assert "front hair-0" in names and "front hair-1" in names and "front hair" not in names
    # restacked by depth: the side locks go under the face, the fringe over it (bottom → top)
    assert names.index("front hair-1") < names.index("face") < names.index("front hair-0")
    assert (tmp_path / "s_depth.psd").is_file() and (tmp_path / "s.psd.json").is_file()
    # the near stratum (fringe) is nearer than the far one (side locks)
    depth = {row["name"]: row["depth"] for row in report["layers"]}
    assert depth["front hair-0"] < 0.4 < 0.6 < depth["front hair-1"]


def test_stratify_default_tags(tmp_path):
    out = tmp_path / "d.stproj"
    result = cli("stratify", "sample", "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    split = {entry["tag"] for entry in json.loads(result.stdout)["split"]}
    assert {"front hair", "back hair", "handwear", "topwear", "bottomwear"} == split


def test_lrsplit_handwear(sample_project, tmp_path):
    out = tmp_path / "l.psd"
    result = cli("lrsplit", str(sample_project), "-o", str(out), "--tags", "handwear")
    assert result.returncode == 0, result.stderr
    names = psd_names(out)
    assert "handwear-r" in names and "handwear-l" in names and "handwear" not in names
    # the character's right is the image left: read back the boxes from the companion json via info
    info = json.loads(cli("info", str(out), "--json").stdout)
    boxes = {row["name"]: row["bbox"] for row in info["layers"]}
    assert boxes["handwear-r"][2] <= boxes["handwear-l"][0]


def test_export_to_folder_and_psd(sample_project, tmp_path):
    folder = tmp_path / "layers"
    result = cli("export", str(sample_project), "-o", str(folder) + "/")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest  # written by core.io.psd_export.export_png_folder
    assert len(list(folder.glob("*_depth.png"))) >= 12
    reopened = json.loads(cli("info", str(folder), "--json").stdout)
    assert len(reopened["layers"]) >= 12

    psd = tmp_path / "g.psd"
    result = cli("export", "sample", "-o", str(psd), "--groups", "--no-companions")
    assert result.returncode == 0, result.stderr
    assert psd.is_file() and not (tmp_path / "g_depth.psd").exists()


def test_sample_png(tmp_path):
    from seethrough.core.io.images import load_image

    out = tmp_path / "sample.png"
    assert cli("sample", "-o", str(out)).returncode == 0
    assert load_image(out).shape == (1024, 768, 4)


@pytest.mark.parametrize("make", ["missing", "corrupt", "truncated"])
def test_bad_input_exit_2_one_line(tmp_path, make):
    path = tmp_path / "in.png"
    if make == "corrupt":
        path.write_bytes(b"this is not a png at all")
    elif make == "truncated":
        from seethrough.core.io.images import encode_png

        data = encode_png(np.full((64, 64, 4), 200, np.uint8))
        path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.png"
    result = cli("composite", str(path), "-o", str(out))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("seethrough-gui: ")
    assert not out.exists()


def test_lrsplit_on_a_single_part_is_bad_input(tmp_path):
    result = cli("lrsplit", "sample", "-o", str(tmp_path / "x.psd"), "--tags", "face")
    assert result.returncode == 2 and "single connected part" in result.stderr
    result = cli("stratify", "sample", "-o", str(tmp_path / "x.psd"), "--tags", "wings")
    assert result.returncode == 2 and "no layer with tag wings" in result.stderr


def test_unknown_option_is_an_argparse_error():
    result = cli("info", "sample", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr
