"""Only regular files are opened (core/io/regular.py): a FIFO, socket, device or folder is refused in one line and
never waited on (issue 22: a FIFO where a file was expected hung info, export, animate, models check … for good)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from seethrough.core.errors import BadInput
from seethrough.core.io.regular import NotARegularFile, check_regular, is_regular, open_regular, read_regular

pytestmark = pytest.mark.timeout(60)  # a blocking open would hang: fail instead


def test_a_regular_file_and_a_link_to_one_open(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(b"data")
    link = tmp_path / "link.bin"
    link.symlink_to(path)
    with open_regular(link) as fh:
        assert fh.read() == b"data"
    assert read_regular(path) == b"data" and check_regular(path) == path and is_regular(link)


@pytest.mark.parametrize("kind, expected", [("fifo", "a named pipe (FIFO)"), ("socket", "a socket"),
                                            ("device", "a character device"), ("folder", "a folder")])
def test_special_files_are_refused_in_one_line_without_waiting(tmp_path: Path, kind: str, expected: str) -> None:
    path = tmp_path / "x.png"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        sock.close()
    elif kind == "device":
        path.symlink_to("/dev/zero")
    else:
        path.mkdir()
    with pytest.raises(NotARegularFile) as refused:
        open_regular(path)
    message = str(refused.value)
    assert message == f"{path}: is {expected}, not a file" or (kind == "folder" and "folder" in message)
    assert "\n" not in message and not is_regular(path)


def test_missing_and_size_limits(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such file"):
        open_regular(tmp_path / "absent.png")
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(10_000)
    with pytest.raises(BadInput, match="over the limit of 100"):
        read_regular(big, max_bytes=100)
