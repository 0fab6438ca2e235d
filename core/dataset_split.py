"""Which split (train / val / test) each sample of an exported dataset belongs to (pure: ids and model names in,
splits out; no files).

Two ways to split, recorded in `dataset.json` as `split_by`:
- `model`: every sample of a character in one split, chosen from a hash of the model's name (no character is seen
  both in training and in testing; right for a dataset of many models);
- `pose`: each model's poses are divided among the splits (about 80/10/10, at least one test sample per model with
  two poses or more, and one val sample with three or more), chosen from a hash of the sample id. A dataset of one
  or a few models split per model puts everything in one split, so training or `eval` finds no samples.

`auto` (the default of `live2d export`) splits per pose while the dataset holds fewer than `MIN_MODELS` models and per
model from then on. A named split (`train`, `val`, `test`) puts the exported samples there (`split_by: manual`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

SPLITS = ("train", "val", "test")
MODES = ("auto", "model", "pose", *SPLITS)
#: below this many models in a dataset, `auto` splits per pose
MIN_MODELS = 10
VAL_FRACTION = TEST_FRACTION = 0.1


def _bucket(text: str) -> float:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF


def split_for_model(model_name: str, val: float = VAL_FRACTION, test: float = TEST_FRACTION) -> str:
    """train / val / test from a hash of the model's name (stable across runs and machines)."""
    bucket = _bucket(model_name)
    return "test" if bucket < test else "val" if bucket < test + val else "train"


def pose_splits(sample_ids: Sequence[str]) -> dict[str, str]:
    """The poses (sample ids) of one model divided among the splits, deterministically."""
    n = len(sample_ids)
    n_test = max(1, round(n * TEST_FRACTION)) if n >= 2 else 0
    n_val = max(1, round(n * VAL_FRACTION)) if n >= 3 else 0
    ranked = sorted(sample_ids, key=lambda sid: (_bucket(sid), sid))
    return {sid: "test" if i < n_test else "val" if i < n_test + n_val else "train" for i, sid in enumerate(ranked)}


def resolve_mode(mode: str, models: int) -> str:
    """`auto` → `pose` for fewer than MIN_MODELS models, else `model`; other modes unchanged."""
    if mode not in MODES:
        raise ValueError(f"unknown split {mode!r} (one of {', '.join(MODES)})")
    if mode == "auto":
        return "pose" if models < MIN_MODELS else "model"
    return mode


def assign_splits(samples: Iterable[tuple[str, str]], mode: str) -> dict[str, str]:
    """(sample id, model name) pairs → split per sample, for mode `model` or `pose`."""
    by_model: dict[str, list[str]] = {}
    for sid, model in samples:
        by_model.setdefault(model, []).append(sid)
    out: dict[str, str] = {}
    for model, ids in by_model.items():
        if mode == "model":
            out.update({sid: split_for_model(model) for sid in ids})
        elif mode == "pose":
            out.update(pose_splits(ids))
        else:
            raise ValueError(f"assign_splits needs mode 'model' or 'pose', not {mode!r}")
    return out


def describe(split_by: str, splits: Mapping[str, str], models: int) -> str:
    """One line saying how the dataset is split and how many samples each split holds."""
    counts = Counter(splits.values())
    sizes = ", ".join(f"{name} {counts.get(name, 0)}" for name in SPLITS)
    noun = "model" if models == 1 else "models"
    if split_by == "pose":
        why = (f"per pose: the dataset holds {models} {noun}, fewer than {MIN_MODELS}, so each model's poses are "
               f"divided among the splits (a character appears in several splits)")
    elif split_by == "model":
        why = f"per model: the dataset holds {models} {noun}; each character is in one split"
    else:
        why = "as asked (--split)"
    empty = [name for name in ("train", "test") if not counts.get(name)]
    hint = f"; no samples in {' or '.join(empty)}: export more poses or use --split pose" if empty else ""
    return f"split {why}: {sizes}{hint}"
