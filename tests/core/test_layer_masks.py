"""Layer masks: drawn wherever layers are drawn, applied exactly, undoable, locked layers refuse, and kept through
.stproj and PSD (read back by psd-tools, by our importer and, where installed, by ImageMagick)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from psd_tools import PSDImage

from seethrough.core.animate import _premultiply
from seethrough.core.commands import SetLayerProperty
from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput, LayerLocked, NewerSchema
from seethrough.core.io.images import decode_png_bytes
from seethrough.core.io.project import load_project, save_project
from seethrough.core.io.psd_export import export_psd
from seethrough.core.io.psd_import import import_psd
from seethrough.core.layer_mask import LayerMask
from seethrough.core.mask_ops import MaskParams, SetLayerMask, mask_command
from seethrough.core.quality.checks import run_checks
from seethrough.core.sample import build_sample_document
from seethrough.core.selection import SelectParams, select_command
from seethrough.core.transform import TransformParams, transform_command
from tests.core.helpers import snapshot


@pytest.fixture()
def doc() -> Document:
    sample = build_sample_document()
    return Document(sample.size, sample.layers, source=sample.source, metadata=sample.metadata)


def _mask(doc: Document, layer: str, action: str) -> None:
    doc.history.push(mask_command(doc, MaskParams(layer, action)))


def _soft_selection(doc: Document) -> None:
    doc.history.push(select_command(doc, SelectParams("ellipse", box=(250, 150, 520, 420))))


@pytest.mark.parametrize("mode", ["stack", "depth", "zbuffer"])
def test_composite_with_a_mask_equals_the_composite_of_the_applied_mask(doc: Document, mode: str) -> None:
    _soft_selection(doc)
    _mask(doc, "front hair", "add")
    hair = doc.find("front hair")
    assert hair is not None and hair.layer_mask is not None and hair.layer_mask.fill == 0
    masked_image = composite(doc, mode=mode)
    _mask(doc, "front hair", "apply")
    assert doc.find("front hair").layer_mask is None  # type: ignore[union-attr]
    assert (composite(doc, mode=mode) == masked_image).all()


def test_disable_shows_the_layer_whole_and_enable_hides_again(doc: Document) -> None:
    plain = composite(doc)
    _soft_selection(doc)
    _mask(doc, "face", "add")
    masked_image = composite(doc)
    assert (masked_image != plain).any()
    _mask(doc, "face", "disable")
    assert (composite(doc) == plain).all()
    _mask(doc, "face", "enable")
    assert (composite(doc) == masked_image).all()
    _mask(doc, "face", "delete")
    assert (composite(doc) == plain).all()
    for _ in range(3):  # delete, enable, disable
        doc.history.undo()
    assert (composite(doc) == masked_image).all()


def test_a_white_mask_shows_everything_and_painting_it_black_hides(doc: Document) -> None:
    plain = composite(doc)
    _mask(doc, "face", "add")  # nothing selected: white
    face = doc.find("face")
    assert face is not None and face.layer_mask is not None and face.layer_mask.fill == 255
    assert face.layer_mask.plane.nbytes == 0  # a white mask stores no tiles
    assert (composite(doc) == plain).all() and face.shown_rgba is not face.rgba
    black = face.layer_mask.plane.with_region(300, 300, np.zeros((40, 40), np.uint8))
    doc.history.push(SetLayerMask(face.uid, LayerMask(black)))
    painted = doc.find("face")
    assert painted is not None
    canvas = painted.shown_on_canvas(doc.size)
    assert (canvas[300:340, 300:340, 3] == 0).all()
    assert (painted.on_canvas(doc.size)[300:340, 300:340] == face.on_canvas(doc.size)[300:340, 300:340]).all()


def test_every_place_that_draws_honours_the_mask(doc: Document) -> None:
    """The preview and animation export (premultiplied layers) and the checks (layer alphas)."""
    _soft_selection(doc)
    _mask(doc, "topwear", "add")  # the selection misses the top: the topwear is hidden almost everywhere
    topwear = doc.find("topwear")
    assert topwear is not None
    premultiplied = _premultiply(topwear)
    assert premultiplied[..., 3].max() * 255 <= topwear.shown_rgba[..., 3].max() + 1e-3
    assert (premultiplied[..., 3] * 255 - topwear.shown_rgba[..., 3] <= 1e-3).all()
    before = {f.check for f in run_checks(build_sample_document())}
    findings = run_checks(doc)
    assert "hole" not in before and "empty" not in before
    assert any(f.check == "hole" for f in findings)  # the hidden topwear leaves a hole in the picture
    assert any(f.check == "empty" and f.layers == (topwear.uid,) for f in findings)  # nothing of it is shown


def test_add_twice_missing_mask_and_bad_parameters(doc: Document) -> None:
    _mask(doc, "face", "add")
    with pytest.raises(BadInput, match="already has a mask"):
        mask_command(doc, MaskParams("face", "add"))
    with pytest.raises(BadInput, match="has no mask"):
        mask_command(doc, MaskParams("nose", "apply"))
    with pytest.raises(BadInput, match="action must be one of"):
        MaskParams.from_dict({"layer": "face", "action": "invert"})


def test_locked_layers_refuse_add_apply_delete_but_toggle(doc: Document) -> None:
    _mask(doc, "face", "add")
    face = doc.find("face")
    assert face is not None
    doc.history.push(SetLayerProperty(face.uid, "locked", True))
    before = snapshot(doc)
    for action in ("apply", "delete"):
        with pytest.raises(LayerLocked, match="'face' is locked"):
            doc.history.push(mask_command(doc, MaskParams("face", action)))
    with pytest.raises(LayerLocked, match="'face' is locked"):  # the command checks again when it runs
        doc.history.push(SetLayerMask(face.uid, None))
    assert snapshot(doc) == before and doc.find("face").layer_mask is not None  # type: ignore[union-attr]
    nose = doc.find("nose")
    assert nose is not None
    doc.history.push(SetLayerProperty(nose.uid, "locked", True))
    with pytest.raises(LayerLocked):
        mask_command(doc, MaskParams("nose", "add"))
    _mask(doc, "face", "disable")  # like visibility: allowed
    assert doc.find("face").layer_mask.enabled is False  # type: ignore[union-attr]


def test_whole_layer_transform_moves_the_mask_along() -> None:
    rgba = np.full((20, 30, 4), 255, np.uint8)
    mask = np.zeros((20, 30), np.uint8)
    mask[:, :10] = 255
    doc = Document((100, 100), [Layer("a", rgba, (10, 10), layer_mask=LayerMask.from_array(mask, (10, 10)))])
    shown = doc.layers[0].shown_on_canvas(doc.size)
    doc.history.push(transform_command(doc, TransformParams("a", flip="h")))
    flipped = doc.layers[0].shown_on_canvas(doc.size)
    assert (flipped[10:30, 10:40] == shown[10:30, 10:40][:, ::-1]).all() and flipped[10:30, 10:30, 3].max() == 0
    doc.history.push(transform_command(doc, TransformParams("a", translate=(5, 7), rotate=30)))
    assert doc.layers[0].layer_mask is not None and doc.layers[0].layer_mask.box != (10, 10, 40, 30)


# --- files -----------------------------------------------------------------------------------------------------
def _masked_doc(doc: Document) -> Document:
    _soft_selection(doc)
    _mask(doc, "front hair", "add")
    _mask(doc, "face", "add")
    _mask(doc, "face", "disable")
    return doc


def test_stproj_round_trip(doc: Document, tmp_path: Path) -> None:
    _masked_doc(doc)
    path = tmp_path / "m.stproj"
    save_project(doc, path)
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("project.json"))
    assert manifest["schema_version"] == 2
    back = load_project(path)
    for mine, theirs in zip(doc.layers, back.layers, strict=True):
        if mine.layer_mask is None:
            assert theirs.layer_mask is None
            continue
        assert theirs.layer_mask is not None and theirs.layer_mask.box == mine.layer_mask.box
        assert theirs.layer_mask.fill == mine.layer_mask.fill and theirs.layer_mask.enabled == mine.layer_mask.enabled
        assert (theirs.layer_mask.plane.to_dense() == mine.layer_mask.plane.to_dense()).all()
    assert (composite(back) == composite(doc)).all()


def test_projects_without_masks_stay_version_1_and_newer_ones_are_refused(doc: Document, tmp_path: Path) -> None:
    path = tmp_path / "plain.stproj"
    save_project(doc, path)
    with zipfile.ZipFile(path) as zf:
        assert json.loads(zf.read("project.json"))["schema_version"] == 1
    assert len(load_project(path).layers) == len(doc.layers)
    newer = tmp_path / "newer.stproj"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "project.json":
                manifest = json.loads(data)
                manifest["schema_version"] = 3
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(NewerSchema):
        load_project(newer)


def test_a_mask_of_the_wrong_size_is_refused(doc: Document, tmp_path: Path) -> None:
    _masked_doc(doc)
    path, broken = tmp_path / "m.stproj", tmp_path / "broken.stproj"
    save_project(doc, path)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "project.json":
                manifest = json.loads(data)
                for entry in manifest["layers"]:
                    if entry.get("mask"):
                        entry["mask"]["box"][2] += 3
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(BadInput, match="mask"):
        load_project(broken)


def test_psd_export_writes_a_real_layer_mask(doc: Document, tmp_path: Path) -> None:
    _masked_doc(doc)
    path = tmp_path / "m.psd"
    export_psd(doc, path, companions=False)
    psd = PSDImage.open(path)
    by_name = {layer.name: layer for layer in psd.descendants()}
    for name in ("front hair", "face"):
        mine = doc.find(name)
        assert mine is not None and mine.layer_mask is not None
        theirs = by_name[name]
        assert theirs.has_mask() and theirs.mask is not None
        assert theirs.mask.bbox == mine.layer_mask.box
        assert theirs.mask.background_color == mine.layer_mask.fill
        assert theirs.mask.disabled == (not mine.layer_mask.enabled)
        assert (np.asarray(theirs.mask.topil()) == mine.layer_mask.plane.to_dense()).all()
        assert (np.asarray(theirs.topil())[..., 3] == mine.rgba[..., 3]).all()  # the pixels are kept whole
    # psd-tools' own compositor draws the masked layer as we do (alpha within rounding)
    hair = doc.find("front hair")
    assert hair is not None
    theirs_alpha = np.asarray(by_name["front hair"].composite(viewport=hair.bbox))[..., 3].astype(int)
    assert np.abs(theirs_alpha - hair.shown_rgba[..., 3]).max() <= 1


def test_psd_round_trip_keeps_masks(doc: Document, tmp_path: Path) -> None:
    _masked_doc(doc)
    path = tmp_path / "m.psd"
    export_psd(doc, path)
    back = import_psd(path)
    for name in ("front hair", "face"):
        mine, theirs = doc.find(name), back.find(name)
        assert mine is not None and theirs is not None and theirs.layer_mask is not None
        assert mine.layer_mask is not None
        assert theirs.layer_mask.box == mine.layer_mask.box and theirs.layer_mask.fill == mine.layer_mask.fill
        assert theirs.layer_mask.enabled == mine.layer_mask.enabled
        assert (theirs.shown_rgba == mine.shown_rgba).all()
    assert back.find("nose").layer_mask is None  # type: ignore[union-attr]


def _imagemagick() -> str | None:
    for name in ("magick", "convert"):
        exe = shutil.which(name)
        if exe is None:
            continue
        probe = subprocess.run([exe, "-version"], capture_output=True, text=True, timeout=60)
        if "ImageMagick" in probe.stdout:
            return exe
    return None


IMAGEMAGICK = _imagemagick()


@pytest.mark.skipif(IMAGEMAGICK is None, reason="ImageMagick is not installed (apt-get install imagemagick)")
def test_imagemagick_reads_the_mask(tmp_path: Path) -> None:
    """ImageMagick applies a PSD layer's mask when it reads the layer: the masked half must come out clear."""
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[...] = (30, 200, 90, 255)
    values = np.zeros((40, 60), np.uint8)
    values[:, :30] = 255
    layer = Layer("masked", rgba, (0, 0), layer_mask=LayerMask.from_array(values, (0, 0), fill=0))
    doc = Document((60, 40), [layer])
    path = tmp_path / "m.psd"
    export_psd(doc, path, companions=False)
    out = tmp_path / "layer.png"
    assert IMAGEMAGICK is not None
    subprocess.run([IMAGEMAGICK, f"{path}[1]", str(out)], check=True, capture_output=True, timeout=120)
    image = decode_png_bytes(out.read_bytes(), "layer.png")
    assert image.shape[:2] == (40, 60)
    assert (image[:, :30, 3] == 255).all() and (image[:, 30:, 3] == 0).all()


