"""`seethrough-gui live2d label MODEL [--seeds DIR] [-o labels.json] [--json] [--tags v3|v2] [--eval GT.json]
[--provider layout|seethrough|samhq|none] [--vote-poses N]`.

Runs the automatic labelling rules (`annotation.auto_label`) on a Live2D model and writes its label file
(default: `<model name>.labels.json` next to the model, the file Annotate opens). Human labels already in the file are
kept. The file is recognised by the model's identity (`annotation.model_identity`), the same as in Annotate; files
written by older versions of either are recognised too and get the current identity when written. The report names
the seed provider of the run, the rule, confidence and provider of every label, and each mesh left out as not the
character with its reason (an effect, a hit area, …). With `--seeds`,
DIR holds one PNG per tag (`<tag>.png`, e.g. `front hair.png`, the size of the render) used as 2D seeds.

With `--eval GT.json` the resulting labels are measured against a hand-verified ground truth
(`annotation.ground_truth`): mesh accuracy, visible-area accuracy (default pose, a fixed `EVAL_SIZE` render fitted
to the character) and the worst meshes. `--eval` is a measurement: it writes the label file only when `-o` is given.
No Qt is imported.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput

#: the long side of the render whose visible pixels weight the visible-area accuracy
EVAL_SIZE = 1024


def add_label_command(live2d_subparsers: Any) -> argparse.ArgumentParser:
    """Add `label` to the `live2d` subcommand's subparsers."""
    p = live2d_subparsers.add_parser("label", help="label every ArtMesh automatically and write the label file")
    p.add_argument("model", help=".model3.json (Cubism 3+) or .model.json (Cubism 2)")
    p.add_argument("--seeds", help="folder of per-tag PNG masks of the render (<tag>.png)")
    p.add_argument("-o", "--output", help="label file (default: <model>.labels.json next to the model)")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.add_argument("--tags", choices=("v3", "v2"), default="v3", help="tag set (default v3, the released 23 tags)")
    p.add_argument("--eval", metavar="GT.json", help="measure the labels against a hand-verified ground-truth file "
                   "(writes the label file only with -o)")
    p.add_argument("--provider", help="2D seed provider: layout (weights-free), seethrough, samhq, or none "
                   "(default: the best installed one)")
    p.add_argument("--vote-poses", type=int, default=0, metavar="N",
                   help="let the first N head turns of the default pose sweep vote too "
                   "(default 0: the default pose only)")
    p.add_argument("--worst", type=int, default=10, help="with --eval: how many worst meshes to list (default 10)")
    p.set_defaults(func=run_label)
    return p


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
    from seethrough.annotation.labels import LabelStore
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.model_identity import model_identity
    from seethrough.cli import print_json

    model_file = Path(args.model)
    if not model_file.exists():
        raise BadInput(f"model file {model_file} does not exist")  # a FIFO or a folder: load_model says so
    model = load_model(model_file)
    view = from_live2d(model)
    stem = model_file.name.split(".")[0]
    out = Path(args.output) if args.output else model_file.with_name(f"{stem}.labels.json")
    store = LabelStore.open(out, view.mesh_ids, model_id=model_identity(model), taxonomy_version=args.tags)
    if args.eval and not args.output:
        store.path = None  # a measurement leaves the default label file as it was
    truth = _read_truth(Path(args.eval), args.tags) if args.eval else None
    seeds = visibility = None
    if args.seeds:
        seeds = load_seeds(Path(args.seeds), args.tags)
        visibility = _visibility(model, next(iter(seeds.values())).shape)
    poses = None
    if args.vote_poses:
        from seethrough.annotation.poses import default_poses

        if args.vote_poses < 0:
            raise BadInput("--vote-poses must be 0 or more")
        poses = [values for _, values in default_poses(model)[1 : 1 + args.vote_poses]]  # [0] is the default
    report = auto_label(view, store, seeds=seeds, visibility=visibility, tagset=args.tags, live=model,
                        provider=args.provider, poses=poses)
    written = store.path is not None
    if written:
        store.save(out)
    result = _evaluate(model, store.tags(), truth) if truth is not None else None
    if args.json:
        data = {
            "coverage": report.coverage,
            "counts": report.counts,
            "total": report.total,
            "labelled": report.labelled,
            "excluded": len(report.excluded),
            "excluded_reasons": report.excluded_reasons,
            "unlabelled": report.unlabelled,
            "provider": report.provider,
            "used_names": report.used_names,
            "labels": _provenance(store),
            "output": str(out) if written else None,
        }
        if result is not None:
            data["eval"] = {"ground_truth": str(args.eval), "size": EVAL_SIZE, **result.to_json(args.worst)}
        print_json(data)
    else:
        from seethrough.annotation.non_character import reason_counts

        rules = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items()))
        where = f"{out}: " if written else ""
        print(f"{where}{report.labelled}/{report.total} ArtMeshes labelled ({report.coverage:.1%}) with seed "
              f"provider {report.provider}; {rules}")
        if report.excluded:
            left = ", ".join(f"{k} {v}" for k, v in sorted(reason_counts(report.excluded_reasons).items()))
            print(f"left out (not the character): {len(report.excluded)} ArtMeshes; {left}")
        if result is not None:
            from seethrough.annotation.ground_truth import format_evaluation

            print("\n".join(format_evaluation(model.name, result, EVAL_SIZE, args.worst)))
    return 0


def _provenance(store: Any) -> dict[str, dict[str, Any]]:
    """Every label's tag, rule, confidence and seed provider (None for a person's label)."""
    return {mid: {"tag": e.tag, "rule": e.source, "confidence": e.certainty, "provider": e.provider}
            for mid in store.mesh_ids if (e := store.entries.get(mid)) is not None}


def _read_truth(path: Path, tagset: str) -> Any:
    from seethrough.annotation.ground_truth import read_ground_truth
    from seethrough.core.taxonomy import taxonomy

    truth = read_ground_truth(path, taxonomy().tags(tagset))
    if truth.taxonomy != tagset:
        raise BadInput(f"{path.name} is a {truth.taxonomy} ground truth; run with --tags {truth.taxonomy}")
    return truth


def eval_areas(model: Any, size: int = EVAL_SIZE) -> dict[str, int]:
    """Visible pixels per mesh in the default pose, rendered fitted to the character at `size` on its long side."""
    from seethrough.annotation.render import content_frame, mesh_areas

    model.reset_parameters()
    model.update()
    return {mid: visible for mid, (_, visible) in mesh_areas(model, content_frame(model, size, 0.02)).items()}


def _evaluate(model: Any, tags: dict[str, str], truth: Any) -> Any:
    from seethrough.annotation.ground_truth import evaluate

    return evaluate(tags, truth, eval_areas(model), [m.id for m in model.artmeshes])


def _visibility(model: Any, shape: tuple[int, ...]) -> dict[str, Any]:
    """Per-mesh visibility masks of the composite at the seeds' size, from the CPU rasteriser."""
    from seethrough.annotation.render import Frame, ModelRaster

    height, width = shape[:2]
    cw, ch = model.canvas_size
    return ModelRaster(model, Frame(width, height, min(width / cw, height / ch))).visibility_masks()
