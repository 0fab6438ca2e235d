"""Parity with the authors' pipeline, stage by stage, against goldens their own code produced (tests/data/parity/,
made by the harness described in docs/parity.md) on the tiny release of tests/support/parity_release.py.

Per case: latents (≤ 1e-4 relative), the head crop, every pass output's alpha, the depth maps, and the final layers
(names and order, boxes, RGBA and depth ≤ 1/255, median depths ≤ 1/255), plus the PSD companion files' keys.
"""

from __future__ import annotations

import pytest

from tests.support.parity_compare import GOLDENS, Where, build_release, compare
from tests.support.parity_release import CASES, DEPTH_DEFAULT_STEPS


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    return build_release(tmp_path_factory.mktemp("parity-release"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_stage_by_stage_parity_with_the_authors(case, release):
    rows = compare(case, release)
    failed = [f"{r.stage}: {r.what}: {r.value!r} (expected {r.limit!r})" for r in rows if not r.ok]
    assert not failed, "\n".join(failed)
    stages = {r.stage for r in rows}
    assert {"depth", "layers", "psd", "psd json"} <= stages
    if case.kind == "e2e":
        assert {"latents", "layer passes"} <= stages


def test_depth_steps_come_from_the_depth_folder(release):
    assert release["depth"].default_steps == DEPTH_DEFAULT_STEPS


#: goldens the authors' code made with its models in bf16 (on the CPU: their placement, `.to(dtype=bfloat16)`),
#: for the depth stage and post-processing (docs/parity.md); on a GPU bench/cuda_checks.sh makes and compares
#: the same on the spot, since CUDA's random streams are not the CPU's
BF16 = Where(device="cpu", dtype="bfloat16", goldens=GOLDENS / "bf16", same_kernels=False)
BF16_CASES = [c for c in CASES if (BF16.goldens / f"{c.name}.npz").exists()]


@pytest.fixture(scope="module")
def bf16_release(tmp_path_factory):
    return build_release(tmp_path_factory.mktemp("parity-release-bf16"), BF16)


@pytest.mark.parametrize("case", BF16_CASES, ids=[c.name for c in BF16_CASES])
def test_bf16_models_give_the_authors_bf16_result(case, bf16_release):
    """In bf16 the authors round at particular places (frames before the colour padding but not the full-page
    condition, the sampler's latents at every step, the depth decoder's mean): the depth maps must still match."""
    assert len(BF16_CASES) == 2
    rows = compare(case, bf16_release, BF16)
    failed = [f"{r.stage}: {r.what}: {r.value!r} (expected {r.limit!r})" for r in rows if not r.ok]
    assert not failed, "\n".join(failed)
    assert {"depth", "layers"} <= {r.stage for r in rows}
