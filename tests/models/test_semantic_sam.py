"""The paper's SAM-HQ body parser: the full-size module tree has exactly the authors' released keys and shapes
(tests/data/semantic-sam-state-dict-keys.json, built from the authors' own SemanticSam definition), a tiny random
config runs end to end, checkpoints load strictly, and the catalogue finds an installed release."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seethrough.core.errors import BadInput
from seethrough.core.models.semantic_sam import CHECKPOINT, SemanticSam, load_semantic_sam
from tests.support.tiny_sam import TINY_SAM, tiny_semantic_sam

REPO = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((REPO / "tests" / "data" / "semantic-sam-state-dict-keys.json").read_text(encoding="utf-8"))


def test_full_size_tree_matches_the_authors_release_exactly() -> None:
    with torch.device("meta"):
        model = SemanticSam()
    ours = {k: list(v.shape) for k, v in model.state_dict().items()}
    reference = REFERENCE["semantic_sam_h_hq_19"]
    assert sorted(set(reference) - set(ours)) == [] and sorted(set(ours) - set(reference)) == []
    assert {k: v for k, v in ours.items() if reference[k] != v} == {}
    assert len(ours) == 817 and sum(v.numel() for v in model.state_dict().values()) == 647_299_920
    assert len(model.mask_adapter.output_hypernetworks_mlps) == 19 == len(model.mask_adapter.hf_mlps)
    # built on the package's modeling modules without its __init__, which would import timm for TinyViT
    assert "timm" not in sys.modules and "segment_anything_hq" not in sys.modules


def test_tiny_parser_predicts_per_class_logits_at_the_input_size() -> None:
    torch.manual_seed(0)
    model = tiny_semantic_sam()
    x = torch.randn(2, 3, TINY_SAM.img_size, TINY_SAM.img_size)
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (2, 19, TINY_SAM.img_size // 4, TINY_SAM.img_size // 4)
    with torch.no_grad():
        single = model(x[1:])
    assert torch.allclose(single[0], logits[1], atol=1e-5)  # images in a batch do not mix
    rgb = np.random.default_rng(0).integers(0, 256, (50, 30, 3), dtype=np.uint8)
    out = model.predict(rgb)
    assert out.shape == (19, 50, 30) and out.dtype == np.float32 and np.isfinite(out).all()
    with pytest.raises(BadInput):
        model.predict(rgb[..., :2])


def test_checkpoint_loads_strictly(tmp_path: Path) -> None:
    torch.manual_seed(1)
    model = tiny_semantic_sam()
    folder = tmp_path / "l2d_sam_iter2"
    folder.mkdir()
    torch.save({"state_dict": model.state_dict()}, folder / CHECKPOINT)  # the authors wrap it in state_dict
    loaded = load_semantic_sam(folder, TINY_SAM)
    rgb = np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8)
    assert np.allclose(loaded.predict(rgb), model.predict(rgb), atol=1e-5)
    partial = {k: v for k, v in model.state_dict().items() if not k.startswith("mask_adapter.hf_mlps.3.")}
    torch.save(partial, tmp_path / "partial.pt")
    with pytest.raises(BadInput, match="missing"):
        load_semantic_sam(tmp_path / "partial.pt", TINY_SAM)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(BadInput, match="not a readable"):
        load_semantic_sam(tmp_path / "junk.pt", TINY_SAM)


def test_catalogue_finds_an_installed_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from seethrough.annotation import samhq_seeds
    from seethrough.annotation.seeds import default_seed_provider
    from seethrough.core.models.catalog import find_model

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("SEETHROUGH_MODELS", str(tmp_path / "models"))
    assert not samhq_seeds.installed() and default_seed_provider() == "layout"
    folder = tmp_path / "models" / "l2d_sam_iter2"
    folder.mkdir(parents=True)
    (folder / CHECKPOINT).write_bytes(b"x")
    location = find_model("samhq")
    assert location.path == folder and location.spec.repo_id == "24yearsold/l2d_sam_iter2"
    assert samhq_seeds.installed() and default_seed_provider() == "samhq"
