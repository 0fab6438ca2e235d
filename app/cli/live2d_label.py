"""`seethrough-gui live2d label MODEL [--seeds DIR] [-o labels.json] [--json] [--tags v3|v2]`.

Runs the automatic labelling rules (`annotation.auto_label`) on a Live2D model and writes its label file
(default: `<model name>.labels.json` next to the model). Human labels already in the file are kept. With `--seeds`,
DIR holds one PNG per tag (`<tag>.png`, e.g. `front hair.png`, the size of the render) used as 2D seeds.
No Qt is imported.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput


def add_label_command(live2d_subparsers: Any) -> argparse.ArgumentParser:
    """Add `label` to the `live2d` subcommand's subparsers."""
    p = live2d_subparsers.add_parser("label", help="label every ArtMesh automatically and write the label file")
    p.add_argument("model", help=".model3.json (Cubism 3+) or .model.json (Cubism 2)")
    p.add_argument("--seeds", help="folder of per-tag PNG masks of the render (<tag>.png)")
    p.add_argument("-o", "--output", help="label file (default: <model>.labels.json next to the model)")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3", help="tag set (default v3, the released 23 tags)")
    p.set_defaults(func=run_label)
    return p


def moc_path(model_file: Path) -> Path | None:
    """The .moc3/.moc file a model settings file points to (None if it names none)."""
    try:
        data = json.loads(model_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadInput(f"cannot read model file {model_file}: {e}") from e
    rel = (data.get("FileReferences") or {}).get("Moc") or data.get("model")
    return model_file.parent / rel if rel else None


def load_seeds(folder: Path, tagset: str) -> dict[str, Any]:
    """`<tag>.png` files of `folder` whose stem is a tag of `tagset`, as uint8 grey arrays."""
    import numpy as np
    from PIL import Image

    from seethrough.core.taxonomy import taxonomy

    if not folder.is_dir():
        raise BadInput(f"seed folder {folder} does not exist")
    tags = set(taxonomy().tags(tagset))
    seeds: dict[str, Any] = {}
    from seethrough.core.io.images import load_image

    for png in sorted(folder.glob("*.png")):
        if png.stem in tags:  # load_image checks the size from the header and turns damage into one line
            rgba = load_image(png)
            seeds[png.stem] = np.asarray(Image.fromarray(rgba, "RGBA").convert("L"))
    if not seeds:
        raise BadInput(f"no <tag>.png seed masks for tag set {tagset} in {folder}")
    return seeds


def run_label(args: argparse.Namespace) -> int:
    from seethrough.annotation.auto_label import auto_label, from_live2d
    from seethrough.annotation.labels import LabelStore, model_hash
    from seethrough.annotation.loader import load_model
    from seethrough.app.cli import print_json

    model_file = Path(args.model)
    if not model_file.is_file():
        raise BadInput(f"model file {model_file} does not exist")
    model = load_model(model_file)
    view = from_live2d(model)
    moc = moc_path(model_file)
    model_id = model_hash(view.mesh_ids, moc if moc is not None and moc.is_file() else None)
    stem = model_file.name.split(".")[0]
    out = Path(args.output) if args.output else model_file.with_name(f"{stem}.labels.json")
    store = LabelStore.open(out, view.mesh_ids, model_id=model_id, taxonomy_version=args.tags)
    seeds = visibility = None
    if args.seeds:
        seeds = load_seeds(Path(args.seeds), args.tags)
        visibility = _visibility(model, next(iter(seeds.values())).shape)
    report = auto_label(view, store, seeds=seeds, visibility=visibility, tagset=args.tags)
    store.save(out)
    if args.json:
        print_json(
            {
                "coverage": report.coverage,
                "counts": report.counts,
                "total": report.total,
                "labelled": report.labelled,
                "excluded": len(report.excluded),
                "unlabelled": report.unlabelled,
                "output": str(out),
            }
        )
    else:
        rules = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()))
        print(f"{out}: {report.labelled}/{report.total} ArtMeshes labelled ({report.coverage:.1%}); {rules}")
    return 0


def _visibility(model: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """Per-mesh visibility masks of the composite at the seeds' size, from the CPU rasteriser."""
    from seethrough.annotation.render import Frame, ModelRaster

    height, width = shape[:2]
    cw, ch = model.canvas_size
    return ModelRaster(model, Frame(width, height, min(width / cw, height / ch))).visibility_masks()
