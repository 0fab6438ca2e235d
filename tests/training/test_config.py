"""Job configs: defaults from the paper, unknown keys and bad values rejected clearly."""

import pytest

from seethrough.core.errors import BadInput
from seethrough.training.config import load_config


def _write(tmp_path, text):
    path = tmp_path / "job.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_follow_the_paper(tmp_path):
    cfg = load_config(_write(tmp_path, "job: layers-stage2\ndata: ds\n"))
    assert (cfg.lr, cfg.weight_decay, cfg.warmup_steps, cfg.mixed_precision) == (4e-5, 0.01, 500, "bf16")
    assert cfg.data == str((tmp_path / "ds").resolve())


def test_overrides_win(tmp_path):
    cfg = load_config(_write(tmp_path, "job: vae\ndata: ds\nlr: 1.0e-3\n"), output="out", data="/abs/ds")
    assert cfg.output == "out" and cfg.data == "/abs/ds" and cfg.lr == 1e-3


@pytest.mark.parametrize(
    "text, message",
    [
        ("job: vae\ndata: d\nlearning_rate: 1\n", "unknown key"),
        ("job: nope\ndata: d\n", "job: Input should be"),
        ("job: vae\n", "missing required"),
        ("job: vae\ndata: d\nbatch_size: 0\n", "batch_size"),
        ("job: [unclosed\n", r"job.yaml:\d+:\d+: "),
        ("- a list\n", "mapping"),
    ],
)
def test_bad_configs(tmp_path, text, message):
    with pytest.raises(BadInput, match=message):
        load_config(_write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match="not found"):
        load_config(tmp_path / "absent.yaml")
