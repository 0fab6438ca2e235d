"""GUI test defaults: the app's questions get a harmless answer unless a test asks otherwise (a modal box would
block an offscreen test forever): "Save changes?" → Discard, "Recover the autosave?" → no."""

import os
from pathlib import Path

import pytest

from seethrough.app.prompts import RecoverPrompt, SaveAnswer, SaveChangesPrompt
from tests.support.windows import main_window


@pytest.fixture(autouse=True)
def _answer_prompts(monkeypatch):
    monkeypatch.setattr(SaveChangesPrompt, "ask", classmethod(lambda cls, *a, **k: SaveAnswer.DISCARD))
    monkeypatch.setattr(RecoverPrompt, "ask", classmethod(lambda cls, *a, **k: False))


@pytest.fixture()
def screens(tmp_path) -> Path:
    """The folder a test saves its screenshots in: `$SEETHROUGH_SCREENS` to keep them (e.g. `out/screens`, which
    git ignores), else a folder of the test's own temporary directory. Never a folder of the checkout by default."""
    folder = Path(os.environ["SEETHROUGH_SCREENS"]) if os.environ.get("SEETHROUGH_SCREENS") else tmp_path / "screens"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture()
def window(qtbot, tmp_path):
    """The main window on the built-in sample (a module may override it, e.g. to show another workspace)."""
    with main_window(qtbot, tmp_path) as w:
        yield w
