"""`live2d label` with seed providers, end to end on Hiyori: the default labeller (layout provider, geometry rules)
writes a rule and a confidence per label and fixes the lower body the names fold into `topwear`; `--provider none`
is the names-only labeller; `--vote-poses` lets head turns vote; an unknown provider is one clear line, exit 2.
Provenance: the JSON report and the label file name the seed provider and the rule of every label."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.paths import fixtures_dir

REPO = Path(__file__).resolve().parents[2]
HIYORI = fixtures_dir() / "Hiyori" / "Hiyori.model3.json"
pytestmark = pytest.mark.skipif(not HIYORI.is_file(), reason="Hiyori fixture absent")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "main.py"), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


def test_providers_confidences_and_pose_votes(tmp_path: Path) -> None:
    default = _cli("live2d", "label", str(HIYORI), "-o", str(tmp_path / "auto.json"), "--json", "--vote-poses", "2",
                   "--provider", "layout")
    assert default.returncode == 0, default.stderr
    entries = json.loads((tmp_path / "auto.json").read_text(encoding="utf-8"))["entries"]
    assert all(0.0 < e["confidence"] <= 1.0 for e in entries.values())
    lower = {entries[m]["tag"] for m in ("ArtMesh106", "ArtMesh105", "ArtMesh104", "ArtMesh100")}
    assert lower == {"footwear", "legwear", "bottomwear"}  # shoes, socks and skirt under the part 体 (body)
    report = json.loads(default.stdout)
    assert report["counts"].get("feet-line") == 2
    assert report["provider"] == "layout" and report["used_names"] is True
    assert set(report["labels"]) == set(entries)  # every label, with its rule and the provider of the run
    assert all(v["rule"] == entries[m]["source"] and v["provider"] == "layout" for m, v in report["labels"].items())
    assert {e["provider"] for e in entries.values()} == {"layout"}
    assert report["excluded_reasons"] == {"HitArea": "excluded-name: HitArea"}

    names = _cli("live2d", "label", str(HIYORI), "-o", str(tmp_path / "names.json"), "--provider", "none")
    assert names.returncode == 0, names.stderr
    plain = json.loads((tmp_path / "names.json").read_text(encoding="utf-8"))["entries"]
    assert plain["ArtMesh106"]["tag"] == "topwear"  # what names alone say: the error class
    assert {e["provider"] for e in plain.values()} == {"none"} and "provider none" in names.stdout

    bad = _cli("live2d", "label", str(HIYORI), "-o", str(tmp_path / "x.json"), "--provider", "gradcam")
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert "unknown seed provider 'gradcam'" in bad.stderr and not (tmp_path / "x.json").exists()
