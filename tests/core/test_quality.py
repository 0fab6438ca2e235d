"""Quality checks: each defect planted in a small document is found, located, and repaired by its fix in one
undoable step; undo restores the document exactly."""

from __future__ import annotations

import numpy as np
import pytest

from seethrough.core.compositing import composite
from seethrough.core.document import Document, Layer
from seethrough.core.quality import fix_command, run_checks
from seethrough.core.sample import build_sample_document

W, H = 128, 128


def _rect(x0: int, y0: int, x1: int, y1: int, colour: tuple[int, int, int], **kw) -> Layer:
    rgba = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
    rgba[..., :3] = colour
    rgba[..., 3] = 255
    kw.setdefault("depth", np.full(rgba.shape[:2], kw.pop("d", 0.5), np.float32))
    kw.setdefault("depth_value", float(kw["depth"].flat[0]))
    return Layer(name=kw.pop("name"), rgba=rgba, offset=(x0, y0), **kw)


def _clean_layers() -> list[Layer]:
    """A little character, far → near: back hair, body, face, front hair."""
    return [
        _rect(30, 10, 98, 80, (90, 50, 20), name="back hair", tag="back hair", d=0.9),
        _rect(40, 60, 88, 120, (40, 160, 60), name="topwear", tag="topwear", d=0.6),
        _rect(44, 20, 84, 64, (250, 215, 180), name="face", tag="face", d=0.4),
        _rect(44, 20, 84, 32, (190, 120, 60), name="front hair", tag="front hair", d=0.2),
    ]


def _doc(layers: list[Layer], source_layers: list[Layer] | None = None) -> Document:
    source = composite(source_layers or layers, (W, H))
    return Document((W, H), layers, source=source)


def _state(doc: Document) -> list[tuple]:
    return [(layer.uid, layer.name, layer.offset, layer.visible, layer.rgba.tobytes()) for layer in doc.layers]


def _only(findings: list, check: str) -> list:
    return [f for f in findings if f.check == check]


def _apply_and_undo(doc: Document, finding, fix: str | None = None) -> None:
    before = _state(doc)
    doc.history.push(fix_command(doc, finding, fix))
    after = run_checks(doc)
    assert not [f for f in after if f.check == finding.check and f.message == finding.message]
    doc.history.undo()
    assert _state(doc) == before
    doc.history.redo()


def test_a_clean_document_has_no_findings() -> None:
    assert run_checks(_doc(_clean_layers())) == []


def test_empty_layer_found_and_deleted() -> None:
    layers = _clean_layers()
    empty = Layer(name="objects", rgba=np.zeros((0, 0, 4), np.uint8), tag="objects")
    doc = _doc([*layers, empty], layers)
    (finding,) = _only(run_checks(doc), "empty")
    assert finding.layers == (empty.uid,) and finding.fixes[0] == "delete"
    _apply_and_undo(doc, finding)
    assert empty.uid not in [layer.uid for layer in doc.layers]


def test_sliver_found_located_and_merged_into_its_neighbour() -> None:
    layers = _clean_layers()
    sliver = _rect(50, 70, 80, 71, (40, 160, 60), name="topwear-1", tag="topwear", d=0.6)  # a 1 px line
    doc = _doc([*layers[:2], sliver, *layers[2:]], layers)
    (finding,) = _only(run_checks(doc), "sliver")
    assert finding.box == (50, 70, 80, 71)
    _apply_and_undo(doc, finding, "merge")
    names = [layer.name for layer in doc.layers]
    assert "topwear-1" not in names and names.count("topwear") == 1
    assert np.array_equal(composite(doc), doc.source)  # merging the sliver changed nothing visible


def test_hole_found_at_its_place_and_filled_with_the_input_colours() -> None:
    layers = _clean_layers()
    torso = layers[1]
    holed = torso.rgba.copy()
    holed[40:50, 20:30, 3] = 0  # canvas x 60..70, y 100..110: nothing else covers it
    doc = _doc([layers[0], Layer(name="topwear", rgba=holed, offset=torso.offset, tag="topwear", depth=torso.depth,
                                 depth_value=0.6), *layers[2:]], layers)
    (finding,) = _only(run_checks(doc), "hole")
    assert finding.box == (60, 100, 70, 110) and finding.data["area"] == 100
    _apply_and_undo(doc, finding)
    assert np.array_equal(composite(doc), doc.source)
    assert doc.find("topwear").bbox == torso.bbox  # the neighbour that received the pixels is the torso


def test_content_outside_the_silhouette_is_clipped() -> None:
    layers = _clean_layers()
    stray = layers[1].rgba
    wide = np.zeros((60, 80, 4), np.uint8)
    wide[:, :48] = stray
    wide[10:20, 60:80] = (40, 160, 60, 255)  # canvas x 100..120: outside everything
    doc = _doc([layers[0], Layer(name="topwear", rgba=wide, offset=(40, 60), tag="topwear",
                                 depth=np.full((60, 80), 0.6, np.float32), depth_value=0.6), *layers[2:]], layers)
    (finding,) = _only(run_checks(doc), "outside")
    assert finding.box == (100, 70, 120, 80)
    _apply_and_undo(doc, finding)
    assert np.array_equal(composite(doc), doc.source)