GIMP = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")


@pytest.mark.skipif(GIMP is None, reason="GIMP is not installed (apt-get install gimp)")
def test_gimp_draws_our_masks_as_we_do(tmp_path: Path) -> None:
    """GIMP's merge of our PSD equals our composite: a soft mask with a box and default colour 0, and a disabled
    mask that would hide its whole layer (GIMP must ignore it, as the flag says)."""
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[...] = (30, 200, 90, 255)
    values = np.zeros((20, 30), np.uint8)
    values[:, :15] = 255
    values[:, 15:] = 100
    band = np.zeros((40, 60, 4), np.uint8)
    band[30:] = (200, 20, 20, 255)
    hide_all = LayerMask.from_array(np.zeros((40, 60), np.uint8), (0, 0), fill=0).with_enabled(False)
    doc = Document((60, 40), [Layer("masked", rgba, (0, 0), layer_mask=LayerMask.from_array(values, (10, 10))),
                              Layer("disabled", band, (0, 0), layer_mask=hide_all)])
    path, png = tmp_path / "m.psd", tmp_path / "merged.png"
    export_psd(doc, path, companions=False)
    script = (f'(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "{path}" "in"))) '
              f"(layer (car (gimp-image-merge-visible-layers image CLIP-TO-IMAGE)))) "
              f'(file-png-save2 RUN-NONINTERACTIVE image layer "{png}" "out" 0 9 0 0 0 0 0 0 1))')
    assert GIMP is not None
    subprocess.run([GIMP, "-i", "-d", "-f", "-b", script, "-b", "(gimp-quit 0)"], capture_output=True, timeout=300,
                   env={**os.environ, "HOME": str(tmp_path)})
    if not png.exists():
        pytest.skip("GIMP could not run here")
    gimp = decode_png_bytes(png.read_bytes(), "merged.png").astype(int)
    ours = composite(doc).astype(int)
    assert (gimp[..., 3] == ours[..., 3]).all()
    seen = ours[..., 3] > 0
    assert np.abs(gimp[seen] - ours[seen]).max() <= 1
    assert (ours[12:28, 26:40, 3] == 100).all() and (ours[35, :, 3] == 255).all()


