"""PSD export/import in the official See-through layout, PNG-folder export, and PSD bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage
from psd_tools.constants import Tag

from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.io.open_any import open_document, save_document
from seethrough.core.io.psd_export import export_png_folder, export_psd
from seethrough.core.io.psd_import import import_psd
from tests.core.io_helpers import blob, make_doc, with_layer


def _pixel_layers(psd: PSDImage) -> list:
    return [layer for layer in psd.descendants() if not layer.is_group()]


def test_export_reads_back_equal(tmp_path):
    doc = make_doc()
    calls = []
    written = export_psd(doc, tmp_path / "char.psd", progress=lambda d, t: calls.append((d, t)))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["char.psd", "char.psd.json", "char_depth.psd"]
    assert {p.name for p in written} == {"char.psd", "char.psd.json", "char_depth.psd"}
    assert calls and calls[-1][0] == calls[-1][1] and [c[0] for c in calls] == sorted(c[0] for c in calls)
    psd = PSDImage.open(tmp_path / "char.psd")
    assert (psd.width, psd.height) == doc.size
    layers = list(psd)  # bottom → top
    assert [lay.name for lay in layers] == [lay.name for lay in doc.layers]
    for pl, dl in zip(layers, doc.layers, strict=True):
        assert pl.kind == "pixel"
        assert (pl.left, pl.top) == dl.offset
        np.testing.assert_array_equal(np.asarray(pl.topil()), dl.rgba)
        assert pl.visible == dl.visible
        assert pl.opacity == round(dl.opacity * 255)

    depth_psd = PSDImage.open(tmp_path / "char_depth.psd")
    assert [lay.name for lay in depth_psd] == [lay.name for lay in doc.layers]
    for pl, dl in zip(depth_psd, doc.layers, strict=True):
        assert (pl.left, pl.top) == dl.offset
        got = np.asarray(pl.topil())[..., 0]
        np.testing.assert_array_equal(got, np.rint(dl.depth * 255).astype(np.uint8))

    meta = json.loads((tmp_path / "char.psd.json").read_text())
    assert meta["frame_size"] == [80, 96]
    assert list(meta["parts"]) == [lay.name for lay in doc.layers]
    for i, dl in enumerate(doc.layers):
        part = meta["parts"][dl.name]
        assert part["xyxy"] == list(dl.bbox)
        assert part["tag"] == dl.tag and part["part_id"] == i
        assert part["depth_median"] == pytest.approx(dl.depth_value)


def test_export_groups_keep_stacking_order(tmp_path):
    doc = make_doc()
    export_psd(doc, tmp_path / "g.psd", groups=True, companions=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.psd"]
    psd = PSDImage.open(tmp_path / "g.psd")
    assert all(top.is_group() for top in psd)
    assert [g.name for g in psd] == ["head", "body", "head", "body"]
    assert [lay.name for lay in _pixel_layers(psd)] == [lay.name for lay in doc.layers]
    face = next(lay for lay in _pixel_layers(psd) if lay.name == "face")
    assert face.parent.name == "head"
    back = import_psd(tmp_path / "g.psd")
    assert [lay.name for lay in back.layers] == [lay.name for lay in doc.layers]
    assert back.metadata["psd_groups"]
    assert "group head" in back.layers[0].provenance


def test_empty_layer_skipped_on_export_with_warning(tmp_path, caplog):
    doc = make_doc(with_empty=True)
    with caplog.at_level("WARNING"):
        export_psd(doc, tmp_path / "e.psd")
    assert "objects" in caplog.text
    names = [lay.name for lay in PSDImage.open(tmp_path / "e.psd")]
    assert "objects" not in names and len(names) == len(doc.layers) - 1


def test_cancelled_export_leaves_nothing(tmp_path):
    doc = make_doc()
    seen = []

    def cancel() -> bool:
        seen.append(1)
        return len(seen) > 4

    with pytest.raises(Cancelled):
        export_psd(doc, tmp_path / "c.psd", cancel=cancel)
    assert list(tmp_path.iterdir()) == []
    # an existing export of the same name survives a cancelled re-export
    export_psd(doc, tmp_path / "c.psd")
    before = (tmp_path / "c.psd").read_bytes()
    seen.clear()
    with pytest.raises(Cancelled):
        export_psd(make_doc(), tmp_path / "c.psd", cancel=cancel)
    assert (tmp_path / "c.psd").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.psd", "c.psd.json", "c_depth.psd"]
    seen.clear()
    with pytest.raises(Cancelled):
        export_png_folder(doc, tmp_path / "pngs", cancel=cancel)
    assert not (tmp_path / "pngs").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.psd", "c.psd.json", "c_depth.psd"]


def test_round_trip_export_import(tmp_path):
    doc = with_layer(make_doc(), 0, offset=(-5, -7))  # partly off the canvas: PSD offsets may be negative
    doc = with_layer(doc, 1, depth=None)  # no per-pixel map: the companion holds the constant representative depth
    export_psd(doc, tmp_path / "rt.psd")
    back = import_psd(tmp_path / "rt.psd")
    assert back.size == doc.size
    assert [lay.name for lay in back.layers] == [lay.name for lay in doc.layers]
    for a, b in zip(doc.layers, back.layers, strict=True):
        assert b.tag == a.tag and b.offset == a.offset and b.visible == a.visible
        assert b.opacity == pytest.approx(a.opacity, abs=1 / 255)
        np.testing.assert_array_equal(b.rgba, a.rgba)
        assert b.depth_value == pytest.approx(a.depth_value)
        np.testing.assert_allclose(b.depth, a.depth_or_constant(), atol=0.5 / 255 + 1e-6)
    assert back.source.shape == (80, 96, 4)
    assert back.metadata["import_warnings"] == []
    # psd-tools' merged image is flattened on black; the source keeps the layers' transparency instead
    assert back.metadata["source_from"] == "layers"
    assert int(back.source[0, 0, 3]) == 0 and (back.source[..., 3] == 255).any()
    # and through the generic dispatch
    reopened = open_document(tmp_path / "rt.psd")
    assert [lay.name for lay in reopened.layers] == [lay.name for lay in doc.layers]


def _official_psd(tmp_path, with_companions: bool = True):
    """A PSD written the way the authors' `save_psd` writes one (RGBA, first created = bottom, cropped layers)."""
    names = ["back hair", "topwear", "face", "eyel", "hairf", "handwear-r", "handwear-l"]
    boxes = [(8, 2, 60, 70), (16, 48, 64, 30), (28, 12, 40, 40), (36, 26, 8, 6), (22, 4, 52, 28), (2, 58, 16, 16),
             (76, 58, 16, 16)]
    depths = [0.95, 0.6, 0.45, 0.4, 0.15, 0.1, 0.12]
    psd = PSDImage.new("RGBA", (96, 80), depth=8)
    dpsd = PSDImage.new("L", (96, 80), depth=8)
    parts = {}
    for i, (name, (x, y, w, h), d) in enumerate(zip(names, boxes, depths, strict=True)):
        rgba = blob(h, w, (30 * i, 200 - 20 * i, 100), seed=i)
        psd.create_pixel_layer(Image.fromarray(rgba, "RGBA"), name=name, top=y, left=x)
        dmap = np.full((h, w), d, np.float32)
        dmap[: h // 2] -= 0.04
        dpsd.create_pixel_layer(Image.fromarray(np.rint(dmap * 255).astype(np.uint8), "L"), name=name, top=y, left=x)
        parts[name] = {"xyxy": [x, y, x + w, y + h], "tag": name, "part_id": i, "depth_median": d}
    psd.save(tmp_path / "official.psd")
    if with_companions:
        dpsd.save(tmp_path / "official_depth.psd")
        (tmp_path / "official.psd.json").write_text(json.dumps({"parts": parts, "frame_size": [80, 96]}))
    return names, depths


def test_import_official_layout_with_companions(tmp_path):
    names, depths = _official_psd(tmp_path)
    doc = import_psd(tmp_path / "official.psd")
    assert [lay.name for lay in doc.layers] == names
    assert [lay.tag for lay in doc.layers] == ["back hair", "topwear", "face", "eyes", "front hair", "handwear",
                                               "handwear"]
    assert [lay.depth_value for lay in doc.layers] == pytest.approx(depths)
    for layer, d in zip(doc.layers, depths, strict=True):
        assert layer.depth is not None and layer.depth.shape == layer.rgba.shape[:2]
        assert float(layer.depth[-1, 0]) == pytest.approx(round(d * 255) / 255, abs=1e-6)
        assert float(layer.depth[0, 0]) < float(layer.depth[-1, 0])
    assert doc.find("handwear-r").offset == (2, 58)
    assert doc.source is not None and doc.source.shape == (80, 96, 4)


def test_import_psd_alone_depth_follows_order(tmp_path):
    names, _ = _official_psd(tmp_path, with_companions=False)
    doc = import_psd(tmp_path / "official.psd")
    values = [lay.depth_value for lay in doc.layers]
    assert values[0] == 1.0 and values[-1] == 0.0
    assert values == sorted(values, reverse=True)
    assert all(lay.depth is None for lay in doc.layers)


def test_import_groups_and_empty_layer(tmp_path):
    psd = PSDImage.new("RGBA", (64, 64), depth=8)
    psd.create_pixel_layer(Image.fromarray(blob(20, 20, (200, 0, 0), 1), "RGBA"), name="topwear", top=30, left=10)
    group = psd.create_group(name="head")
    group.create_pixel_layer(Image.fromarray(blob(16, 16, (0, 200, 0), 2), "RGBA"), name="face", top=5, left=5)
    group.create_pixel_layer(Image.fromarray(np.zeros((8, 8, 4), np.uint8), "RGBA"), name="objects", top=0, left=0)
    hidden = psd.create_group(name="extras")
    hidden.create_pixel_layer(Image.fromarray(blob(10, 10, (0, 0, 200), 3), "RGBA"), name="front hair-0", top=1)
    hidden.visible = False
    psd.save(tmp_path / "groups.psd")
    doc = import_psd(tmp_path / "groups.psd")
    assert [lay.name for lay in doc.layers] == ["topwear", "face", "front hair-0"]
    assert [lay.tag for lay in doc.layers] == ["topwear", "face", "front hair"]
    assert doc.layers[2].visible is False and doc.layers[1].visible is True
    assert any("objects" in w and "empty" in w for w in doc.metadata["import_warnings"])
    assert "head" in doc.layers[1].provenance
    assert set(doc.metadata["psd_groups"].values()) == {"head", "extras"}


@pytest.mark.parametrize("mode,depth", [("RGBA", 16), ("LA", 8), ("CMYK", 8)])
def test_import_non_rgb8_psd_is_converted(tmp_path, mode, depth):
    psd = PSDImage.new(mode, (48, 40), depth=depth)
    im = Image.fromarray(blob(20, 24, (220, 30, 30), 0), "RGBA")
    im = im.convert("LA") if mode == "LA" else im.convert("CMYK") if mode == "CMYK" else im
    psd.create_pixel_layer(im, name="topwear", top=4, left=6)
    psd.save(tmp_path / "m.psd")
    doc = import_psd(tmp_path / "m.psd")
    assert len(doc.layers) == 1
    layer = doc.layers[0]
    assert layer.rgba.dtype == np.uint8 and layer.rgba.shape == (20, 24, 4) and layer.offset == (6, 4)
    assert doc.metadata["import_warnings"]  # the conversion is reported
    r, g, b, a = (int(v) for v in layer.rgba[10, 12])
    if mode == "LA":
        assert r == g == b
    else:
        assert r > 150 and g < 90 and b < 90
    if mode != "CMYK":  # psd-tools creates CMYK layers without a transparency channel
        assert int(layer.rgba[0, 0, 3]) == 0 and a == 255


def test_corrupt_psd(tmp_path):
    export_psd(make_doc(), tmp_path / "ok.psd", companions=False)
    data = (tmp_path / "ok.psd").read_bytes()
    (tmp_path / "cut.psd").write_bytes(data[:300])
    with pytest.raises(BadInput, match="cut.psd"):
        import_psd(tmp_path / "cut.psd")
    (tmp_path / "junk.psd").write_bytes(b"8BPS" + bytes(range(256)) * 4)
    with pytest.raises(BadInput):
        import_psd(tmp_path / "junk.psd")
    (tmp_path / "text.psd").write_text("hello")
    with pytest.raises(BadInput, match="not a PSD"):
        import_psd(tmp_path / "text.psd")
    with pytest.raises(BadInput, match="no such file"):
        import_psd(tmp_path / "missing.psd")


def test_png_folder_export_and_reopen(tmp_path):
    doc = make_doc(with_empty=True)
    out = export_png_folder(doc, tmp_path / "layers")
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["name"] for e in manifest["layers"]] == [lay.name for lay in doc.layers]
    assert (out / "composite.png").is_file()
    for entry, layer in zip(manifest["layers"], doc.layers, strict=True):
        assert entry["bbox"] == list(layer.bbox) and entry["offset"] == list(layer.offset)
        assert entry["visible"] == layer.visible and entry["order"] == doc.layers.index(layer)
        np.testing.assert_array_equal(np.asarray(Image.open(out / entry["file"])), layer.rgba)
        depth16 = np.asarray(Image.open(out / entry["depth_file"]))
        assert depth16.dtype in (np.uint16, np.int32) and depth16.shape == layer.rgba.shape[:2]
    assert entry["file"].startswith("05_")
    back = open_document(out)
    assert [lay.name for lay in back.layers] == [lay.name for lay in doc.layers]
    for a, b in zip(doc.layers, back.layers, strict=True):
        np.testing.assert_array_equal(a.rgba, b.rgba)
        np.testing.assert_allclose(a.depth_or_constant(), b.depth, atol=1e-4)
    # re-export over an existing folder replaces it atomically
    save_document(make_doc(), tmp_path / "layers")
    assert len(json.loads((out / "manifest.json").read_text())["layers"]) == len(make_doc().layers)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layers"]


