"""The shared JSON loader (depth/size limits, finite numbers) and the per-format schemas' messages."""

from __future__ import annotations

import json

import pytest

from seethrough.core.errors import BadInput
from seethrough.core.io import safe_json
from seethrough.core.io.schemas import (
    DatasetIndexFile,
    Model3Json,
    PngFolderManifest,
    PoseList,
    ProjectManifest,
    PsdCompanion,
    validate,
)


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000,
                                  '{"a":' * 70 + "1" + "}" * 70, "[" * 65 + "]" * 65])
def test_deep_nesting_is_refused_in_one_line(text):
    with pytest.raises(BadInput, match=r"x\.json: JSON nested .*the limit is 64"):
        safe_json.loads(text, "x.json")


def test_brackets_inside_strings_do_not_count():
    data = safe_json.loads(json.dumps({"name": "[" * 1000 + '\\"{' * 50}), "x.json")
    assert data["name"].startswith("[[[")
    assert safe_json.nesting_depth(json.loads('{"a": [1, {"b": "]]]]"}]}')) == 3
    assert safe_json.nesting_depth(safe_json.loads("[" * 64 + "]" * 64, "x.json")) == 64
    assert [safe_json.loads(t, "x.json") for t in ("5", '"s"', "null", "1.5")] == [5, "s", None, 1.5]
    with pytest.raises(BadInput, match="finite"):
        safe_json.loads("1e999", "x.json")


@pytest.mark.parametrize("text", ['{"a": NaN}', '{"a": Infinity}', '[-Infinity]', "[1e400]", "[" + "9" * 5000 + "]"])
def test_non_finite_and_absurd_numbers_are_refused(text):
    with pytest.raises(BadInput, match="x.json: not valid JSON"):
        safe_json.loads(text, "x.json")


def test_size_limit_binary_and_bom(tmp_path):
    with pytest.raises(BadInput, match="over the limit"):
        safe_json.loads(b"[" + b"1," * 100 + b"1]", "x.json", max_bytes=50)
    with pytest.raises(BadInput, match="not UTF-8"):
        safe_json.loads(b'["\xff\xfe"]', "x.json")
    assert safe_json.loads(b'\xef\xbb\xbf{"a": 1}', "x.json") == {"a": 1}
    with pytest.raises(BadInput, match="not found"):
        safe_json.read(tmp_path / "absent.json")
    with pytest.raises(BadInput, match="is a folder"):
        safe_json.read(tmp_path)
    with pytest.raises(ValueError):
        safe_json.dumps({"x": float("inf")})  # we never write non-standard JSON


def _project(**layer):
    entry = {"name": "face", "uid": "a1", "size": [4, 4], **layer}
    return {"schema_version": 1, "canvas": [16, 16], "layers": [entry]}


@pytest.mark.parametrize(
    ("schema", "data", "message"),
    [
        (ProjectManifest, {"schema_version": 1, "canvas": "x", "layers": []}, "p.json: canvas: Input should be"),
        (ProjectManifest, {"schema_version": 1, "canvas": [30000, 30000], "layers": []}, "over the image limit"),
        (ProjectManifest, {"schema_version": 1, "canvas": [0, 4], "layers": []}, "canvas[0]: Input should be greater"),
        (ProjectManifest, _project(opacity=float("nan")), "layers[0].opacity: Input should be a finite number"),
        (ProjectManifest, _project(offset=[10**12, 0]), "layers[0].offset[0]"),
        (ProjectManifest, _project(offset=[40, 0]), "outside ± the canvas"),
        (ProjectManifest, _project(uid="../x"), "layers[0].uid: a layer uid is"),
        (ProjectManifest, _project(depth_value="deep"), "layers[0].depth_value"),
        (PsdCompanion, {"parts": {"face": {"depth_median": "deep"}}}, "parts.face.depth_median"),
        (PsdCompanion, {"frame_size": [100000, 100000]}, "frame_size[0]"),
        (Model3Json, {"FileReferences": {"Moc": 123}}, "FileReferences.Moc: Input should be a valid string"),
        (Model3Json, {"FileReferences": {"Moc": "/abs/x.moc3"}}, "FileReferences.Moc: '/abs/x.moc3' is an absolute"),
        (Model3Json, {"FileReferences": {"Moc": "a/../../x.moc3"}}, "'..' is not allowed"),
        (Model3Json, {"FileReferences": {"Moc": "C:x.moc3"}}, "absolute path"),
        (PngFolderManifest, {"format": "seethrough-png-folder", "version": 1, "canvas": [4, 4],
                             "layers": [{"name": "a", "order": 0, "file": "lpt1.png"}]}, "reserved device name"),
        (PoseList, {"poses": [{"name": "a", "params": {"P": 1e300}}]}, "poses[0].params.P"),
        (DatasetIndexFile, {"schema_version": 1, "samples": [{"id": "../../etc", "model": "m", "split": "train",
                                                              "canvas": [4, 4], "tags": []}]}, "samples[0].id"),
    ],
)
def test_schema_errors_name_the_file_and_the_key(schema, data, message):
    with pytest.raises(BadInput) as info:
        validate(schema, data, "p.json")
    text = str(info.value)
    assert text.startswith("p.json: ") and message in text and "\n" not in text


def test_names_keep_everything_but_nul():
    checked = validate(ProjectManifest, _project(name="髪 🎀\nfront hair\x00"), "p.json")
    assert checked.layers[0].name == "髪 🎀\nfront hair"
