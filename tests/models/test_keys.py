"""The full-size architectures (built on the meta device) have exactly the released state-dict keys and shapes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from seethrough.core.models.arch import REFERENCE_KEYS, parameter_count, state_dict_shapes

CROSS_FRAME = re.compile(r".*\.temporal_transformer_blocks\.\d+")
REPO = Path(__file__).resolve().parents[2]
REFERENCE = json.loads((REPO / "tests" / "data" / "see-through-state-dict-keys.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(REFERENCE_KEYS))
def test_state_dict_matches_release_exactly(name: str) -> None:
    ours = state_dict_shapes(name)
    reference = REFERENCE[REFERENCE_KEYS[name]]
    missing = sorted(set(reference) - set(ours))
    unexpected = sorted(set(ours) - set(reference))
    wrong = {k: (ours[k], reference[k]) for k in ours.keys() & reference.keys() if ours[k] != reference[k]}
    assert not missing, f"{len(missing)} missing, e.g. {missing[:5]}"
    assert not unexpected, f"{len(unexpected)} unexpected, e.g. {unexpected[:5]}"
    assert not wrong, f"{len(wrong)} shape mismatches, e.g. {list(wrong.items())[:5]}"
    assert len(ours) == len(reference)


def test_parameter_counts_match_the_published_totals() -> None:
    # docs/authors-pipeline.md §10: 4071.3 M (V3 layer UNet), 1213.2 M (depth), 104.1 M + 1.18 M (transparent VAE)
    assert round(parameter_count("layers-v3") / 1e6, 1) == 4071.3
    assert round(parameter_count("depth") / 1e6, 1) == 1213.2
    assert round(parameter_count("trans-vae") / 1e6, 1) == 105.3


def test_cross_frame_block_count() -> None:
    def blocks(name: str) -> set[str]:
        return {m.group(0) for k in state_dict_shapes(name) if (m := CROSS_FRAME.match(k))}

    assert len(blocks("layers-v2")) == 40  # 2+2 (down 1) + 5+5 (down 2) + 5 (mid) + 15 (up 0) + 6 (up 1)
    assert len(blocks("depth")) == 16  # one per attention module: 6 down + 1 mid + 9 up


def test_cli_prints_keys_as_json() -> None:
    out = subprocess.run([sys.executable, str(REPO / "main.py"), "models", "keys", "trans-vae", "--json"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == REFERENCE["trans_vae"]


def test_catalogue_and_cli_do_not_import_torch() -> None:
    code = ("import sys, core.models.catalog, core.models.arch, cli.models_commands; "
            "assert not {'torch', 'diffusers'} & set(sys.modules), 'torch imported'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
