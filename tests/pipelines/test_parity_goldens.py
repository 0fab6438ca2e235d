"""Parity with the authors' pipeline, stage by stage, against goldens their own code produced (tests/data/parity/,
made by the harness described in docs/parity.md) on the tiny release of tests/support/parity_release.py.

Per case: latents (≤ 1e-4 relative), the head crop, every pass output's alpha, the depth maps, and the final layers
(names and order, boxes, RGBA and depth ≤ 1/255, median depths ≤ 1/255), plus the PSD companion files' keys.
"""

from __future__ import annotations

import pytest

from tests.support.parity_compare import build_release, compare
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
