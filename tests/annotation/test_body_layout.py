"""Body-layout rules on a synthetic full figure (measured features, as the renderer gives them): the face found
under named eyes when nothing names it, the character apart from a floating plate, a full figure with its legs
together, trousers against tights, tall boots, and arms against open coat halves. Real models: test_label_accuracy.py.
"""

from __future__ import annotations

import numpy as np

from seethrough.annotation.body_layout import (
    arm_pair_rule,
    body_rule,
    estimate_layout,
    face_under_eyes,
    main_body,
    position_rule,
)
from seethrough.annotation.layout_seeds import layout_assign
from seethrough.annotation.mesh_features import MeshFeatures

SKIN = (80.0, 10.0, 15.0)
DARK = (20.0, 2.0, -8.0)
CLOTH = (30.0, 5.0, -20.0)
H, W = 600, 200


def _f(mid: str, order: int, box: tuple[int, int, int, int], lab=CLOTH, visible: float = 1.0) -> MeshFeatures:
    x0, y0, x1, y1 = box
    area = (x1 - x0) * (y1 - y0)
    return MeshFeatures(mid, order, box, ((x0 + x1) / 2, (y0 + y1) / 2), area, int(visible * area), lab)


def _figure(**overrides: MeshFeatures) -> dict[str, MeshFeatures]:
    """Face 40×50 (chin at y 90, axis x 100), feet at y 600: eleven face heights, legs together."""
    meshes = [
        _f("hair", 0, (70, 20, 130, 120), DARK),
        _f("face", 1, (80, 40, 120, 90), SKIN),
        _f("eyeL", 2, (86, 60, 96, 66), DARK),
        _f("eyeR", 3, (104, 60, 114, 66), DARK),
        _f("neck", 4, (92, 85, 108, 100), SKIN),
        _f("torso", 5, (70, 95, 130, 250)),
        _f("armL", 6, (40, 100, 60, 260)),
        _f("armR", 7, (140, 100, 160, 260)),
        _f("legL", 8, (75, 260, 99, 560)),
        _f("legR", 9, (101, 260, 125, 560)),
        _f("shoeL", 10, (70, 540, 99, 600), DARK),
        _f("shoeR", 11, (101, 540, 130, 600), DARK),
    ]
    features = {f.id: f for f in meshes}
    features.update(overrides)
    return features


KNOWN = {"hair": "hair", "eyeL": "eyes", "eyeR": "eyes", "neck": "neck", "torso": "topwear", "armL": "topwear",
         "armR": "topwear", "legL": "topwear", "legR": "topwear", "shoeL": "topwear", "shoeR": "topwear"}


def _silhouette(features: dict[str, MeshFeatures]) -> np.ndarray:
    sil = np.zeros((H, W), bool)
    for f in features.values():
        x0, y0, x1, y1 = f.box
        sil[y0:y1, x0:x1] = True
    return sil


def test_the_face_is_found_under_the_named_eyes_when_nothing_names_it() -> None:
    features = _figure()
    assert face_under_eyes(features, KNOWN).id == "face"  # not the back hair, whose box holds the eyes too
    rules = layout_assign(features, KNOWN, {}, _silhouette(features))
    assert rules["face"] == ("face", 0.65, "face-shape")
    fur = _figure(face=_f("face", 1, (80, 40, 120, 90), (90.0, -5.0, -10.0)))  # cool white: fur, not skin
    assert face_under_eyes(fur, KNOWN) is None
    late = _figure(face=_f("face", 12, (80, 40, 120, 90), SKIN))  # drawn over the eyes: not the face under them
    assert face_under_eyes(late, KNOWN) is None


def test_a_plate_apart_from_the_character_is_neither_its_extent_nor_its_body() -> None:
    features = _figure(plate=_f("plate", 12, (160, 570, 198, 590), (60.0, 20.0, -10.0)))
    sil = _silhouette(features)
    body = main_body(sil)
    assert body[300, 90] and not body[580, 180]  # the legs stay, the plate goes
    lay = estimate_layout(features, {**KNOWN, "face": "face"}, sil)
    assert lay.extent[2] <= 130
    assert position_rule(features["plate"], lay) == ("objects", 0.3, "off-body")


def test_a_full_figure_with_its_legs_together_gets_the_lower_body_rules() -> None:
    features = _figure()
    lay = estimate_layout(features, {**KNOWN, "face": "face"}, _silhouette(features))
    assert not lay.cut  # the silhouette stays wide down to the feet, but it is eleven face heights tall
    assert body_rule(features["legL"], lay)[0] == "bottomwear"  # trousers: from the hips, seen whole
    assert body_rule(features["shoeL"], lay)[0] == "footwear"
    tights = _f("legL", 8, (75, 260, 99, 560), visible=0.5)  # the same leg, its top hidden under a skirt
    assert body_rule(tights, lay)[0] == "legwear"
    boot = _f("shoeL", 10, (70, 460, 99, 600), DARK)  # a tall boot: a quarter of the figure below the chin
    assert body_rule(boot, lay)[0] == "footwear"


def test_arms_pair_up_but_open_coat_halves_do_not() -> None:
    features = _figure()
    lay = estimate_layout(features, {**KNOWN, "face": "face"}, _silhouette(features))
    body = list(features.values())
    assert arm_pair_rule(features["armL"], lay, body) == ("handwear", 0.6, "arm-pair")
    coat = [_f("coatL", 12, (70, 92, 94, 300)), _f("coatR", 13, (106, 92, 130, 300))]  # from the collar, close
    assert arm_pair_rule(coat[0], lay, body + coat) is None
