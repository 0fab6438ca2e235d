"""Layer subcommands of `seethrough-gui`: info, composite, stratify, lrsplit, export, sample.

FILE is anything `core.io.open_any.open_document` opens (image, PSD with its companions, .stproj, PNG folder) or
the word `sample` for the built-in sample character. Outputs follow the `-o` extension: `.psd`, `.stproj`, `.png`
(the composite) or a folder of PNG layers. Every edit goes through the document's command history, exactly as in
the GUI. Heavy modules are imported inside the commands so that `--help` and the GUI start stay fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from seethrough.cli import EXIT_OK, print_json
from seethrough.cli.outputs import add_force, check_outputs
from seethrough.cli.params import add_params, values_from_args
from seethrough.core.io.formats import output_suffixes
from seethrough.core.operations import Operation, commit, layer_ref
from seethrough.core.operations.splits import LeftRightSplit, Stratify

#: what `-o` may be for the commands that write a document (the format registry's writable extensions)
DOCUMENT_OUTPUTS = output_suffixes()

if TYPE_CHECKING:
    from seethrough.core.document import Document, Layer

SAMPLE_WORD = "sample"


def register(sub: argparse._SubParsersAction) -> None:
    info = sub.add_parser("info", help="list the layers of a file (name, tag, bbox, depth)")
    info.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    info.add_argument("--json", action="store_true", help="print a JSON object")
    info.set_defaults(func=_info)

    comp = sub.add_parser("composite", help="composite the layers into one PNG")
    comp.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    comp.add_argument("-o", "--output", required=True, help="output .png")
    comp.add_argument("--mode", choices=("stack", "depth", "zbuffer"), default="stack",
                      help="stack: layer order; depth: by representative depth; zbuffer: per-pixel depth")
    add_force(comp)
    comp.set_defaults(func=_composite)

    strat = sub.add_parser("stratify", help="split layers into depth strata with K-Means (<tag>-0 nearest)")
    strat.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    strat.add_argument("-o", "--output", required=True, help="output .psd, .stproj, .png or folder")
    strat.add_argument("--tags", help="comma-separated tags (default: the stratify-by-default tags in the file)")
    add_params(strat, Stratify, skip=("layer", "thresholds"))
    strat.add_argument("--json", action="store_true", help="print what was split as JSON")
    add_force(strat)
    strat.set_defaults(func=_stratify)

    lr = sub.add_parser("lrsplit", help="split layers into right/left parts (<tag>-r, <tag>-l)")
    lr.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    lr.add_argument("-o", "--output", required=True, help="output .psd, .stproj, .png or folder")
    lr.add_argument("--tags", required=True, help="comma-separated tags, e.g. handwear,ears")
    lr.add_argument("--json", action="store_true", help="print what was split as JSON")
    add_force(lr)
    lr.set_defaults(func=_lrsplit)

    exp = sub.add_parser("export", help="write a layered PSD (+ See-through companions) or a folder of PNGs")
    exp.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    exp.add_argument("-o", "--output", required=True, help="out.psd, out.stproj or out_dir/")
    exp.add_argument("--groups", action="store_true", help="PSD: group the layers into head/body")
    exp.add_argument("--no-companions", action="store_true", help="PSD: skip <name>_depth.psd and <name>.psd.json")
    add_force(exp)
    exp.set_defaults(func=_export)

    smp = sub.add_parser("sample", help="write the built-in sample character")
    smp.add_argument("-o", "--output", required=True, help="sample.psd, sample.stproj, sample.png or dir/")
    add_force(smp)
    smp.set_defaults(func=_sample)


# --- helpers ------------------------------------------------------------------------------------------------------
def load(file: str) -> Document:
    """Open FILE, or build the sample for the word 'sample' (unless a file of that name exists)."""
    if file == SAMPLE_WORD and not os.path.exists(file):
        from seethrough.core.sample import build_sample_document

        return build_sample_document()
    from seethrough.core.io.open_any import open_document

    return open_document(file)  # import warnings (e.g. companions of another export) are logged to stderr


def save(doc: Document, output: str, groups: bool = False, companions: bool = True, force: bool = False) -> list[Path]:
    """Write in the format the output names (core.io.formats: .psd with options, .stproj, .png composite, folder).
    An existing output is replaced only with `force` (`cli.outputs`)."""
    from seethrough.core.io.formats import format_for_writing, write_document

    check_outputs(output, force, companions=companions, suffixes=DOCUMENT_OUTPUTS)
    options: dict = {}
    if format_for_writing(output).key == "psd":
        from seethrough.cli.terminal import Progress

        with Progress(f"writing {Path(output).name}") as progress:  # on a terminal only (1000 layers: a minute)
            return write_document(doc, output, groups=groups, companions=companions, progress=progress.steps)
    return write_document(doc, output, **options)


def layer_summary(layer: Layer) -> dict:
    return {
        "name": layer.name,
        "tag": layer.tag,
        "bbox": list(layer.bbox),
        "depth": round(float(layer.depth_value), 4),
        "visible": bool(layer.visible),
        "opacity": round(float(layer.opacity), 4),
        "blend_mode": layer.blend_mode,
    }


def _parse_tags(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _layers_with_tags(doc: Document, tags: list[str]) -> list[Layer]:
    from seethrough.core.errors import BadInput
    from seethrough.core.taxonomy import base_tag

    wanted = set(tags)
    layers = [layer for layer in doc.layers if (layer.tag or base_tag(layer.name)) in wanted or layer.name in wanted]
    if not layers:
        present = sorted({layer.tag for layer in doc.layers if layer.tag})
        raise BadInput(f"no layer with tag {', '.join(tags)} (tags present: {', '.join(present) or 'none'})")
    return layers


# --- commands -----------------------------------------------------------------------------------------------------
def _info(args: argparse.Namespace) -> int:
    doc = load(args.file)
    rows = [layer_summary(layer) for layer in doc.layers]
    if args.json:
        print_json({"file": args.file, "canvas": [doc.width, doc.height], "layers": rows})
        return EXIT_OK
    print(f"{args.file}: {doc.width}×{doc.height}, {len(rows)} layers (bottom = farthest first)")
    print(f"{'#':>3}  {'name':<20} {'tag':<12} {'bbox':<24} {'depth':>6}  {'vis':>3} {'opac':>5}")
    for i, row in enumerate(rows):
        bbox = ",".join(str(v) for v in row["bbox"])
        vis = "yes" if row["visible"] else "no"
        print(f"{i:>3}  {row['name']:<20} {row['tag'] or '-':<12} {bbox:<24} {row['depth']:>6.3f}  "
              f"{vis:>3} {row['opacity']:>5.2f}")
    return EXIT_OK


def _composite(args: argparse.Namespace) -> int:
    from seethrough.core.compositing import composite
    from seethrough.core.errors import BadInput
    from seethrough.core.io.images import save_png

    out = Path(args.output)
    if out.suffix.lower() != ".png":
        raise BadInput(f"{out.name}: composite writes a .png")
    check_outputs(out, args.force)
    doc = load(args.file)
    save_png(out, composite(doc, mode=args.mode))
    print(out)
    return EXIT_OK


def _stratify(args: argparse.Namespace) -> int:
    """One `stratify` operation per layer with the tags, as the GUI's Apply split does for the current layer."""
    from seethrough.core.errors import BadInput
    from seethrough.core.operations.splits import NothingToSplit
    from seethrough.core.taxonomy import base_tag, taxonomy

    check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)
    doc = load(args.file)
    settings = values_from_args(Stratify, args, skip=("layer", "thresholds"))
    Stratify(layer="-", **settings)  # the options are refused before any work, as in the GUI
    tags = _parse_tags(args.tags)
    defaulted = not tags
    if defaulted:
        defaults = taxonomy().stratify_by_default
        tags = sorted({layer.tag for layer in doc.layers if layer.tag and base_tag(layer.tag) in defaults})
        if not tags:
            raise BadInput("no layer with a stratify-by-default tag; name the layers with --tags")
    targets = _layers_with_tags(doc, tags)
    if defaulted:  # a default batch leaves locked layers alone; naming one with --tags is refused (LayerLocked)
        targets = [layer for layer in targets if not layer.locked]
    for layer in targets:
        if layer.depth is None:
            raise BadInput(f"layer {layer.name!r} has no per-pixel depth map to stratify")
    ops = [Stratify(layer=layer_ref(doc, layer.uid), **settings) for layer in targets]
    report = _perform_splits(doc, targets, ops, skip=NothingToSplit)
    return _finish(args, doc, report, save(doc, args.output, force=args.force))


