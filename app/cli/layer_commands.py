"""Headless layer commands: info, composite, stratify, lrsplit, export, sample.

FILE is an image, a PSD (with its See-through companion files when present), a `.stproj` project, a PNG-folder
export, or the word `sample` (the built-in character). The output format follows `-o`: `.psd`, `.stproj`,
`.png` (the composite) or a folder (PNG layers + manifest).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli import print_json

SAMPLE = "sample"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", help="list the layers of a file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_info)

    p = sub.add_parser("composite", help="composite the layers into one PNG")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--mode", choices=("stack", "depth", "zbuffer"), default="stack")
    p.set_defaults(func=run_composite)

    p = sub.add_parser("stratify", help="split layers into depth strata with K-Means")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--tags", help="comma-separated tags or layer names (default: hair, handwear, topwear, …)")
    p.add_argument("--k", type=int, default=2, help="number of strata per layer (default 2)")
    p.add_argument("--inpaint", default="opencv", help="inpainter for uncovered regions: opencv | none")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_stratify)

    p = sub.add_parser("lrsplit", help="split layers into the character's right (-r) and left (-l)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--tags", required=True, help="comma-separated tags or layer names")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_lrsplit)

    p = sub.add_parser("export", help="export to a layered PSD (+ companions), a project or a PNG folder")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--groups", action="store_true", help="PSD: group layers into head/body")
    p.add_argument("--no-companions", action="store_true", help="PSD: skip <name>_depth.psd and <name>.psd.json")
    p.set_defaults(func=run_export)

    p = sub.add_parser("sample", help="write the built-in sample character")
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=run_sample)


def open_input(file: str):  # noqa: ANN201 - a Document
    if file == SAMPLE:
        from core.sample import build_sample_document

        return build_sample_document()
    from core.io.open_any import open_document

    return open_document(Path(file))


def save_output(doc, output: str, groups: bool = False, companions: bool = True) -> list[str]:  # noqa: ANN001
    path = Path(output)
    if path.suffix.lower() == ".psd":
        from core.io.psd_export import export_psd

        return [str(p) for p in export_psd(doc, path, groups=groups, companions=companions)]
    if path.suffix.lower() == ".png":
        from core.compositing import composite
        from core.io.images import save_png

        save_png(path, composite(doc))
        return [str(path)]
    from core.io.open_any import save_document

    return [str(p) for p in save_document(doc, path)]


def describe(doc) -> list[dict]:  # noqa: ANN001
    return [
        {"name": layer.name, "tag": layer.tag, "bbox": list(layer.bbox), "depth": round(float(layer.depth_value), 4),
         "visible": layer.visible, "opacity": layer.opacity}
        for layer in doc.layers
    ]


def _targets(doc, tags: str | None, default) -> list:  # noqa: ANN001
    """Layers named by `tags` (tag or exact layer name), or the layers `default(tag)` selects."""
    from core.errors import BadInput

    if tags:
        wanted = [t.strip() for t in tags.split(",") if t.strip()]
        chosen = [layer for layer in doc.layers if layer.tag in wanted or layer.name in wanted]
        if not chosen:
            raise BadInput(f"no layer has tag or name {', '.join(wanted)}")
        return chosen
    return [layer for layer in doc.layers if default(layer.tag)]


def run_info(args: argparse.Namespace) -> int:
    doc = open_input(args.file)
    layers = describe(doc)
    if args.json:
        print_json({"file": args.file, "canvas": list(doc.size), "layers": layers})
        return 0
    print(f"{args.file}: {doc.width}×{doc.height}, {len(layers)} layers (bottom to top)")
    for info in layers:
        x0, y0, x1, y1 = info["bbox"]
        flags = "" if info["visible"] else "  (hidden)"
        print(f"  {info['name']:<20} {info['tag'] or '-':<12} depth {info['depth']:.3f}  "
              f"box {x0},{y0}–{x1},{y1}{flags}")
    return 0


def run_composite(args: argparse.Namespace) -> int:
    from core.compositing import composite
    from core.io.images import save_png

    doc = open_input(args.file)
    save_png(Path(args.output), composite(doc, mode=args.mode))
    return 0


def run_stratify(args: argparse.Namespace) -> int:
    from core.errors import BadInput
    from core.layer_ops import sort_by_depth_command
    from core.stratify import kmeans_thresholds, stratify_command
    from core.taxonomy import default_stratify

    if args.k < 2:
        raise BadInput("--k must be at least 2")
    doc = open_input(args.file)
    split = []
    with doc.history.transaction("stratify"):
        for layer in _targets(doc, args.tags, default_stratify):
            if layer.depth is None or len(kmeans_thresholds(layer, args.k)) == 0:
                continue  # no depth variation to split on
            before = {x.uid for x in doc.layers}
            doc.history.push(stratify_command(doc, layer.uid, k=args.k, inpaint=args.inpaint))
            split.append({"layer": layer.name, "into": [x.name for x in doc.layers if x.uid not in before]})
        doc.history.push(sort_by_depth_command(doc))
    written = save_output(doc, args.output)
    if args.json:
        print_json({"split": split, "layers": describe(doc), "written": written})
    return 0


def run_lrsplit(args: argparse.Namespace) -> int:
    import cv2

    from core.layer_ops import sort_by_depth_command
    from core.stratify import lr_split_command

    doc = open_input(args.file)
    split = []
    with doc.history.transaction("left/right split"):
        for layer in _targets(doc, args.tags, lambda tag: False):
            count, _ = cv2.connectedComponents(layer.mask.astype("uint8"), connectivity=8)
            if count - 1 < 2:
                continue  # one piece: nothing to split
            before = {x.uid for x in doc.layers}
            doc.history.push(lr_split_command(doc, layer.uid))
            split.append({"layer": layer.name, "into": [x.name for x in doc.layers if x.uid not in before]})
        doc.history.push(sort_by_depth_command(doc))
    written = save_output(doc, args.output)
    if args.json:
        print_json({"split": split, "layers": describe(doc), "written": written})
    return 0


def run_export(args: argparse.Namespace) -> int:
    doc = open_input(args.file)
    save_output(doc, args.output, groups=args.groups, companions=not args.no_companions)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from core.sample import build_sample_document

    save_output(build_sample_document(), args.output)
    return 0
