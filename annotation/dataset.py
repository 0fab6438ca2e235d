"""From a labelled Live2D model to training data (layout: `core.dataset_layout`, docs/dataset-layout.md).

Per pose: the composite (RGBA, and RGB over a background); per tag, the full RGBA layer, where it is visible in
the composite and its pseudo-depth from the drawing order (`annotation.tag_layers`); a manifest entry. All poses of
a model share one frame (fitted to the labelled meshes over the whole sweep, with a margin), so samples align.
Splits (`core.dataset_split`): per model while the dataset holds many models (a character never appears in two
splits), per pose while it holds fewer than `MIN_MODELS` (so a one-model export still has train and test samples),
or as asked; `dataset.json` records which (`split_by`). Each sample is built in a temp folder (our `.st-tmp` mark)
that replaces `samples/<id>/` whole, and `dataset.json` is written last, so an interrupted export leaves every
sample folder either old or new and the previous index valid. A non-empty folder without a `dataset.json` is not
ours and is refused.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from seethrough.annotation.model import Live2DModel
from seethrough.annotation.render import Frame, content_frame, fit_frame, to_uint8
from seethrough.annotation.tag_layers import TagLayers, render_tags
from seethrough.annotation.to_document import live2d_document  # re-exported (older import path)
from seethrough.core.dataset_layout import DEPTH_SCALE, SCHEMA_VERSION, SampleEntry, read_dataset, tag_file_name
from seethrough.core.dataset_split import MODES, SPLITS, assign_splits, resolve_mode, split_for_model
from seethrough.core.errors import BadInput, Cancelled
from seethrough.core.io.atomic import atomic_folder, atomic_write_bytes
from seethrough.core.taxonomy import taxonomy

__all__ = ["SCHEMA_VERSION", "TagLayers", "export_dataset", "export_sample", "live2d_document", "render_tags",
           "split_for"]


def split_for(model_name: str, val: float = 0.1, test: float = 0.1) -> str:
    """train / val / test from a hash of the model's name (kept for older callers: `split_for_model`)."""
    return split_for_model(model_name, val, test)