def test_a_region_that_does_not_reconstruct_the_input_is_located() -> None:
    layers = _clean_layers()
    wrong = layers[1].rgba.copy()
    wrong[30:50, 10:30, :3] = (255, 0, 255)  # canvas x 50..70, y 90..110
    doc = _doc([layers[0], Layer(name="topwear", rgba=wrong, offset=(40, 60), tag="topwear"), *layers[2:]], layers)
    (finding,) = _only(run_checks(doc), "reconstruction")
    x0, y0, x1, y1 = finding.box
    assert 44 <= x0 <= 52 and 84 <= y0 <= 92 and 68 <= x1 <= 76 and 108 <= y1 <= 116
    assert finding.fixes == ("redecompose",) and layers[1].uid not in finding.layers  # the new layer is named
    with pytest.raises(Exception, match="layer model"):
        fix_command(doc, finding)


def test_front_hair_below_the_face_is_an_order_conflict_fixed_by_reordering() -> None:
    layers = _clean_layers()
    doc = _doc([layers[0], layers[1], layers[3], layers[2]], layers)  # front hair drawn under the face
    conflicts = _only(run_checks(doc), "order")
    assert conflicts and conflicts[0].layers == (layers[3].uid, layers[2].uid)
    assert conflicts[0].box == (44, 20, 84, 32)
    _apply_and_undo(doc, conflicts[0])
    assert [layer.name for layer in doc.layers][-1] == "front hair"
    assert np.array_equal(composite(doc), doc.source)


def test_a_hand_drawn_behind_the_torso_but_nearer_is_found_from_depth() -> None:
    layers = _clean_layers()
    hand = _rect(60, 80, 100, 100, (250, 200, 170), name="handwear", tag="handwear", d=0.3)  # nearer than torso
    correct = [*layers, hand]
    doc = _doc([layers[0], hand, *layers[1:]], correct)  # but drawn below the torso
    (finding,) = [f for f in _only(run_checks(doc), "order") if hand.uid in f.layers]
    assert finding.layers == (hand.uid, layers[1].uid) and finding.fixes == ("reorder",)
    _apply_and_undo(doc, finding)
    assert np.array_equal(composite(doc), doc.source)


def test_a_failed_left_right_split_is_found_and_resplit_on_the_face_axis() -> None:
    layers = _clean_layers()
    hands = np.zeros((20, 100, 4), np.uint8)
    hands[:, :20] = (250, 200, 170, 255)
    hands[:, 80:] = (250, 200, 170, 255)
    right = Layer(name="handwear-r", rgba=hands, offset=(14, 90), tag="handwear")
    left = Layer(name="handwear-l", rgba=np.zeros((0, 0, 4), np.uint8), tag="handwear")
    doc = _doc([*layers, right, left], [*layers, right])
    (finding,) = _only(run_checks(doc), "lr-split")
    assert "left side empty" in finding.message and finding.fixes[0] == "resplit"
    _apply_and_undo(doc, finding)
    sides = {layer.name: layer for layer in doc.layers if layer.name.startswith("handwear-")}
    assert set(sides) == {"handwear-r", "handwear-l"}
    assert sides["handwear-r"].bbox == (14, 90, 34, 110) and sides["handwear-l"].bbox == (94, 90, 114, 110)


def test_a_hard_cut_with_nothing_under_it_is_found_and_the_layer_below_extended() -> None:
    # the torso is cut in two at y = 90 (as a stratification would), with nothing under the upper part's edge
    upper = _rect(40, 60, 88, 90, (40, 160, 60), name="topwear-0", tag="topwear", d=0.5)
    lower = _rect(40, 90, 88, 120, (30, 140, 50), name="topwear-1", tag="topwear", d=0.6)
    layers = [lower, upper]
    doc = _doc(layers)
    cuts = [f for f in _only(run_checks(doc), "exposed-cut") if f.layers == (upper.uid,)]
    assert cuts, "the cut edge of the upper stratum must be reported"
    assert any(f.box[3] == 90 and f.box[1] >= 60 for f in cuts)  # the band just above the cut line
    bottom_edge = next(f for f in cuts if f.box[3] == 90)
    _apply_and_undo(doc, bottom_edge)
    extended = doc.find("topwear-1")
    assert extended.bbox[1] < 90  # the lower layer now reaches under the cut
    assert np.array_equal(composite(doc), doc.source)  # and nothing visible changed


def test_check_and_fix_repairs_the_sandwich_sample_until_no_finding_is_left() -> None:
    doc = build_sample_document(tucked_locks=True)
    findings = run_checks(doc)
    assert {f.check for f in findings} >= {"order", "reconstruction"}  # its front hair is in front of AND behind
    for _ in range(20):
        fixable = [f for f in findings if f.fixes[0] != "redecompose"]
        if not fixable:
            break
        doc.history.push(fix_command(doc, fixable[0]))
        findings = run_checks(doc)
    assert not _only(findings, "reconstruction") and not _only(findings, "order")
