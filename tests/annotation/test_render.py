"""The CPU rasteriser on the real fixture models: fragments, clipping, visibility masks, areas, colour maths,
poses, Cubism 2, and the per-tag document recompositing to the render (PSNR ≥ 40 dB). Skipped without fixtures."""

import cv2
import numpy as np
import pytest

from seethrough.core.paths import fixtures_dir

FIXTURES = fixtures_dir()
pytestmark = pytest.mark.skipif(not (FIXTURES / "Mark").is_dir(), reason=f"Live2D fixtures not found in {FIXTURES}")
FILES = {"Mark": "Mark/Mark.model3.json", "Haru": "Haru/Haru.model3.json", "Hiyori": "Hiyori/Hiyori.model3.json",
         "shizuku": "shizuku/shizuku.model.json"}


def _load(name):
    from seethrough.annotation.loader import load_model

    return load_model(FIXTURES / FILES[name])


def _shown(model):
    return [m for m in model.artmeshes if m.opacity > 0 and m.visible_flag]


@pytest.mark.parametrize("name", ["Mark", "shizuku"])
def test_fragments_non_empty_and_visibility_masks_disjoint(name):
    from seethrough.annotation.render import model_raster, render_composite, visibility_masks

    model = _load(name)
    raster = model_raster(model, 384)
    masks = visibility_masks(model, 384)
    assert set(masks) == {m.id for m in model.artmeshes}
    stacked = np.stack(list(masks.values())).astype(np.int32).sum(axis=0)
    assert stacked.max() == 1  # every pixel belongs to at most one fragment
    shown = _shown(model)
    blank = [m.id for m in shown if raster.full(m.id)[..., 3].max() <= 0.1]
    # only shizuku's hit-test reference meshes (D_REF.*, fully transparent texture) draw nothing
    assert all(mid.startswith("D_REF.") for mid in blank)
    empty = [m for m in shown if raster.crops[m.id][0].size == 0 or raster.crops[m.id][0][..., 3].max() <= 0.1]
    # only clipped meshes may vanish (Mark's eyelids lie outside the eye whites that clip them until a blink)
    assert all(m.mask_ids or m.id.startswith("D_REF.") for m in empty)
    nonempty = [m for m in shown if m not in empty]
    assert sum(masks[m.id].any() for m in nonempty) >= 0.8 * len(nonempty)
    hidden = [m for m in model.artmeshes if m not in shown]
    assert all(not masks[m.id].any() for m in hidden)
    # where the composite is clearly opaque, some fragment is the visible one
    opaque = render_composite(model, 384)[..., 3] > 128
    assert (stacked[opaque] == 1).mean() > 0.99


def test_fragments_recomposite_to_the_render_and_areas_add_up():
    from seethrough.annotation.render import mesh_areas, model_raster, render_composite, render_fragment

    model = _load("Mark")
    render = render_composite(model, 320).astype(np.float32) / 255.0
    acc = np.zeros(render.shape[:2] + (3,), np.float32)
    alpha = np.zeros(render.shape[:2] + (1,), np.float32)
    for mesh in sorted(model.artmeshes, key=lambda m: m.render_order):  # all "normal" blend in Mark
        frag = render_fragment(model, mesh.id, 320).astype(np.float32) / 255.0
        a = frag[..., 3:]
        acc = frag[..., :3] * a + acc * (1 - a)
        alpha = a + alpha * (1 - a)
    premul = render[..., :3] * render[..., 3:]
    assert np.abs(acc - premul).max() < 3 / 255 and np.abs(alpha - render[..., 3:]).max() < 3 / 255
    areas = mesh_areas(model, 320)
    raster = model_raster(model, 320)
    assert all(0 <= vis <= area for area, vis in areas.values())
    assert sum(vis for _, vis in areas.values()) == int((raster.top_mesh() >= 0).sum())
    face = max(areas, key=lambda k: areas[k][1])
    ys, xs = np.nonzero(raster.visibility_masks()[face])
    assert raster.alpha_at(face, int(xs[0]), int(ys[0])) > 0.1
    with pytest.raises(KeyError):
        render_fragment(model, "NoSuchMesh", 320)


def test_clipping_masks_restrict_fragments():
    from seethrough.annotation.render import model_raster

    model = _load("Mark")
    raster = model_raster(model, 384)
    clipped = [m for m in model.artmeshes if m.mask_ids and raster.crops[m.id][0].size]
    assert clipped
    for mesh in clipped:
        own = raster.fragments[mesh.id][..., 3]
        raw = raster.full(mesh.id)[..., 3]
        cover = np.zeros_like(own)
        for mid in mesh.mask_ids:
            cover = 1 - (1 - cover) * (1 - raster.full(mid, as_mask=True)[..., 3])
        expected = raw * (1 - cover if mesh.inverted_mask else cover)
        assert np.allclose(own, expected, atol=1e-5)
        assert own.sum() <= raw.sum() + 1e-3


