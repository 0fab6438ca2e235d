"""Messages a user reads: decompose checks its input (and the models' presence) before loading anything heavy, a
missing model is one line, YAML errors are one `file:line:col` line, `live2d psd` says what it wrote, `info --json`
is standard JSON, and a project saved twice is byte-identical."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from seethrough.cli import print_json
from seethrough.core.io.project import save_project
from seethrough.core.paths import fixtures_dir
from seethrough.core.sample import build_sample_document

REPO = Path(__file__).resolve().parents[2]
MARK = fixtures_dir() / "Mark" / "Mark.model3.json"

#: run the CLI in a fresh interpreter and report, after it, whether torch was ever imported
PROBE = "import sys; from seethrough.cli import run; rc = run(sys.argv[1:]); print('torch' in sys.modules); " \
        "sys.exit(rc)"


def _cli(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, env=env)


def _probe(*args, env):
    return subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture()
def no_models(tmp_path):
    """An environment where no model is installed anywhere (own models folder, own Hugging Face cache)."""
    return {**os.environ, "SEETHROUGH_MODELS": str(tmp_path / "models"), "SEETHROUGH_HOME": str(tmp_path / "home"),
            "HF_HOME": str(tmp_path / "hf"), "HF_HUB_CACHE": str(tmp_path / "hf" / "hub")}


def test_decompose_reads_its_input_before_anything_else(tmp_path, no_models):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = _probe("decompose", empty, "-o", tmp_path / "out.psd", env=no_models)
    assert result.returncode == 2
    assert result.stdout.strip() == "False"  # refused before torch (and the model search) was reached
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "empty.png" in lines[0]
    assert not (tmp_path / "out.psd").exists()


def test_a_missing_model_is_one_line_before_torch_loads(tmp_path, no_models):
    image = tmp_path / "char.png"
    image.write_bytes((REPO / "resources" / "sample" / "preview.png").read_bytes())
    result = _probe("decompose", image, "-o", tmp_path / "out.psd", env=no_models)
    assert result.returncode == 2 and result.stdout.strip() == "False"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "is not installed" in lines[0] and "hf download" in lines[0] and "snapshot_download" in lines[0]


def test_yaml_syntax_error_is_one_line_with_position(tmp_path):
    config = tmp_path / "job.yaml"
    config.write_text("job: vae\ndata: d\naugment: {flip: 0.5\nlr: [1\n")
    result = _cli("train", config)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"seethrough-gui: {config}:")
    _, line, column, _ = lines[0].removeprefix("seethrough-gui: ").split(":", 3)
    assert line.isdigit() and column.isdigit()


@pytest.mark.skipif(not MARK.exists(), reason="the Live2D fixtures are not here")
def test_live2d_psd_prints_what_it_wrote(tmp_path):
    out = tmp_path / "mark.psd"
    result = _cli("live2d", "psd", MARK, "-o", out, "--size", "96")
    assert result.returncode == 0, result.stderr[-2000:]
    printed = result.stdout.strip().splitlines()
    assert printed == [str(out), str(tmp_path / "mark_depth.psd"), str(tmp_path / "mark.psd.json")]
    assert all(Path(p).is_file() for p in printed)


def _strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def test_print_json_never_prints_nan_or_infinity(capsys):
    import numpy as np

    print_json({"a": float("inf"), "b": [float("nan"), -float("inf"), 1.5], "c": np.float32("inf"), "d": 2})
    assert _strict_json(capsys.readouterr().out) == {"a": None, "b": [None, None, 1.5], "c": None, "d": 2}


def test_info_json_on_a_companion_with_an_infinite_value(tmp_path):
    psd = tmp_path / "c.psd"
    assert _cli("sample", "-o", psd).returncode == 0
    companion = tmp_path / "c.psd.json"
    text = companion.read_text()
    data = json.loads(text)
    first = next(iter(data["parts"]))
    data["parts"][first]["depth_median"] = 0.123456789
    companion.write_text(json.dumps(data).replace("0.123456789", "1e999"))
    result = _cli("info", psd, "--json")
    if result.returncode == 0:  # accepted: the value is printed as standard JSON
        _strict_json(result.stdout)
    else:  # or refused by the companion's validation: one line, no traceback
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout


def test_a_project_saved_twice_is_byte_identical(tmp_path):
    doc = build_sample_document()
    first, second = tmp_path / "a.stproj", tmp_path / "b.stproj"
    save_project(doc, first)
    time.sleep(2.1)  # zip times have a 2 s resolution: a clock-stamped save would now differ
    save_project(doc, second)
    assert first.read_bytes() == second.read_bytes()
