"""Operations (core.operations): declared parameters with their limits, the operation log, and the rule that a
planned command is applied only if what it read is unchanged."""

from __future__ import annotations

import typing

import numpy as np
import pytest

from seethrough.core.errors import BadInput, NewerSchema
from seethrough.core.operations import (
    OPERATIONS,
    Stale,
    commit,
    history_log,
    log_json,
    parse_log,
    parse_operation,
    perform,
    resolve_layer,
)
from seethrough.core.operations.params import params_of
from seethrough.core.operations.registry import _load_all
from seethrough.core.operations.splits import Stratify
from seethrough.core.sample import build_sample_document

_load_all()


def _example(p) -> object:
    """A legal value for a parameter (its default, or something of its type within its limits)."""
    if not p.required:
        return p.default
    choices = p.choices
    if choices:
        return choices[0]
    base = p.base
    if base is bool:
        return True
    if base in (int, float):
        return base(p.spec.lo if p.spec.lo is not None else 0)
    if typing.get_origin(base) is tuple:
        return ()
    return "face"


#: required parameters that depend on each other (a stroke needs points, a select a shape and what it needs)
EXAMPLES = {
    "stroke": {"layer": "face", "tool": "paint", "points": ((10.0, 10.0, 1.0),)},
    "select": {"shape": "rect", "box": (0.0, 0.0, 10.0, 10.0)},
    "selection": {"action": "delete", "layer": "face"},
    "redecompose-region": {"box": (0, 0, 10, 10)},
}


def _required(cls) -> dict:
    return EXAMPLES.get(cls.op) or {p.name: _example(p) for p in params_of(cls) if p.required}


def _numeric(cls) -> list:
    return [p for p in params_of(cls) if p.base in (int, float) and (p.spec.lo is not None or p.spec.hi is not None)]


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_declares_itself(name):
    cls = OPERATIONS[name]
    assert cls.op == name and cls.title
    for p in params_of(cls):
        assert p.spec.help, f"{name}.{p.name} has no help"


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_limit_is_accepted_and_one_past_it_refused_with_the_range(name):
    cls = OPERATIONS[name]
    base = _required(cls)
    for p in _numeric(cls):
        step = 1 if p.base is int else 1e-6
        for limit, past in ((p.spec.lo, -step), (p.spec.hi, step)):
            if limit is None:
                continue
            ok = cls(**{**base, p.name: p.base(limit)})
            assert getattr(ok, p.name) == limit
            with pytest.raises(BadInput) as refused:
                cls(**{**base, p.name: p.base(limit + past)})
            assert str(refused.value).startswith(f"{p.name}: ") and p.range_text() in str(refused.value)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_json_round_trip(name):
    cls = OPERATIONS[name]
    op = cls(**_required(cls))
    again = parse_operation(op.to_json())
    assert again == op and type(again) is cls


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"op": "stratify", "layer": "face", "k": 9}, "operations[0].k: 9 is out of range (must be between 2 and 8)"),
        ({"op": "stratify", "layer": "face", "kk": 2}, "operations[0].kk: unknown parameter"),
        ({"op": "stratify", "k": 2}, "operations[0].layer: missing"),
        ({"op": "stratify", "layer": "face", "k": "2"}, "operations[0].k: '2' is not a whole number"),
        ({"op": "stratify", "layer": "face", "k": 2.0}, "operations[0].k: 2.0 is not a whole number"),
        ({"op": "opacity", "layer": "face", "value": float("nan")}, "operations[0].value: nan is not a finite"),
        ({"op": "stratify", "layer": "face", "inpaint": "magic"}, "operations[0].inpaint: 'magic' is not one of"),
        ({"op": "stratify", "layer": "face", "k": 3, "thresholds": [0.5]}, "thresholds: 1 boundaries make 2"),
        ({"op": "explode"}, "operations[0].op: unknown operation 'explode'"),
        ({"layer": "face"}, "operations[0].op: missing"),
        ("stratify", "operations[0]: expected an object"),
    ],
)
def test_a_bad_log_entry_is_refused_with_its_path(entry, message):
    with pytest.raises(BadInput) as refused:
        parse_log({"format": "seethrough-operations", "version": 1, "operations": [entry]})
    assert message in str(refused.value)


