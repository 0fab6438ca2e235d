"""Training configs are read strictly: no YAML aliases (billion laughs), unknown keys rejected at every level with
their path, types and ranges checked, every error one line naming the file (and line:col for YAML syntax)."""

import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.errors import BadInput
from seethrough.core.io.strict_yaml import MAX_CONFIG_BYTES, load_yaml, loads_yaml
from seethrough.training.config import load_config

REPO = Path(__file__).resolve().parents[2]

LAUGHS = (
    "job: vae\ndata: d\nmodel:\n"
    "  a: &a [x, x, x, x, x, x, x, x, x]\n"
    "  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "  f: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
)


def _write(tmp_path, text, name="job.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_billion_laughs_is_refused_at_the_first_alias(tmp_path):
    path = _write(tmp_path, LAUGHS)
    with pytest.raises(BadInput) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}:5:") and "alias *a is not allowed" in message
    assert "\n" not in message


def test_any_alias_is_refused_even_a_harmless_one():
    with pytest.raises(BadInput, match="alias"):
        loads_yaml("a: &x 1\nb: *x\n", "c.yaml")
    assert loads_yaml("a: 1\nb: [1, 2]\n") == {"a": 1, "b": [1, 2]}


def test_duplicate_keys_and_oversized_files(tmp_path):
    with pytest.raises(BadInput, match=r"c.yaml:2:1: duplicate key 'lr'"):
        loads_yaml("lr: 1\nlr: 2\n", "c.yaml")
    big = _write(tmp_path, "# " + "x" * MAX_CONFIG_BYTES + "\n", "big.yaml")
    with pytest.raises(BadInput, match="too large"):
        load_yaml(big)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00\x81job")
    with pytest.raises(BadInput, match="not a text file"):
        load_yaml(binary)


def test_syntax_error_is_one_line_with_line_and_column(tmp_path):
    path = _write(tmp_path, "job: vae\ndata: d\naugment: {flip: 0.5\nlr: 1\n")
    with pytest.raises(BadInput) as info:
        load_config(path)
    message = str(info.value)
    assert "\n" not in message
    file, line, col, _ = message.split(":", 3)
    assert file == str(path) and int(line) >= 3 and int(col) >= 1


@pytest.mark.parametrize(
    "text, key, reason",
    [
        ("job: vae\ndata: d\nmodel: {preset: tiny, layers: 3}\n", "model.layers", "unknown key"),
        ("job: vae\ndata: d\naugment: {flip: 0.5, rotate: 1}\n", "augment.rotate", "unknown key"),
        ("job: vae\ndata: d\nlearning_rate: 1\n", "learning_rate", "unknown key"),
        ("job: vae\ndata: d\nlr: fast\n", "lr", "valid number"),
        ("job: vae\ndata: d\nmodel: 5\n", "model", "dictionary"),
        ("job: vae\ndata: d\nmax_steps: many\n", "max_steps", "valid integer"),
        ("job: vae\ndata: d\nmax_steps: 1e400\n", "max_steps", "valid integer"),
        ("job: vae\ndata: d\nlr: .nan\n", "lr", "finite"),
        ("job: vae\ndata: d\naugment: {flip: banana}\n", "augment.flip", "valid number"),
        ("job: vae\ndata: d\naugment: {flip: 1.5}\n", "augment.flip", "less than or equal to 1"),
        ("job: vae\ndata: d\ntags: 5\n", "tags", "Input should be"),
        ("job: vae\ndata: d\nema: 1\n", "ema", "valid boolean"),
        ("job: vae\ndata: d\nresolution: 100\n", "resolution", "multiple of 8"),
        ("job: vae\ndata: d\nmodel: {preset: huge}\n", "model.preset", "'tiny' or 'released'"),
        ("job: nope\ndata: d\n", "job", "Input should be"),
        ("job: vae\n", "data", "missing required key"),
    ],
)
def test_bad_values_name_the_file_and_the_key(tmp_path, text, key, reason):
    path = _write(tmp_path, text)
    with pytest.raises(BadInput) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert reason in message and "\n" not in message


def test_shipped_configs_all_load():
    for path in sorted((REPO / "resources" / "configs").glob("*.yaml")):
        cfg = load_config(path)
        assert cfg.max_steps >= 1 and 0.0 <= cfg.augment.flip <= 1.0


def test_cli_reports_an_alias_config_on_one_line_without_training(tmp_path):
    path = _write(tmp_path, LAUGHS)
    result = subprocess.run([sys.executable, str(REPO / "main.py"), "train", str(path), "--output",
                             str(tmp_path / "run")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "alias" in result.stderr
    assert not (tmp_path / "run").exists()