def test_strata_keep_the_mask_so_the_picture_does_not_change(doc: Document) -> None:
    from seethrough.core.stratify import stratify_command

    _soft_selection(doc)
    _mask(doc, "front hair", "add")
    before = composite(doc)
    hair = doc.find("front hair")
    assert hair is not None
    doc.history.push(stratify_command(doc, hair.uid, k=2, inpaint="none"))  # a plain split of the pixels
    parts = [layer for layer in doc.layers if layer.tag == "front hair"]
    assert len(parts) == 2 and all(part.layer_mask is hair.layer_mask for part in parts)
    assert np.abs(composite(doc).astype(int) - before).max() <= 1


def test_a_mask_from_everything_but_a_hole_shows_everything_but_the_hole(doc: Document) -> None:
    doc.history.push(select_command(doc, SelectParams("rect", box=(300, 300, 340, 340))))
    from seethrough.core.selection import SelectActionParams, select_action_command

    doc.history.push(select_action_command(doc, SelectActionParams("invert")))
    _mask(doc, "face", "add")
    face = doc.find("face")
    assert face is not None and face.layer_mask is not None
    assert face.layer_mask.fill == 255 and face.layer_mask.box == (300, 300, 340, 340)
    shown = face.shown_on_canvas(doc.size)
    assert shown[300:340, 300:340, 3].max() == 0
    assert (shown[..., 3][face.on_canvas(doc.size)[..., 3] > 0].sum()) > 0
    outside = np.ones(doc.size[::-1], bool)
    outside[300:340, 300:340] = False
    assert (shown[outside] == face.on_canvas(doc.size)[outside]).all()


