"""`seethrough-gui live2d …`: the Live2D data engine from the command line (no Qt).

    live2d info MODEL [--json] [--size 512]
    live2d label MODEL [--seeds DIR] [-o labels.json] [--json]        (cli.live2d_label)
    live2d export MODEL -o DIR [--poses default|FILE] [--size 1024] [--labels FILE] [--tags v3|v2]
                  [--frame content|canvas] [--margin 0.05] [--background R,G,B]
    live2d psd MODEL -o out.psd [--labels FILE] [--size 1024] [--pose FILE --pose-name NAME]
    live2d batch ROOT -o DATASET [--resume] [--workers N] [--engine local|ray] …    (cli.live2d_batch)
Without `--labels`, the automatic labelling rules label the model in memory.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seethrough.cli import print_json
from seethrough.cli.arg_types import MARGIN_RANGE, SIZE_RANGE, margin, render_size
from seethrough.cli.live2d_batch import add_batch_command
from seethrough.cli.live2d_label import add_label_command
from seethrough.cli.outputs import add_force, check_outputs

_SIZE = f"{SIZE_RANGE[0]}–{SIZE_RANGE[1]}"


def register(sub: argparse._SubParsersAction) -> None:
    live2d = sub.add_parser("live2d", help="Live2D models: inspect, label, export datasets and PSDs")
    actions = live2d.add_subparsers(dest="live2d_command", metavar="ACTION", required=True)
    p = actions.add_parser("info", help="ArtMeshes and the part tree of a model")
    p.add_argument("model", help=".model3.json (Cubism 3+), .model.json (Cubism 2) or the folder holding one")
    p.add_argument("--json", action="store_true")
    p.add_argument("--size", type=render_size, default=512,
                   help=f"long side of the render used to measure areas (px, {_SIZE})")
    p.set_defaults(func=run_info)
    add_label_command(actions)
    p = actions.add_parser("export", help="render labelled poses into a training dataset")
    p.add_argument("model", help=".model3.json (Cubism 3+), .model.json (Cubism 2) or the folder holding one")
    p.add_argument("-o", "--output", required=True, type=Path, help="the dataset folder (new, or one to add to)")
    p.add_argument("--poses", default="default", help="'default' (9 head angles) or a JSON pose list")
    p.add_argument("--size", type=render_size, default=1024, help=f"long side of the rendered canvas ({_SIZE})")
    p.add_argument("--labels", type=Path, help="label file (default: automatic labels)")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3")
    p.add_argument("--frame", choices=("content", "canvas"), default="content",
                   help="fit the labelled character over all poses (default) or the model's whole canvas")
    p.add_argument("--margin", type=margin, default=0.05,
                   help=f"empty border, a fraction of --size ({MARGIN_RANGE[0]}–{MARGIN_RANGE[1]})")
    p.add_argument("--background", default="255,255,255", help="R,G,B behind composite_rgb.png")
    p.add_argument("--split", choices=("auto", "model", "pose", "train", "val", "test"), default="auto",
                   help="auto (default): per pose while the dataset holds fewer than 10 models, per model after; "
                        "model / pose: re-split the whole dataset that way; train / val / test: put these samples "
                        "there")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_export)
    p = actions.add_parser("psd", help="a ground-truth See-through PSD (one layer per tag, depth companions)")
    p.add_argument("model", help=".model3.json (Cubism 3+), .model.json (Cubism 2) or the folder holding one")
    p.add_argument("-o", "--output", required=True, type=Path, help="out.psd (+ _depth.psd and .psd.json)")
    p.add_argument("--labels", type=Path, help="label file (default: automatic labels)")
    p.add_argument("--size", type=render_size, default=1024, help=f"long side of the rendered canvas ({_SIZE})")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3")
    add_force(p)
    p.add_argument("--pose", type=Path, help="a pose list (JSON); with --pose-name, which pose (default: first)")
    p.add_argument("--pose-name")
    p.set_defaults(func=run_psd)
    add_batch_command(actions)


def model_labels(model: Any, labels_path: Path | None, tagset: str) -> dict[str, str]:
    """Tags per ArtMesh id: from a label file (of this model: its identity is checked as in Annotate), or from the
    automatic rules (excluded parts left out)."""
    from seethrough.annotation.auto_label import from_live2d, label_automatically
    from seethrough.annotation.labels import LabelSet, read_label_file
    from seethrough.annotation.model_identity import model_identity

    ids = tuple(m.id for m in model.artmeshes)
    if labels_path is not None:
        from seethrough.core.errors import BadInput

        if not labels_path.exists():
            raise BadInput(f"label file not found: {labels_path}")  # a FIFO or a folder: the reader says so
        labels = read_label_file(labels_path, ids, model_identity(model), tagset).labels
        return {k: v for k, v in labels.tags().items() if v}
    empty = LabelSet(ids, taxonomy_version=tagset)
    result = label_automatically(from_live2d(model), empty, tagset=tagset, live=model)
    excluded = set(result.report.excluded)
    return {k: v for k, v in empty.with_changes(result.changes).tags().items() if v and k not in excluded}


def run_info(args: argparse.Namespace) -> int:
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.render import mesh_areas

    model = load_model(Path(args.model))
    areas = mesh_areas(model, args.size)
    meshes = [{"id": m.id, "name": m.name, "part": m.part_id, "part_path": list(m.part_path),
               "draw_order": m.draw_order, "render_order": m.render_order, "opacity": round(m.opacity, 4),
               "visible": bool(m.visible_flag and m.opacity > 0), "texture": m.texture_index,
               "masks": list(m.mask_ids), "blend": m.blend_mode, "area": areas[m.id][0],
               "visible_area": areas[m.id][1]} for m in model.artmeshes]
    if args.json:
        print_json({"model": str(model.path), "cubism": model.version, "canvas": list(model.canvas_size),
                    "area_canvas_long_side": args.size, "artmeshes": meshes, "parts": model.part_tree(),
                    "parameters": [p.__dict__ for p in model.parameters], "warnings": list(model.warnings)})
        return 0
    print(f"{model.path.name} (Cubism {model.version}): {len(meshes)} ArtMeshes, {len(model.parts)} parts, "
          f"{len(model.parameters)} parameters")
    for warning in model.warnings:
        print(f"  warning: {warning}")
    for m in sorted(model.artmeshes, key=lambda m: m.render_order):
        print(f"  {m.render_order:4d} {m.id:<24} {areas[m.id][0]:>7d} px  {'/'.join(m.part_path)}")
    return 0


def _background(text: str) -> tuple[int, int, int]:
    from seethrough.core.errors import BadInput

    try:
        rgb = tuple(int(v) for v in text.split(","))
    except ValueError:
        rgb = ()
    if len(rgb) != 3 or not all(0 <= v <= 255 for v in rgb):
        raise BadInput(f"--background must be R,G,B with values 0..255, not {text!r}")
    return rgb


def run_export(args: argparse.Namespace) -> int:
    from seethrough.annotation.dataset import export_dataset
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.poses import check_poses, default_poses, load_poses
    from seethrough.core.errors import BadInput

    if args.output.exists() and not args.output.is_dir():
        raise BadInput(f"{args.output}: exists and is not a folder")
    from seethrough.cli.outputs import clean_output_folders

    clean_output_folders(args.output)  # a killed export's temp files, before this one starts
    background = _background(args.background)
    model = load_model(Path(args.model))
    labels = model_labels(model, args.labels, args.tags)
    if args.poses == "default":
        poses = default_poses(model)
    else:
        poses = load_poses(Path(args.poses))
        check_poses(model, poses)
    out = export_dataset(model, labels, args.output, poses, size=args.size, tagset=args.tags,
                         background=background, frame=args.frame, margin=args.margin,
                         split=args.split)
    from seethrough.core.dataset_layout import read_dataset
    from seethrough.core.dataset_split import describe

    index = read_dataset(out)
    splits = {s.id: s.split for s in index.samples}
    message = describe(index.split_by, splits, len({s.model for s in index.samples}))
    if args.json:
        counts = {name: sum(v == name for v in splits.values()) for name in ("train", "val", "test")}
        print_json({"output": str(out), "samples": len(poses), "tags": sorted(set(labels.values())),
                    "split_by": index.split_by, "splits": counts, "message": message})
    else:
        print(f"{out}: {len(poses)} sample(s) of {model.name} written; {message}")
    return 0


def run_psd(args: argparse.Namespace) -> int:
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.poses import check_poses, load_poses
    from seethrough.annotation.to_document import live2d_document
    from seethrough.core.errors import BadInput
    from seethrough.core.io.psd_export import export_psd

    check_outputs(args.output, args.force, suffixes=(".psd",))
    model = load_model(Path(args.model))
    pose = None
    if args.pose is not None:
        poses = dict(load_poses(args.pose))
        name = args.pose_name or next(iter(poses))
        if name not in poses:
            raise BadInput(f"{args.pose} has no pose {name!r} (it has {', '.join(poses)})")
        check_poses(model, [(name, poses[name])])
        pose = poses[name]
    doc = live2d_document(model, model_labels(model, args.labels, args.tags), size=args.size, pose=pose)
    del model  # its cached raster of every fragment (GBs at --size 8192) is not needed for the export
    for path in export_psd(doc, args.output):
        print(path)
    return 0
