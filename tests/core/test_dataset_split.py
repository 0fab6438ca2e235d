"""Splitting exported samples: per model for many models, per pose for a few (so a one-model export still has
train, val and test samples), deterministic, and described in one line."""

import pytest

from seethrough.core.dataset_split import (
    MIN_MODELS,
    assign_splits,
    describe,
    pose_splits,
    resolve_mode,
    split_for_model,
)


@pytest.mark.parametrize("n, expected", [(1, (1, 0, 0)), (2, (1, 0, 1)), (3, (1, 1, 1)), (9, (7, 1, 1)),
                                         (20, (16, 2, 2))])
def test_pose_split_counts(n, expected):
    ids = [f"Mark-pose{i}" for i in range(n)]
    splits = pose_splits(ids)
    assert set(splits) == set(ids)
    counts = tuple(sum(v == name for v in splits.values()) for name in ("train", "val", "test"))
    assert counts == expected
    assert pose_splits(list(reversed(ids))) == splits  # the order of the poses does not matter


def test_modes():
    assert resolve_mode("auto", 1) == "pose" and resolve_mode("auto", MIN_MODELS - 1) == "pose"
    assert resolve_mode("auto", MIN_MODELS) == "model" and resolve_mode("test", 1) == "test"
    with pytest.raises(ValueError):
        resolve_mode("sideways", 1)
    samples = [(f"{m}-p{i}", m) for m in ("Mark", "Hiyori", "Haru") for i in range(5)]
    by_model = assign_splits(samples, "model")
    for sid, model in samples:
        assert by_model[sid] == split_for_model(model)  # a character is in one split
    by_pose = assign_splits(samples, "pose")
    for model in ("Mark", "Hiyori", "Haru"):
        mine = {by_pose[sid] for sid, m in samples if m == model}
        assert mine == {"train", "val", "test"}


def test_describe_says_why_and_warns_about_empty_splits():
    line = describe("pose", {"a": "train", "b": "val", "c": "test"}, 1)
    assert "per pose" in line and "1 model," in line and "train 1, val 1, test 1" in line
    lonely = describe("model", {"a": "train", "b": "train"}, 1)
    assert "per model" in lonely and "no samples in test" in lonely and "--split pose" in lonely
