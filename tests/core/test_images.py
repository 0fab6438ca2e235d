"""Image loading: every odd input either converts to RGBA uint8 or raises a clear BadInput subclass."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from seethrough.core.errors import BadInput, ImageTooLarge, UnsupportedFormat
from seethrough.core.io.atomic import atomic_write_bytes, atomic_writer
from seethrough.core.io.images import load_image, save_png


def _rgba(h: int = 40, w: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(h, w, 4), dtype=np.uint8)


def test_png_rgba_round_trip(tmp_path):
    arr = _rgba()
    save_png(tmp_path / "a.png", arr)
    out = load_image(tmp_path / "a.png")
    assert out.dtype == np.uint8 and out.shape == (40, 64, 4)
    np.testing.assert_array_equal(out, arr)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temp file left


def test_missing_file(tmp_path):
    with pytest.raises(BadInput, match="no such file"):
        load_image(tmp_path / "nope.png")


def test_truncated_png(tmp_path):
    path = tmp_path / "t.png"
    save_png(path, _rgba(128, 128))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadInput, match="t.png"):
        load_image(path)


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "t.jpg"
    Image.fromarray(_rgba(128, 128)[..., :3]).save(path, quality=90)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(BadInput):
        load_image(path)


def test_corrupt_header_png(tmp_path):
    path = tmp_path / "c.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    with pytest.raises(BadInput, match="corrupt"):
        load_image(path)


def test_unsupported_type(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("just some text, not an image\n" * 5)
    with pytest.raises(UnsupportedFormat):
        load_image(path)


def test_16bit_grayscale_png_scaled(tmp_path):
    arr16 = (np.arange(64 * 64, dtype=np.uint32).reshape(64, 64) * 16).astype(np.uint16)
    Image.fromarray(arr16).save(tmp_path / "g16.png")
    out = load_image(tmp_path / "g16.png")
    assert out.shape == (64, 64, 4) and out.dtype == np.uint8
    expected = np.clip(np.rint(arr16 / 257.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(out[..., 0], expected)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    assert (out[..., 3] == 255).all()


def test_16bit_rgba_png(tmp_path):
    # a real 16-bit RGBA PNG, written with OpenCV (Pillow cannot write one)
    cv2 = pytest.importorskip("cv2")
    arr = np.zeros((32, 48, 4), np.uint16)
    arr[..., 2] = 65535  # red in BGRA order
    arr[..., 3] = 32896  # ~ 128/255
    assert cv2.imwrite(str(tmp_path / "c16.png"), arr)
    out = load_image(tmp_path / "c16.png")
    assert out.dtype == np.uint8
    assert tuple(out[0, 0]) == (255, 0, 0, 128)


def test_grayscale_and_gray_alpha(tmp_path):
    g = np.tile(np.arange(64, dtype=np.uint8) * 4, (32, 1))
    Image.fromarray(g, "L").save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    np.testing.assert_array_equal(out[..., 1], g)
    assert (out[..., 3] == 255).all()
    la = np.stack([g, 255 - g], -1)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    out = load_image(tmp_path / "la.png")
    np.testing.assert_array_equal(out[..., 0], g)
    np.testing.assert_array_equal(out[..., 3], 255 - g)


def test_palette_with_trns(tmp_path):
    idx = np.zeros((20, 30), np.uint8)
    idx[5:15, 5:25] = 1
    im = Image.fromarray(idx, "P")
    im.putpalette([0, 0, 0, 10, 200, 30] + [0] * (256 * 3 - 6))
    im.save(tmp_path / "p.png", transparency=0)  # palette index 0 transparent (tRNS chunk)
    out = load_image(tmp_path / "p.png")
    assert tuple(out[0, 0])[3] == 0
    assert tuple(out[10, 10]) == (10, 200, 30, 255)


def test_cmyk_jpeg(tmp_path):
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=95)  # pure red in CMYK
    assert Image.open(tmp_path / "c.jpg").mode == "CMYK"
    out = load_image(tmp_path / "c.jpg")
    assert out.shape == (30, 40, 4)
    r, g, b, a = (int(v) for v in out[15, 20])
    assert r > 200 and g < 60 and b < 60 and a == 255


def test_rgb_without_alpha(tmp_path):
    rgb = _rgba()[..., :3]
    Image.fromarray(rgb, "RGB").save(tmp_path / "rgb.png")
    out = load_image(tmp_path / "rgb.png")
    np.testing.assert_array_equal(out[..., :3], rgb)
    assert (out[..., 3] == 255).all()


def test_over_size_limit_parameter_and_env(tmp_path, monkeypatch):
    save_png(tmp_path / "big.png", _rgba(64, 64))
    with pytest.raises(ImageTooLarge, match="64×64"):
        load_image(tmp_path / "big.png", max_pixels=1000)
    monkeypatch.setenv("SEETHROUGH_MAX_PIXELS", "4000")
    with pytest.raises(ImageTooLarge):
        load_image(tmp_path / "big.png")
    monkeypatch.setenv("SEETHROUGH_MAX_PIXELS", "5000")
    assert load_image(tmp_path / "big.png").shape == (64, 64, 4)


def test_pillow_decompression_bomb_becomes_image_too_large(tmp_path, monkeypatch):
    save_png(tmp_path / "bomb.png", _rgba(64, 64))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow's own guard fires at open (> 2× its limit)
    with pytest.raises(ImageTooLarge):
        load_image(tmp_path / "bomb.png", max_pixels=10**9)


def test_atomic_writer_keeps_old_file_on_error(tmp_path):
    path = tmp_path / "doc.bin"
    atomic_write_bytes(path, b"old content")
    with pytest.raises(RuntimeError):
        with atomic_writer(path) as fh:
            fh.write(b"half of the new")
            raise RuntimeError("disk full")
    assert path.read_bytes() == b"old content"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.bin"]
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"


def test_save_png_failure_keeps_old_file(tmp_path):
    path = tmp_path / "x.png"
    save_png(path, _rgba(8, 8))
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_png(path, np.zeros((4, 4, 7), np.uint8))
    assert path.read_bytes() == before


def test_open_document_image_and_unknown(tmp_path):
    from seethrough.core.io.open_any import open_document, save_document

    arr = _rgba(30, 50)
    save_png(tmp_path / "hero.png", arr)
    doc = open_document(tmp_path / "hero.png")
    assert doc.size == (50, 30) and len(doc.layers) == 1
    assert doc.layers[0].name == "hero" and doc.layers[0].tag is None
    np.testing.assert_array_equal(doc.source, arr)
    np.testing.assert_array_equal(doc.layers[0].rgba, arr)
    Image.fromarray(arr[..., :3]).save(tmp_path / "hero.jpg")
    assert open_document(tmp_path / "hero.jpg").layers[0].rgba.shape == (30, 50, 4)
    (tmp_path / "thing.xyz").write_bytes(b"\x00\x01random")
    with pytest.raises(UnsupportedFormat):
        open_document(tmp_path / "thing.xyz")
    (tmp_path / "plain").mkdir()
    with pytest.raises(UnsupportedFormat):
        open_document(tmp_path / "plain")
    with pytest.raises(UnsupportedFormat):
        save_document(doc, tmp_path / "out.docx")
    with pytest.raises(ImageTooLarge):
        open_document(tmp_path / "hero.png", max_pixels=100)


def test_atomic_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from seethrough.core.io.atomic import atomic_write_bytes

    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
