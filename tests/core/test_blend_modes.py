"""Blend modes survive a PSD round trip and composite like Photoshop: multiply, screen, overlay, darken, lighten
and linear dodge (add) with their opacity and fill are imported, drawn within 1/255 of GIMP's merge of the same PSD
(where GIMP is installed), of psd-tools' compositor and of the blend formulas, written back on export and kept in
projects; a mode the compositor does not draw is kept, drawn as normal, and warned about once."""

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from psd_tools import PSDImage
from psd_tools.constants import BlendMode

from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.errors import BadInput
from seethrough.core.io.project import load_project, save_project
from seethrough.core.io.psd_export import export_psd
from seethrough.core.io.psd_import import import_psd

W, H = 48, 40
MODES = ["multiply", "screen", "overlay", "darken", "lighten", "linear_dodge"]

#: the PDF / W3C separable blend functions B(Cb, Cs), written out independently of core.blending
FORMULAS = {
    "multiply": lambda b, s: b * s,
    "screen": lambda b, s: b + s - b * s,
    "overlay": lambda b, s: np.where(b <= 0.5, 2 * b * s, 1 - 2 * (1 - b) * (1 - s)),
    "darken": np.minimum,
    "lighten": np.maximum,
}


def _random_rgba(rng, h, w, opaque=False):
    arr = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    if opaque:
        arr[..., 3] = 255
    return arr


def _make_psd(path, rng, modes, opaque=False, opacity=200, fill=255):
    psd = PSDImage.new("RGBA", (W, H), depth=8)
    base = _random_rgba(rng, H, W, opaque)
    psd.create_pixel_layer(Image.fromarray(base, "RGBA"), name="base", top=0, left=0, opacity=255)
    tops = {}
    for mode in modes:
        arr = _random_rgba(rng, 30, 36, opaque)
        layer = psd.create_pixel_layer(Image.fromarray(arr, "RGBA"), name=mode, top=5, left=4, opacity=opacity)
        layer.blend_mode = BlendMode[mode.upper()]
        if fill != 255:
            layer.fill_opacity = fill
        tops[mode] = arr
    psd.save(path)
    return base, tops


def _psd_tools_composite(path):
    return np.asarray(PSDImage.open(path).composite(force=True).convert("RGBA")).astype(int)


def _max_colour_difference(ours, ref):
    seen = ref[..., 3] > 0  # colour under alpha 0 means nothing
    diff = np.abs(ours.astype(int) - ref)
    return int(diff[..., :3][seen].max()), int(diff[..., 3].max())


def test_import_reads_each_mode_opacity_and_fill(tmp_path):
    path = tmp_path / "modes.psd"
    _make_psd(path, np.random.default_rng(1), MODES, opacity=200, fill=128)
    doc = import_psd(path)
    assert [(layer.name, layer.blend_mode) for layer in doc.layers] == [("base", "normal")] + [(m, m) for m in MODES]
    for layer in doc.layers[1:]:
        assert layer.opacity == pytest.approx(200 / 255 * 128 / 255)
    assert not doc.metadata["import_warnings"]


GIMP = shutil.which("gimp-console-2.10") or shutil.which("gimp-console")


def _gimp_merge(psd: Path, png: Path) -> np.ndarray:
    script = (f'(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "{psd}" "in"))) '
              f"(layer (car (gimp-image-merge-visible-layers image CLIP-TO-IMAGE)))) "
              f'(file-png-save2 RUN-NONINTERACTIVE image layer "{png}" "out" 0 9 0 0 0 0 0 0 1))')
    subprocess.run([GIMP, "-i", "-d", "-f", "-b", script, "-b", "(gimp-quit 0)"], capture_output=True, timeout=300,
                   env={**os.environ, "HOME": str(psd.parent)})
    if not png.exists():
        pytest.skip("GIMP could not run here")
    return np.asarray(Image.open(png).convert("RGBA")).astype(int)


@pytest.mark.skipif(GIMP is None, reason="GIMP is not installed (apt install gimp)")
def test_composite_matches_gimp_within_one_level(tmp_path):
    path = tmp_path / "modes.psd"
    _make_psd(path, np.random.default_rng(7), MODES, opacity=200)  # random alphas in every layer, the base too
    colour, alpha = _max_colour_difference(composite(import_psd(path)), _gimp_merge(path, tmp_path / "gimp.png"))
    assert colour <= 1 and alpha <= 1


@pytest.mark.parametrize("fill", [255, 100])
def test_composite_matches_psd_tools_compositor(tmp_path, fill):
    # psd-tools mixes linear dodge's clipped sum in by alpha, where GIMP and Photoshop add the alpha-weighted
    # source; it is compared with GIMP and the formula instead
    path = tmp_path / "modes.psd"
    _make_psd(path, np.random.default_rng(2), MODES[:-1], opacity=180, fill=fill)  # random alphas everywhere
    colour, alpha = _max_colour_difference(composite(import_psd(path)), _psd_tools_composite(path))
    assert colour <= 1 and alpha <= 1


