"""The format registry (core.io.formats): one place that recognises, reads and writes every file type."""

from __future__ import annotations

import os

import pytest

from seethrough.core.errors import BadInput, UnsupportedFormat
from seethrough.core.io.formats import (
    FORMATS,
    format_for_reading,
    format_for_writing,
    open_filter,
    output_suffixes,
    read_document,
    write_document,
)
from seethrough.core.sample import build_sample_document


@pytest.fixture(scope="module")
def sample():
    return build_sample_document()


def test_every_written_format_is_read_back_as_the_same_kind(sample, tmp_path):
    for name, key in (("a.stproj", "project"), ("a.psd", "psd"), ("a.png", "image"), ("folder/", "png-folder")):
        written = write_document(sample, tmp_path / name)
        assert written and all(p.exists() for p in written)
        assert format_for_reading(written[0]).key == key
        doc = read_document(written[0])
        assert doc.size == sample.size
        if key != "image":  # a flattened image is one layer, by design
            assert [x.name for x in doc.layers] == [x.name for x in sample.layers]


def test_content_decides_before_the_name(sample, tmp_path):
    project = write_document(sample, tmp_path / "a.stproj")[0]
    disguised = tmp_path / "disguised.png"
    disguised.write_bytes(project.read_bytes())
    assert format_for_reading(disguised).key == "project"
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello", encoding="utf-8")
    with pytest.raises(UnsupportedFormat, match="unknown file type"):
        format_for_reading(unknown)


def test_a_live2d_model_is_recognised_and_opens_elsewhere(tmp_path):
    model = tmp_path / "m" / "m.model3.json"
    model.parent.mkdir()
    model.write_text("{}", encoding="utf-8")
    assert format_for_reading(model).opens == "live2d"
    assert format_for_reading(model.parent).opens == "live2d"  # a folder holding one model
    with pytest.raises(BadInput, match="is a Live2D model: open it in the Annotate workspace"):
        read_document(model)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_at_once_instead_of_blocking(tmp_path):
    fifo = tmp_path / "layer.png"
    os.mkfifo(fifo)
    with pytest.raises(BadInput, match="named pipe"):
        format_for_reading(fifo)


def test_writing_follows_the_name_and_refuses_what_it_cannot_write(tmp_path):
    assert format_for_writing(tmp_path / "x.PSD").key == "psd"
    assert format_for_writing(str(tmp_path / "out") + "/").key == "png-folder"
    with pytest.raises(UnsupportedFormat, match=r"cannot save as '\.jpg'"):
        format_for_writing(tmp_path / "x.jpg")
    assert set(output_suffixes()) == {".stproj", ".psd", ".png", ""}


def test_the_open_filter_lists_every_readable_format():
    text = open_filter()
    for fmt in FORMATS:
        if fmt.opens is not None and not fmt.folder:
            assert fmt.label in text and all(f"*{ext}" in text for ext in fmt.extensions)
