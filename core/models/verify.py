"""Verify downloaded weights against what was released: total size, and each file's SHA-256.

The released repos do not publish a checksum list of their own, but the Hub does, per file: a weight file's
SHA-256 is its LFS object id, which `huggingface_hub` records when it downloads. `hf download REPO --local-dir DIR`
writes it as the second line of `DIR/.cache/huggingface/download/<file>.metadata`; the Hub cache
(`hf download REPO` without `--local-dir`) names each file's blob after it (`blobs/<sha256>`, the snapshot holds a
link). So `models check --sha256` hashes every weight file and compares it with that digest; a file without a
recorded digest (copied by hand) is reported as unverified, not as broken. The approximate release sizes come from
docs/models.md.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from seethrough.core.errors import BadInput
from seethrough.core.io.regular import open_regular, read_regular

if TYPE_CHECKING:
    from seethrough.core.models.catalog import CheckReport

#: model id → approximate size of a full download in bytes (docs/models.md, "Released weights")
RELEASED_BYTES = {"layers-v3": 9.5e9, "depth": 3.3e9}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def compare_release_size(model_id: str, total_bytes: int) -> list[str]:
    """A note when the weights on disk are far smaller than the release (a partial or a quantised copy)."""
    expected = RELEASED_BYTES.get(model_id)
    if expected is None or total_bytes >= 0.5 * expected:
        return []
    return [f"weights total {total_bytes / 1e9:.2f} GB, the release is about {expected / 1e9:.1f} GB: a partial, "
            "quantised or test copy"]


def sha256_of(file: Path, chunk: int = 8 << 20) -> str:
    digest = hashlib.sha256()
    with open_regular(file) as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def expected_sha256(root: Path, relative: str) -> tuple[str | None, str | None]:
    """(digest, where it was recorded) for `root/relative`, or (None, None) when nothing recorded one."""
    metadata = root / ".cache" / "huggingface" / "download" / f"{relative}.metadata"
    try:
        lines = read_regular(metadata, max_bytes=1 << 16).decode("utf-8").splitlines()
    except (OSError, UnicodeDecodeError, BadInput):
        lines = []
    if len(lines) >= 2 and _SHA256.match(lines[1].strip()):
        return lines[1].strip(), "hf download metadata"
    file = root / relative
    if file.is_symlink():
        blob = Path(file.readlink()).name
        if _SHA256.match(blob):
            return blob, "hub cache blob"
    return None, None


def verify_digests(report: CheckReport) -> None:
    """Hash every weight file of `report` and record mismatches as problems, unrecorded digests as a note."""
    unverified = []
    for relative in sorted(report.weights):
        actual = sha256_of(report.path / relative)
        expected, source = expected_sha256(report.path, relative)
        report.digests[relative] = {"sha256": actual, "expected": expected, "source": source}
        if expected is None:
            unverified.append(relative)
        elif expected != actual:
            report.problems.append(f"{report.path / relative} does not match the SHA-256 recorded by the "
                                   f"{source} ({expected[:12]}…, file {actual[:12]}…): re-download it")
    if unverified:
        report.notes.append(f"no recorded SHA-256 for {len(unverified)} file(s) ({', '.join(unverified)}): "
                            "unverified, compare with the Hub's file page")
