"""The GUI's error presenter shows an environment failure (full disk, read-only folder, a folder in the way) as one
line naming the path, not as an "unexpected error" with a traceback."""

import errno

import pytest

from seethrough.app import errors as app_errors
from seethrough.core.errors import WriteFailed
from seethrough.core.io.images import save_png
from seethrough.core.sample import build_sample_document


def test_os_errors_are_one_line_naming_the_path(qtbot):
    for code, reason in [(errno.ENOSPC, "no space left"), (errno.EROFS, "read-only"), (errno.EISDIR, "folder"),
                         (errno.ENAMETOOLONG, "too long"), (errno.EACCES, "permission denied")]:
        title, text = app_errors.describe(OSError(code, "x", "/data/out.psd"))
        assert title == "Cannot complete" and "\n" not in text
        assert text.startswith("/data/out.psd: ") and reason in text
    box = app_errors.show_error(None, OSError(errno.ENOSPC, "No space left on device", "/data/out.psd"))
    assert box is not None and "Unexpected" not in box.windowTitle()
    assert app_errors.last_message == "Cannot complete: /data/out.psd: no space left on the device"
    box.close()


def test_a_real_failed_save_reaches_the_presenter_as_cannot_write(qtbot, tmp_path):
    folder = tmp_path / "out.png"
    folder.mkdir()
    doc = build_sample_document()
    with pytest.raises(WriteFailed) as info:
        save_png(folder, doc.source_or_composite())
    title, text = app_errors.describe(info.value)
    assert title == "Cannot write" and text == f"cannot write {folder}: it is a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"] and not any(folder.iterdir())