def test_import_skips_adjustment_layers_with_warning(tmp_path):
    # psd-tools cannot author text layers; an adjustment layer can be made by tagging a layer record with the
    # Invert / Posterize blocks, which is how Photoshop marks them (psd-tools reads them back as adjustments).
    psd = PSDImage.new("RGBA", (48, 48), depth=8)
    psd.create_pixel_layer(Image.fromarray(blob(20, 20, (200, 0, 0), 1), "RGBA"), name="topwear", top=4, left=4)
    inv = psd.create_pixel_layer(Image.fromarray(blob(8, 8, (9, 9, 9), 2), "RGBA"), name="Invert 1")
    inv.tagged_blocks.set_data(Tag.INVERT)
    post = psd.create_pixel_layer(Image.fromarray(blob(8, 8, (9, 9, 9), 3), "RGBA"), name="Posterize 1")
    post.tagged_blocks.set_data(Tag.POSTERIZE, 4)
    psd.save(tmp_path / "adj.psd")
    assert [lay.kind for lay in PSDImage.open(tmp_path / "adj.psd")] == ["pixel", "invert", "posterize"]
    doc = import_psd(tmp_path / "adj.psd")
    assert [lay.name for lay in doc.layers] == ["topwear"]
    warnings = doc.metadata["import_warnings"]
    assert any("Invert 1" in w and "adjustment" in w for w in warnings)
    assert any("Posterize 1" in w for w in warnings)


def test_unicode_and_duplicate_names(tmp_path):
    doc = with_layer(make_doc(), 0, name="前髪 front hair")  # not MacRoman-encodable: psd-tools' raw writer fails
    doc = with_layer(doc, 2, name="topwear")  # a duplicate of layers[1]
    export_psd(doc, tmp_path / "u.psd")
    names = [lay.name for lay in PSDImage.open(tmp_path / "u.psd")]
    assert names[0] == "前髪 front hair" and names[1] == "topwear" and names[2] == "topwear#2"
    meta = json.loads((tmp_path / "u.psd.json").read_text(encoding="utf-8"))
    assert list(meta["parts"]) == names
    back = import_psd(tmp_path / "u.psd")
    assert [lay.name for lay in back.layers] == names
    assert back.layers[2].tag == "topwear"
    assert back.layers[2].depth_value == pytest.approx(doc.layers[2].depth_value)