def _png(path: Path, image: np.ndarray) -> None:
    """Write a PNG into a sample's temp folder (the folder as a whole is renamed into place)."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise BadInput(f"cannot encode {path.name}")
    path.write_bytes(data.tobytes())


def sample_id(model_name: str, pose_name: str) -> str:
    """`<model>-<pose>`, usable as one folder name (the schema's rule for sample ids)."""
    from seethrough.core.io.png_folder import safe_filename

    return f"{safe_filename(model_name, 100)}-{safe_filename(pose_name, 100)}"


def export_sample(
    rendered: TagLayers,
    folder: Path,
    entry: dict,
    background: tuple[int, int, int] = (255, 255, 255),
) -> dict:
    """Write one rendered pose as `folder` (composite, per-tag layers / visible / depth, sample.json), replacing
    the folder as a whole; returns the manifest entry completed with canvas, tags and bboxes."""
    with atomic_folder(folder) as tmp:
        return _write_sample(rendered, tmp, entry, background)


def _write_sample(rendered: TagLayers, folder: Path, entry: dict, background: tuple[int, int, int]) -> dict:
    for sub in ("layers", "visible", "depth"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    composite = to_uint8(rendered.composite)
    _png(folder / "composite.png", composite)
    a = composite[..., 3:4].astype(np.float32) / 255.0
    flat = composite[..., :3] * a + np.asarray(background, np.float32) * (1.0 - a)
    _png(folder / "composite_rgb.png", (flat + 0.5).astype(np.uint8))
    tags, bboxes = [], {}
    for tag, rgba in rendered.layers.items():
        box = rendered.bbox(tag)
        if box is None:
            continue
        stem = tag_file_name(tag)
        _png(folder / "layers" / f"{stem}.png", to_uint8(rgba))
        _png(folder / "visible" / f"{stem}.png", rendered.visible[tag].astype(np.uint8) * 255)
        _png(folder / "depth" / f"{stem}.png", np.round(rendered.depth[tag] * DEPTH_SCALE).astype(np.uint16))
        tags.append(tag)
        bboxes[tag] = list(box)
    entry = {**entry, "canvas": [rendered.frame.width, rendered.frame.height], "tags": tags, "bboxes": bboxes}
    SampleEntry.from_json(entry)  # the entry must read back
    (folder / "sample.json").write_text(json.dumps(entry, ensure_ascii=False, indent=1), encoding="utf-8")
    return entry


def export_dataset(
    model: Live2DModel,
    labels: Mapping[str, str],
    out: Path,
    poses: Sequence[tuple[str, Mapping[str, float]]],
    size: int = 1024,
    background: tuple[int, int, int] = (255, 255, 255),
    tagset: str = "v3",
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    frame: Frame | str = "content",
    margin: float = 0.05,
    split: str = "auto",
) -> Path:
    """Write one sample per pose under `out` and (re)write `out/dataset.json` last, merging with what is there.

    `frame`: "content" (default: fitted to the labelled meshes over all poses, `margin` around), "canvas" (the
    model's canvas) or a `Frame`. `split`: "auto" (per pose below `MIN_MODELS` models, per model from then on),
    "model", "pose" — these re-split the whole dataset, rewriting the split of earlier samples that change — or a
    split name for all the exported samples. The model is left at its default parameters."""
    labels = {k: v for k, v in labels.items() if v}
    if not labels:
        raise BadInput("no ArtMesh is labelled: run auto-label (or label some) before exporting")
    unknown = sorted(set(labels) - {m.id for m in model.artmeshes})
    if unknown:
        raise BadInput(f"the labels name {len(unknown)} ArtMesh(es) that {model.name} does not have "
                       f"(e.g. {unknown[0]}): a label file for another model?")
    if split not in MODES:
        raise BadInput(f"unknown split {split!r} (one of {', '.join(MODES)})")
    out = Path(out)
    index_path = out / "dataset.json"
    if out.is_dir() and not index_path.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise BadInput(f"{out}: the folder is not empty and holds no dataset.json; export into a new or empty folder "
                       "or into an earlier dataset (nothing was written)")
    created = [f for f in (out, out / "samples") if not f.exists()]
    out.mkdir(parents=True, exist_ok=True)
    split_by = "model"  # datasets written before `split_by` existed were split per model
    if index_path.exists():
        existing = read_dataset(out)
        if existing.taxonomy != tagset:
            raise BadInput(f"{out} holds a {existing.taxonomy} dataset; cannot add {tagset} samples to it")
        samples = {s.id: s.to_json() for s in existing.samples}
        split_by = _split_by(index_path)
    else:
        samples = {}
    params = {p.id for p in model.parameters}
    checked = [(name, {k: float(v) for k, v in values.items() if k in params}) for name, values in poses]
    if isinstance(frame, Frame):
        chosen = frame
    elif frame == "content":
        chosen = content_frame(model, size, margin, set(labels), [values for _, values in checked])
    elif frame == "canvas":
        chosen = fit_frame(model, size, margin)
    else:
        raise BadInput(f"unknown frame {frame!r} (content, canvas or a Frame)")
    new_ids = [sample_id(model.name, pose_name) for pose_name, _ in checked]
    everything = [(sid, str(raw["model"])) for sid, raw in samples.items() if sid not in new_ids]
    everything += [(sid, model.name) for sid in new_ids]
    models = len({name for _, name in everything})
    if split in SPLITS:
        planned, resplit = {sid: split for sid in new_ids}, False
        split_by = "manual"
    else:
        mode = resolve_mode(split, models)
        resplit = not (split == "auto" and split_by == "manual")  # auto never undoes splits a person chose
        planned = assign_splits(everything if resplit else [(sid, model.name) for sid in new_ids], mode)
        split_by = mode if resplit else "manual"
    written, finished = 0, False
    try:
        for i, (pose_name, values) in enumerate(checked):
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("dataset export cancelled; finished samples were kept")
            model.reset_parameters()
            model.set_parameters(values)
            model.update()
            sid = sample_id(model.name, pose_name)
            entry = {"id": sid, "model": model.name, "pose": values, "split": planned[sid]}
            folder = out / "samples" / sid
            fresh = not folder.exists()
            try:
                samples[sid] = export_sample(render_tags(model, labels, chosen), folder, entry, background)
            except BaseException:
                if fresh:  # a sample this run began and could not finish (full disk, cancel): leave no half of it
                    shutil.rmtree(folder, ignore_errors=True)
                raise
            written += 1
            if progress is not None:
                progress(i + 1, len(checked))
        if resplit:
            _resplit_earlier(out, samples, planned, set(new_ids))
        finished = True
    finally:
        model.reset_parameters()
        model.update()
        if written or finished:  # the index lists what was completed, even on error
            index = {"schema_version": SCHEMA_VERSION, "taxonomy": tagset, "tags": list(taxonomy().tags(tagset)),
                     "split_by": split_by, "samples": list(samples.values())}
            atomic_write_bytes(index_path, json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8"))
        elif not finished:  # nothing new (an early failure or cancel): leave the folder as it was
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only if still empty
    return out


def _split_by(index_path: Path) -> str:
    try:
        value = json.loads(index_path.read_text(encoding="utf-8")).get("split_by", "model")
    except (OSError, ValueError, AttributeError):
        return "model"
    return value if value in ("model", "pose", "manual") else "model"


def _resplit_earlier(out: Path, samples: dict[str, dict], planned: Mapping[str, str], new_ids: set[str]) -> None:
    """Move earlier samples to their new split: their sample.json (written by an earlier export) and index entry."""
    for sid, raw in samples.items():
        target = planned.get(sid)
        if sid in new_ids or target is None or raw.get("split") == target:
            continue
        raw["split"] = target
        own = out / "samples" / sid / "sample.json"
        if own.is_file():
            data = json.loads(own.read_text(encoding="utf-8"))
            data["split"] = target
            atomic_write_bytes(own, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