def test_colours_and_blend_modes_follow_cubism_maths():
    """Mark has no multiply/screen colours or add/multiply meshes: set them on one real mesh and check the maths."""
    from seethrough.annotation.render import ModelRaster, fit_frame

    model = _load("Mark")
    frame = fit_frame(model, 256)
    base = ModelRaster(model, frame)

    def over_opaque(m):  # how much of the mesh lies over opaque pixels of the meshes drawn before it
        pixels, (x0, y0, x1, y1) = base.crops[m.id]
        if not pixels.size:
            return 0
        below = base.composite({o.id for o in model.artmeshes if o.render_order < m.render_order})
        return int(((below[y0:y1, x0:x1, 3] > 0.99) & (pixels[..., 3] > 0.5)).sum())

    mesh = max(_shown(model), key=over_opaque)
    pixels, box = base.crops[mesh.id]
    mesh.multiply_color, mesh.screen_color = (0.5, 0.5, 0.5), (0.0, 0.0, 0.0)
    half = ModelRaster(model, frame).crops[mesh.id][0]
    assert np.allclose(half[..., :3], pixels[..., :3] * 0.5, atol=1e-5)
    mesh.multiply_color, mesh.screen_color = (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)
    white = ModelRaster(model, frame).crops[mesh.id][0]
    covered = pixels[..., 3] > 0
    assert np.allclose(white[covered][:, :3], 1.0, atol=1e-5) and np.allclose(white[..., 3], pixels[..., 3])
    mesh.screen_color = (0.0, 0.0, 0.0)

    others = {m.id for m in model.artmeshes} - {mesh.id}
    below = base.composite({m.id for m in model.artmeshes if m.render_order < mesh.render_order})
    x0, y0, x1, y1 = box
    region = below[y0:y1, x0:x1]
    a = pixels[..., 3:]
    for blend in ("additive", "multiply"):
        mesh.blend_mode = blend
        raster = ModelRaster(model, frame)
        only = raster.composite({m.id for m in model.artmeshes if m.render_order <= mesh.render_order})[y0:y1, x0:x1]
        dst = region[..., :3] * region[..., 3:]
        expect = dst + pixels[..., :3] * a if blend == "additive" else dst * (1 - a + pixels[..., :3] * a)
        got = only[..., :3] * only[..., 3:]
        # the straight-alpha output can only hold added light where the destination is opaque
        solid = region[..., 3] > 0.99
        assert solid.sum() > 100
        err = np.abs(np.clip(expect, 0, 1)[solid] - got[solid])
        assert err.max() < 1e-2 and err.mean() < 1e-4, (blend, err.max())  # rgb/alpha is clipped at 1 when a < 1
        assert np.allclose(only[..., 3], region[..., 3], atol=1e-5)  # add/multiply never change alpha
    mesh.blend_mode = "normal"
    assert others


def test_pose_changes_the_render_and_the_cache_follows():
    from seethrough.annotation.render import render_composite

    model = _load("Mark")
    neutral = render_composite(model, 256)
    assert render_composite(model, 256) is not neutral  # a fresh array each call, from one cached raster
    model.set_parameters({"ParamAngleX": 21.0})
    model.update()
    turned = render_composite(model, 256)
    assert np.abs(turned.astype(int) - neutral.astype(int)).mean() > 0.5
    model.reset_parameters()
    model.update()
    assert np.array_equal(render_composite(model, 256), neutral)


def test_hiyori_render_shows_one_arm_variant_and_mips_avoid_aliasing():
    from seethrough.annotation.render import model_raster, render_composite

    model = _load("Hiyori")
    raster = model_raster(model, 256)
    arm_b = [m for m in model.artmeshes if "PartArmB" in m.part_path]
    arm_a = [m for m in model.artmeshes if "PartArmA" in m.part_path]
    assert arm_a and arm_b
    assert all(raster.crops[m.id][0].size == 0 for m in arm_b)
    assert any(raster.crops[m.id][0].size for m in arm_a)
    small = render_composite(model, 256).astype(np.float32)
    big = render_composite(model, 1024).astype(np.float32)
    down = cv2.resize(big, (small.shape[1], small.shape[0]), interpolation=cv2.INTER_AREA)

    def premul(x):
        return np.concatenate([x[..., :3] * x[..., 3:] / 255, x[..., 3:]], -1)

    assert np.abs(premul(down) - premul(small)).mean() < 3.0  # trilinear sampling ≈ the supersampled render


def test_content_frame_fits_the_character_with_a_margin():
    from seethrough.annotation.render import content_frame, fit_frame, render_composite

    model = _load("Hiyori")
    frame = content_frame(model, 256, margin=0.05)
    canvas = fit_frame(model, 256)
    assert max(frame.width, frame.height) == 256 and frame.width < 0.7 * canvas.width  # the empty sides are gone
    alpha = render_composite(model, frame)[..., 3]
    ys, xs = np.nonzero(alpha)
    margin = 0.05 * 256
    assert ys.min() >= margin - 2 and xs.min() >= margin - 2
    assert ys.min() <= margin + 3 or xs.min() <= margin + 3  # the tight side touches the margin


@pytest.mark.parametrize("name", ["Mark", "Haru", "Hiyori", "shizuku"])
def test_tag_layers_recomposite_to_the_render(name):
    """The document's tag layers, composited per pixel by their pseudo-depth, give back the model render."""
    from seethrough.annotation.to_document import live2d_document
    from seethrough.cli.live2d_commands import model_labels
    from seethrough.core.compositing import composite
    from seethrough.core.metrics import psnr

    model = _load(name)
    labels = model_labels(model, None, "v3")
    doc = live2d_document(model, labels, size=512)
    assert len(doc.layers) >= 8
    depths = [layer.depth_value for layer in doc.layers]
    assert depths == sorted(depths, reverse=True)  # far → near
    value = psnr(composite(doc, mode="zbuffer"), doc.source)
    print(f"{name}: tag layers vs render PSNR {value:.2f} dB")
    assert value >= 40.0
