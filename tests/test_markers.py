"""The markers are applied from what a test uses (tests/conftest.py), so the lanes select the right tests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SLOW_TESTS

REPO = Path(__file__).resolve().parents[1]


def test_a_test_reading_the_live2d_samples_is_marked_live2d(request: pytest.FixtureRequest,
                                                            live2d_models: Path) -> None:
    assert request.node.get_closest_marker("live2d") is not None
    assert (live2d_models / "Mark").is_dir()


def test_a_test_without_live2d_or_gpu_is_not_marked(request: pytest.FixtureRequest) -> None:
    assert request.node.get_closest_marker("live2d") is None
    assert request.node.get_closest_marker("gpu") is None


def test_a_gpu_test_is_marked_gpu(request: pytest.FixtureRequest, cuda_device: str) -> None:
    import torch

    assert request.node.get_closest_marker("gpu") is not None
    assert torch.zeros(2, device=cuda_device).device.type == "cuda"


def test_the_slow_list_names_tests_that_exist() -> None:
    """An entry that no longer matches a test file would silently put a slow test back in the fast lane."""
    for entry in SLOW_TESTS:
        path, _, name = entry.partition("::")
        file = REPO / path
        assert file.is_file(), entry
        if name:  # a prefix of a test function's name (node ids are matched by prefix)
            assert re.search(rf"^def {re.escape(name.split('[')[0])}\w*\(", file.read_text(encoding="utf-8"),
                             re.MULTILINE), entry