def test_the_log_format_is_versioned():
    with pytest.raises(NewerSchema):
        parse_log({"format": "seethrough-operations", "version": 99, "operations": []})
    with pytest.raises(BadInput, match="format"):
        parse_log({"format": "something-else", "version": 1, "operations": []})
    with pytest.raises(BadInput, match="surprise: unknown key"):
        parse_log({"format": "seethrough-operations", "version": 1, "operations": [], "surprise": 1})


def _content(doc) -> list:
    return [(x.name, x.tag, x.offset, x.opacity, x.visible, x.depth_value, x.rgba.tobytes(),
             None if x.depth is None else x.depth.tobytes()) for x in doc.layers]


def test_the_history_log_replays_to_the_same_document():
    doc = build_sample_document()
    for op in (Stratify(layer="front hair", k=2), parse_operation({"op": "lr-split", "layer": "handwear"}),
               parse_operation({"op": "rename", "layer": "face", "name": "skin"}),
               parse_operation({"op": "opacity", "layer": "skin", "value": 0.4}),
               parse_operation({"op": "opacity", "layer": "skin", "value": 0.6}),  # merges with the one before
               parse_operation({"op": "merge-down", "layer": "nose"})):
        perform(doc, op)
    log, warnings = history_log(doc.history)
    assert warnings == []
    assert [e["op"] for e in log["operations"]] == ["stratify", "lr-split", "rename", "opacity", "merge-down"]
    assert log["operations"][3]["value"] == 0.6  # the merged step's final value
    again = build_sample_document()
    for op in parse_log(log):
        perform(again, op)
    assert _content(again) == _content(doc)


def test_undone_steps_are_not_in_the_log_and_foreign_commands_are_named():
    from seethrough.core.commands import SetLayerProperty

    doc = build_sample_document()
    perform(doc, parse_operation({"op": "rename", "layer": "face", "name": "skin"}))
    perform(doc, parse_operation({"op": "rename", "layer": "skin", "name": "face again"}))
    doc.history.undo()
    doc.history.push(SetLayerProperty(doc.layers[0].uid, "visible", False, text="Hide by hand"))
    log, warnings = history_log(doc.history)
    assert [e["name"] for e in log["operations"]] == ["skin"]
    assert warnings == ["“Hide by hand” is not a replayable operation and is not in the log"]


def test_a_result_is_applied_only_if_what_it_read_is_unchanged():
    doc = build_sample_document()
    op = Stratify(layer="front hair", k=2)
    snapshot = doc.snapshot()
    planned = op.plan(snapshot)
    hair = resolve_layer(doc, "front hair")
    perform(doc, parse_operation({"op": "opacity", "layer": "front hair", "value": 0.5}))  # edited meanwhile
    before = _content(doc)
    with pytest.raises(Stale, match="front hair"):
        commit(doc, snapshot, op, planned)
    assert _content(doc) == before and resolve_layer(doc, "front hair").uid == hair.uid
    # an edit elsewhere does not matter
    snapshot = doc.snapshot()
    planned = op.plan(snapshot)
    perform(doc, parse_operation({"op": "opacity", "layer": "face", "value": 0.5}))
    commit(doc, snapshot, op, planned)
    assert resolve_layer(doc, "front hair-0").tag == "front hair"


def test_layers_are_named_from_the_top_or_by_uid():
    doc = build_sample_document()
    perform(doc, parse_operation({"op": "duplicate", "layer": "face"}))
    perform(doc, parse_operation({"op": "rename", "layer": "face copy", "name": "face"}))
    faces = [x for x in doc.layers if x.name == "face"]
    assert len(faces) == 2
    top = max(faces, key=lambda x: doc.index_of(x.uid))
    assert resolve_layer(doc, "face") is top
    bottom = min(faces, key=lambda x: doc.index_of(x.uid))
    assert resolve_layer(doc, bottom.uid) is bottom
    with pytest.raises(BadInput, match="no layer named 'nobody'"):
        resolve_layer(doc, "nobody")


def test_log_json_keeps_only_what_differs_from_the_defaults():
    entry = log_json([Stratify(layer="face", k=2, inpaint="opencv")])["operations"][0]
    assert entry == {"op": "stratify", "layer": "face"}
    assert np.isclose(parse_operation({"op": "depth", "layer": "face", "value": 1}).value, 1.0)