def _lrsplit(args: argparse.Namespace) -> int:
    """One `lr-split` operation per layer with the tags, as the GUI's Split left/right."""
    check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)
    doc = load(args.file)
    targets = _layers_with_tags(doc, _parse_tags(args.tags))
    ops = [LeftRightSplit(layer=layer_ref(doc, layer.uid)) for layer in targets]
    report = _perform_splits(doc, targets, ops)
    return _finish(args, doc, report, save(doc, args.output, force=args.force))


def _perform_splits(doc: Document, targets: list[Layer], ops: Sequence[Operation],
                    skip: type[Exception] | None = None) -> list[dict]:
    """Perform each operation in turn (the notes go to stderr); what each split its layer into. A `skip` error
    (a layer with one depth value) leaves that layer as it is."""
    report = []
    for layer, op in zip(targets, ops, strict=True):
        before = {x.uid for x in doc.layers}
        try:
            planned = op.plan(doc.snapshot())
        except Exception as exc:
            if skip is not None and isinstance(exc, skip):
                continue
            raise
        for note in planned.notes:
            print(f"seethrough-gui: note: {note}", file=sys.stderr)
        commit(doc, doc.snapshot(), op, planned)
        report.append({"layer": layer.name, "tag": layer.tag,
                       "into": [x.name for x in doc.layers if x.uid not in before]})
    return report


def _finish(args: argparse.Namespace, doc: Document, report: list[dict], written: list[Path]) -> int:
    if getattr(args, "json", False):
        print_json({"written": [str(p) for p in written], "split": report,
                    "layers": [layer_summary(layer) for layer in doc.layers]})
    else:
        for entry in report:
            print(f"{entry['layer']} → {', '.join(entry['into'])}")
        for path in written:
            print(path)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    check_outputs(args.output, args.force, companions=not args.no_companions, suffixes=DOCUMENT_OUTPUTS)
    doc = load(args.file)
    for path in save(doc, args.output, groups=args.groups, companions=not args.no_companions, force=args.force):
        print(path)
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from seethrough.core.sample import build_sample_document

    check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)
    for path in save(build_sample_document(), args.output, force=args.force):
        print(path)
    return EXIT_OK