def test_a_mask_stroke_paints_the_mask_and_not_the_pixels(doc: Document) -> None:
    from seethrough.core.brush.command import stroke_command
    from seethrough.core.brush.params import StrokeParams

    face = doc.find("face")
    assert face is not None
    stroke = StrokeParams("face", "mask", size=30, hardness=1.0, value=0.0, points=((330, 300), (430, 300)))
    with pytest.raises(BadInput, match="has no layer mask"):
        stroke_command(doc, stroke)
    _mask(doc, "face", "add")  # white
    doc.history.push(stroke_command(doc, stroke))
    painted = doc.find("face")
    assert painted is not None and painted.pixels is face.pixels  # the pixels are untouched
    shown = painted.shown_on_canvas(doc.size)
    assert (shown[295:306, 340:420, 3] == 0).all()  # hidden under the stroke
    assert (shown[250:260, 340:420] == face.on_canvas(doc.size)[250:260, 340:420]).all()  # shown elsewhere
    assert doc.history.undo_text == "Paint layer mask"


def test_selecting_by_a_masked_layer_sees_it_as_drawn(doc: Document) -> None:
    _soft_selection(doc)
    _mask(doc, "face", "add")
    face = doc.find("face")
    assert face is not None
    doc.history.push(select_command(doc, SelectParams("layer-alpha", layer="face")))
    assert (doc.selection.on_canvas() == face.shown_on_canvas(doc.size)[..., 3]).all()  # type: ignore[union-attr]
