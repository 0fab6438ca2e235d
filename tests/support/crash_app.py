"""A real app process for the crash-recovery tests: `python -m tests.support.crash_app MODE SETTINGS_INI`.

It opens the window on the sample, renames the face layer (an unsaved edit), lets the autosave write it, and says
`AUTOSAVED`. In mode `mid-edit` it then keeps editing (`EDITING`) until it is killed. In mode `mid-save` it makes a
second edit and starts an autosave slowed by a hook in the PNG encoder, says `SAVING` from inside the write, and is
killed there: the test then checks that the next start recovers the first, complete autosave.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def say(word: str) -> None:
    sys.stdout.write(word + "\n")
    sys.stdout.flush()


def main(mode: str, settings: str) -> None:
    from PySide6.QtWidgets import QApplication

    from seethrough.app.application import create_main_window
    from seethrough.core.commands import SetLayerProperty

    app = QApplication([])
    window = create_main_window(Path(settings))

    def wait_for(predicate, seconds: float = 60.0) -> None:
        deadline = time.monotonic() + seconds
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("the app did not get there in time")
            app.processEvents()
            time.sleep(0.01)

    wait_for(lambda: window.session.document is not None)
    doc = window.session.document
    face = doc.find("face")
    window.session.push(SetLayerProperty(face.uid, "name", "face (edited)"))
    job = window.autosave.save_now()
    wait_for(lambda: not job.state.active)
    say("AUTOSAVED")
    if mode == "mid-edit":
        say("EDITING")
        n = 0
        while True:  # keep editing after the autosave: killed in the middle of this
            n += 1
            window.session.push(SetLayerProperty(face.uid, "opacity", 0.5 + (n % 50) / 100))
            app.processEvents()
            time.sleep(0.005)
    import seethrough.core.io.project as project

    inside = threading.Event()
    encode = project.encode_png

    def slow_encode(*args, **kwargs):  # the test hook: a write that takes long
        inside.set()
        time.sleep(0.5)
        return encode(*args, **kwargs)

    project.encode_png = slow_encode
    window.session.push(SetLayerProperty(face.uid, "name", "face (edited twice)"))
    window.autosave.save_now()
    wait_for(inside.is_set)
    say("SAVING")
    while True:
        app.processEvents()
        time.sleep(0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