@pytest.mark.parametrize("mode", MODES)
def test_each_mode_follows_the_formula_on_opaque_pixels(mode):
    rng = np.random.default_rng(3)
    base, top = _random_rgba(rng, H, W, opaque=True), _random_rgba(rng, H, W, opaque=True)
    doc = Document((W, H), [Layer("base", base), Layer("top", top, blend_mode=mode, opacity=0.6)])
    b, s = base[..., :3] / 255.0, top[..., :3] / 255.0
    if mode == "linear_dodge":  # Add: the source weighted by its alpha is added to the backdrop
        expected = np.rint(np.minimum(b + 0.6 * s, 1.0) * 255)
    else:
        expected = np.rint((0.4 * b + 0.6 * FORMULAS[mode](b, s)) * 255)
    ours = composite(doc)
    assert np.abs(ours[..., :3].astype(int) - expected).max() <= 1
    assert (ours[..., 3] == 255).all()
    normal = composite(Document((W, H), [Layer("base", base), Layer("top", top, opacity=0.6)]))
    assert np.abs(ours.astype(int) - normal).max() > 40  # the mode really changes the picture


def test_export_writes_the_modes_back_and_reimport_agrees(tmp_path):
    source = tmp_path / "modes.psd"
    _make_psd(source, np.random.default_rng(4), MODES)
    doc = import_psd(source)
    out = tmp_path / "again.psd"
    export_psd(doc, out)
    written = PSDImage.open(out)
    assert [str(layer.blend_mode.name).lower() for layer in written] == ["normal", *MODES]
    again = import_psd(out)
    assert [layer.blend_mode for layer in again.layers] == [layer.blend_mode for layer in doc.layers]
    assert np.abs(composite(again).astype(int) - composite(doc)).max() <= 1


def test_unsupported_mode_is_kept_drawn_as_normal_and_warned_once(tmp_path):
    path = tmp_path / "burn.psd"
    rng = np.random.default_rng(5)
    _make_psd(path, rng, ["color_burn", "multiply"])
    doc = import_psd(path)
    burn = doc.find("color_burn")
    assert burn.blend_mode == "color_burn"
    warnings = [w for w in doc.metadata["import_warnings"] if "blend mode" in w]
    assert len(warnings) == 1 and "'color_burn'" in warnings[0] and "color burn" in warnings[0]
    as_normal = Document(doc.size, [layer.copy(blend_mode="normal") if layer is burn else layer for layer in doc])
    assert np.array_equal(composite(doc), composite(as_normal))
    out = tmp_path / "kept.psd"
    export_psd(doc, out)
    assert [str(layer.blend_mode.name).lower() for layer in PSDImage.open(out)] == ["normal", "color_burn",
                                                                                   "multiply"]


def test_projects_keep_the_mode(tmp_path):
    rng = np.random.default_rng(6)
    doc = Document((W, H), [Layer("base", _random_rgba(rng, H, W)),
                            Layer("shade", _random_rgba(rng, H, W), blend_mode="multiply"),
                            Layer("odd", _random_rgba(rng, H, W), blend_mode="hue")])
    save_project(doc, tmp_path / "p.stproj")
    loaded = load_project(tmp_path / "p.stproj")
    assert [layer.blend_mode for layer in loaded.layers] == ["normal", "multiply", "hue"]
    assert np.array_equal(composite(loaded), composite(doc))


def test_psd_to_png_folder_to_psd_keeps_every_mode(tmp_path):
    """Issue 22: the PNG-folder export dropped blend modes, so PSD → folder → PSD turned them all to normal."""
    from seethrough.cli import run

    source = tmp_path / "modes.psd"
    _make_psd(source, np.random.default_rng(7), [*MODES, "color_burn"])
    assert run(["export", str(source), "-o", f"{tmp_path / 'layers'}/"]) == 0
    assert run(["export", str(tmp_path / "layers"), "-o", str(tmp_path / "again.psd")]) == 0
    written = PSDImage.open(tmp_path / "again.psd")
    assert [str(layer.blend_mode.name).lower() for layer in written] == ["normal", *MODES, "color_burn"]
    assert np.abs(composite(import_psd(tmp_path / "again.psd")).astype(int) - composite(import_psd(source))).max() <= 1


def test_an_unknown_mode_in_a_project_is_one_line_naming_file_and_layer(tmp_path):
    import json
    import zipfile

    doc = Document((W, H), [Layer("shade", np.full((H, W, 4), 90, np.uint8), blend_mode="multiply")])
    good = tmp_path / "p.stproj"
    save_project(doc, good)
    bad = tmp_path / "bad.stproj"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "project.json":
                manifest = json.loads(data)
                manifest["layers"][0]["blend_mode"] = "sparkle"
                data = json.dumps(manifest).encode()
            dst.writestr(item, data)
    with pytest.raises(BadInput) as info:
        load_project(bad)
    assert str(info.value).startswith("bad.stproj: layer 'shade': unknown blend mode 'sparkle'")


def test_info_reports_each_layers_mode(tmp_path):
    import json
    import sys

    path = tmp_path / "modes.psd"
    _make_psd(path, np.random.default_rng(8), ["multiply", "color_burn"])
    result = subprocess.run([sys.executable, str(Path(__file__).resolve().parents[2] / "main.py"), "info", str(path),
                             "--json"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert [row["blend_mode"] for row in json.loads(result.stdout)["layers"]] == ["normal", "multiply", "color_burn"]
