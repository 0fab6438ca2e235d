"""`seethrough-gui live2d …`: the Live2D data engine from the command line (no Qt).

    live2d info MODEL [--json]
    live2d label MODEL [--seeds DIR] [-o labels.json] [--json]        (app.cli.live2d_label)
    live2d export MODEL -o DIR [--poses default|FILE] [--size 1024] [--labels FILE] [--tags v3|v2]
    live2d psd MODEL -o out.psd [--labels FILE] [--size 1024]
Without `--labels`, the automatic labelling rules label the model in memory.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from app.cli import print_json
from app.cli.live2d_label import add_label_command


def register(sub: argparse._SubParsersAction) -> None:
    live2d = sub.add_parser("live2d", help="Live2D models: inspect, label, export datasets and PSDs")
    actions = live2d.add_subparsers(dest="live2d_command", metavar="ACTION", required=True)
    p = actions.add_parser("info", help="ArtMeshes and the part tree of a model")
    p.add_argument("model")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_info)
    add_label_command(actions)
    p = actions.add_parser("export", help="render labelled poses into a training dataset")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.add_argument("--poses", default="default", help="'default' (9 head angles) or a JSON pose list")
    p.add_argument("--size", type=int, default=1024, help="long side of the rendered canvas")
    p.add_argument("--labels", type=Path, help="label file (default: automatic labels)")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_export)
    p = actions.add_parser("psd", help="a ground-truth See-through PSD (one layer per tag, depth companions)")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True, type=Path)
    p.add_argument("--labels", type=Path)
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--tags", choices=("v3", "v2"), default="v3")
    p.set_defaults(func=run_psd)


def model_labels(model: Any, labels_path: Path | None, tagset: str) -> dict[str, str]:
    """Tags per ArtMesh id: from a label file, or from the automatic rules (excluded parts left out)."""
    from annotation.auto_label import auto_label, from_live2d
    from annotation.labels import LabelStore

    ids = [m.id for m in model.artmeshes]
    if labels_path is not None:
        from core.errors import BadInput

        if not labels_path.is_file():
            raise BadInput(f"label file not found: {labels_path}")
        return {k: v for k, v in LabelStore.open(labels_path, ids, taxonomy_version=tagset).tags().items() if v}
    with tempfile.TemporaryDirectory() as tmp:
        store = LabelStore.open(Path(tmp) / "labels.json", ids, taxonomy_version=tagset)
        report = auto_label(from_live2d(model), store, tagset=tagset)
        excluded = set(report.excluded)
        return {k: v for k, v in store.tags().items() if v and k not in excluded}


def run_info(args: argparse.Namespace) -> int:
    from annotation.loader import load_model

    model = load_model(Path(args.model))
    meshes = [{"id": m.id, "name": m.name, "part": m.part_id, "part_path": list(m.part_path),
               "draw_order": m.draw_order, "render_order": m.render_order, "opacity": round(m.opacity, 4),
               "texture": m.texture_index, "masks": list(m.mask_ids)} for m in model.artmeshes]
    if args.json:
        print_json({"model": str(model.path), "canvas": list(model.canvas_size), "artmeshes": meshes,
                    "parts": model.part_tree(), "parameters": [p.__dict__ for p in model.parameters]})
        return 0
    print(f"{model.path.name}: {len(meshes)} ArtMeshes, {len(model.parts)} parts, {len(model.parameters)} parameters")
    for m in sorted(meshes, key=lambda m: m["render_order"]):
        print(f"  {m['render_order']:4d} {m['id']:<24} {'/'.join(m['part_path'])}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from annotation.dataset import export_dataset
    from annotation.loader import load_model
    from annotation.poses import default_poses, load_poses

    model = load_model(Path(args.model))
    labels = model_labels(model, args.labels, args.tags)
    poses = default_poses(model) if args.poses == "default" else load_poses(Path(args.poses))
    out = export_dataset(model, labels, args.output, poses, size=args.size, tagset=args.tags)
    if args.json:
        print_json({"output": str(out), "samples": len(poses), "tags": sorted(set(labels.values()))})
    return 0


def run_psd(args: argparse.Namespace) -> int:
    from annotation.dataset import live2d_document
    from annotation.loader import load_model
    from core.io.psd_export import export_psd

    model = load_model(Path(args.model))
    doc = live2d_document(model, model_labels(model, args.labels, args.tags), size=args.size)
    export_psd(doc, args.output)
    return 0
