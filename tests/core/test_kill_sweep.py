"""kill -9 while a child process rewrites a PSD set, a PNG folder (and a project) over and over, at random moments
and, through a test hook, at each rename of a set: whatever the moment, either the old set or the new set is
complete and loadable — every layer with its own depth, no member of another write (issue 22: a kill between the
renames used to leave the new depth PSD beside the old PSD, the old depth gone) — and once the folder is cleaned
(the next write into it, or the next start), the set is whole under its own names and no temp file is left."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

CHILD = r"""
import sys
from pathlib import Path
import numpy as np
from seethrough.core.document import Document, Layer
from seethrough.core.io.psd_export import export_psd
from seethrough.core.io.project import save_project

def doc(prefix, n, depth):
    layers = []
    for i in range(n):
        rgba = np.zeros((160, 160, 4), np.uint8)
        rgba[10:150, 10:150] = (30 * i, 200 - 20 * i, 90, 255)
        layers.append(Layer(f"{prefix}{i}", rgba, (i * 4, i * 4), depth=np.full((160, 160), depth, np.float32),
                            depth_value=depth, uid=f"{prefix}{i}"))
    return Document((200, 200), layers)

kind, target = sys.argv[1], Path(sys.argv[2])
docs = [doc("a", 4, 0.25), doc("b", 6, 0.75)]
write = export_psd if kind == "psd" else save_project
write(docs[1], target)  # the previous set (and the lazy imports out of the way)
print("ready", flush=True)
i = 0
while True:
    write(docs[i % 2], target)
    i += 1
"""

KILLS = 8
NAMES = {"a": [f"a{i}" for i in range(4)], "b": [f"b{i}" for i in range(6)]}
DEPTH = {"a": 0.25, "b": 0.75}

#: the child writes document b once, then a over it with a SIGKILL after N renames of that set (the hook in
#: core.io.atomic.write_set), so every state between two sets is reached, not only those a timer happens to hit
HOOKED_CHILD = r"""
import os, sys
from pathlib import Path
import numpy as np
from seethrough.core.document import Document, Layer
from seethrough.core.io.psd_export import export_psd
from seethrough.core.io.png_folder import export_png_folder

def doc(prefix, n, depth):
    layers = []
    for i in range(n):
        rgba = np.zeros((40, 40, 4), np.uint8)
        rgba[4:36, 4:36] = (30 * i, 200 - 20 * i, 90, 255)
        layers.append(Layer(f"{prefix}{i}", rgba, (i * 2, i * 2), depth=np.full((40, 40), depth, np.float32),
                            depth_value=depth, uid=f"{prefix}{i}"))
    return Document((60, 60), layers)

kind, target, renames = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
write = export_psd if kind == "psd" else export_png_folder
write(doc("b", 6, 0.75), target)
os.environ["SEETHROUGH_TEST_KILL_AFTER_RENAMES"] = renames
write(doc("a", 4, 0.25), target)
print("not killed", flush=True)
"""


def _killed_writer(kind: str, target: Path, rng: random.Random) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.8))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def _assert_whole(doc, expected: str | None = None) -> str:
    """The document is one of the two, every layer with that write's own depth, nothing reported as mixed."""
    key = _which([layer.name for layer in doc.layers])
    assert expected is None or key == expected, (key, expected)
    warnings = doc.metadata.get("import_warnings", [])
    assert not any("another export" in w for w in warnings), warnings
    for layer in doc.layers:  # the depth companion is the same write's: its maps are this document's
        assert layer.depth is not None, layer.name
        np.testing.assert_allclose(layer.depth[layer.mask], DEPTH[key], atol=1 / 255)
        assert layer.depth_value == pytest.approx(DEPTH[key], abs=1 / 255)
    return key


@pytest.mark.slow
@pytest.mark.parametrize("kind, members", [("psd", 3), ("png", 10)])
def test_a_kill_at_every_rename_of_a_set_leaves_the_old_or_the_new_set_whole(tmp_path, kind, members):
    from seethrough.core.io.atomic import clean_stale_temps
    from seethrough.core.io.open_any import open_document

    for renames in range(members + 1):
        folder = tmp_path / f"{kind}-{renames}"
        folder.mkdir()
        target = folder / ("art.psd" if kind == "psd" else "layers")
        result = subprocess.run([sys.executable, "-c", HOOKED_CHILD, kind, str(target), str(renames)],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == -signal.SIGKILL, (renames, result.returncode, result.stderr[-2000:])
        expected = "b" if renames == 0 else "a"  # the first rename commits the new set
        _assert_whole(open_document(target), expected)  # right after the kill, before any clean-up
        clean_stale_temps(target.parent if kind == "psd" else target)  # the next start, or a write in the folder
        assert not [p.name for p in folder.rglob("*") if ".st-" in p.name]  # no temp file, no journal left
        _assert_whole(open_document(target), expected)  # whole under its own names


def _which(names: list[str]) -> str:
    for key, expected in NAMES.items():
        if names == expected:
            return key
    raise AssertionError(f"layers {names} are neither document's")


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".st-tmp", ".st-old")))


@pytest.mark.slow
def test_kill_9_during_psd_export_leaves_a_trustworthy_set(tmp_path):
    from seethrough.core.io.psd_export import export_psd
    from seethrough.core.io.psd_import import import_psd

    rng = random.Random(12)
    target = tmp_path / "art.psd"
    for _ in range(KILLS):
        _killed_writer("psd", target, rng)
        _assert_whole(import_psd(target))  # never a mixed set, whatever the moment
    from tests.support.hostile_corpus import tiny_document

    export_psd(tiny_document(), target)  # the next write removes what the killed writers left
    assert _temps(tmp_path) == []


@pytest.mark.slow
def test_kill_9_during_project_save_keeps_a_loadable_project(tmp_path):
    from seethrough.core.io.project import load_project, save_project

    rng = random.Random(7)
    target = tmp_path / "work.stproj"
    for _ in range(KILLS):
        _killed_writer("project", target, rng)
        doc = load_project(target)
        key = _which([layer.name for layer in doc.layers])
        assert all(layer.depth_value == pytest.approx(DEPTH[key]) for layer in doc.layers)
    from tests.support.hostile_corpus import tiny_document

    save_project(tiny_document(), target)
    assert _temps(tmp_path) == []
