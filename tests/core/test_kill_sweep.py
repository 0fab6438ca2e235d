"""kill -9 at random moments while a child process rewrites a PSD set (and a project) over and over: whatever the
moment, the files on disk form a set a reader can trust — every member complete, the PSD one of the two documents,
its companions either from the same write or reported as another write's and left out — and the temp files the
killed writer left are removed by the next write."""

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


def _killed_writer(kind: str, target: Path, rng: random.Random) -> None:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.8))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


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
    outcomes = set()
    for _ in range(KILLS):
        _killed_writer("psd", target, rng)
        doc = import_psd(target)
        key = _which([layer.name for layer in doc.layers])
        warnings = doc.metadata["import_warnings"]
        if any("another export" in w for w in warnings):
            outcomes.add("mixed, reported")
            continue
        outcomes.add("whole set")
        for layer in doc.layers:  # the depth companion is the same write's: its maps are this document's
            assert layer.depth is not None
            np.testing.assert_allclose(layer.depth[layer.mask], DEPTH[key], atol=1 / 255)
            assert layer.depth_value == pytest.approx(DEPTH[key], abs=1e-6)
    assert "whole set" in outcomes
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
