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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
           "sample_files", "split_for"]

Pose = tuple[str, dict[str, float]]


def split_for(model_name: str, val: float = 0.1, test: float = 0.1) -> str:
    """train / val / test from a hash of the model's name (kept for older callers: `split_for_model`)."""
    return split_for_model(model_name, val, test)


def png_bytes(image: np.ndarray, name: str = "image") -> bytes:
    """An RGBA / RGB / grey (8 or 16 bit) array as PNG bytes (fast compression: datasets are large)."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    elif image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise BadInput(f"cannot encode {name}")
    return data.tobytes()


def sample_id(model_name: str, pose_name: str) -> str:
    """`<model>-<pose>`, usable as one folder name (the schema's rule for sample ids)."""
    from seethrough.core.io.png_folder import safe_filename

    return f"{safe_filename(model_name, 100)}-{safe_filename(pose_name, 100)}"


#: one sample's files: path relative to its folder (`composite.png`, `layers/face.png`, …) → bytes
SampleFiles = dict[str, bytes]


def sample_files(rendered: TagLayers, entry: dict,
                 background: tuple[int, int, int] = (255, 255, 255)) -> tuple[dict, SampleFiles]:
    """One rendered pose as the files of its sample folder, and its manifest entry completed with canvas, tags and
    bboxes (`sample.json` is among the files)."""
    composite = to_uint8(rendered.composite)
    files = {"composite.png": png_bytes(composite, "composite.png")}
    a = composite[..., 3:4].astype(np.float32) / 255.0
    flat = composite[..., :3] * a + np.asarray(background, np.float32) * (1.0 - a)
    files["composite_rgb.png"] = png_bytes((flat + 0.5).astype(np.uint8), "composite_rgb.png")
    tags, bboxes = [], {}
    for tag, rgba in rendered.layers.items():
        box = rendered.bbox(tag)
        if box is None:
            continue
        stem = tag_file_name(tag)
        files[f"layers/{stem}.png"] = png_bytes(to_uint8(rgba), stem)
        files[f"visible/{stem}.png"] = png_bytes(rendered.visible[tag].astype(np.uint8) * 255, stem)
        files[f"depth/{stem}.png"] = png_bytes(np.round(rendered.depth[tag] * DEPTH_SCALE).astype(np.uint16), stem)
        tags.append(tag)
        bboxes[tag] = list(box)
    entry = {**entry, "canvas": [rendered.frame.width, rendered.frame.height], "tags": tags, "bboxes": bboxes}
    SampleEntry.from_json(entry)  # the entry must read back
    files["sample.json"] = json.dumps(entry, ensure_ascii=False, indent=1).encode("utf-8")
    return entry, files


def write_sample_files(folder: Path, files: Mapping[str, bytes]) -> None:
    """Write a sample's files as `folder`, replacing the folder as a whole (built in a temp folder, renamed)."""
    with atomic_folder(folder) as tmp:
        for sub in ("layers", "visible", "depth"):
            (tmp / sub).mkdir(parents=True, exist_ok=True)
        for rel, data in files.items():
            (tmp / rel).write_bytes(data)


def export_sample(
    rendered: TagLayers,
    folder: Path,
    entry: dict,
    background: tuple[int, int, int] = (255, 255, 255),
) -> dict:
    """Write one rendered pose as `folder` (composite, per-tag layers / visible / depth, sample.json), replacing
    the folder as a whole; returns the manifest entry completed with canvas, tags and bboxes."""
    entry, files = sample_files(rendered, entry, background)
    write_sample_files(Path(folder), files)
    return entry


def checked_labels(model: Live2DModel, labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that set a tag, or BadInput when none does or they name meshes `model` does not have."""
    labels = {k: v for k, v in labels.items() if v}
    if not labels:
        raise BadInput("no ArtMesh is labelled: run auto-label (or label some) before exporting")
    unknown = sorted(set(labels) - {m.id for m in model.artmeshes})
    if unknown:
        raise BadInput(f"the labels name {len(unknown)} ArtMesh(es) that {model.name} does not have "
                       f"(e.g. {unknown[0]}): a label file for another model?")
    return labels


def checked_poses(model: Live2DModel, poses: Sequence[tuple[str, Mapping[str, float]]]) -> list[Pose]:
    """The poses with the parameters the model has (others dropped), as floats."""
    params = {p.id for p in model.parameters}
    return [(name, {k: float(v) for k, v in values.items() if k in params}) for name, values in poses]


def choose_frame(model: Live2DModel, frame: Frame | str, size: int, margin: float, labelled: set[str],
                 poses: Sequence[Pose]) -> Frame:
    """The frame all poses share: "content" (the labelled meshes over every pose, `margin` around), "canvas" (the
    model's canvas) or a given `Frame`."""
    if isinstance(frame, Frame):
        return frame
    if frame == "content":
        return content_frame(model, size, margin, labelled, [values for _, values in poses])
    if frame == "canvas":
        return fit_frame(model, size, margin)
    raise BadInput(f"unknown frame {frame!r} (content, canvas or a Frame)")


def render_pose(model: Live2DModel, labels: Mapping[str, str], values: Mapping[str, float],
                frame: Frame) -> TagLayers:
    """The model posed at `values` (every other parameter at its default) and rendered per tag; the caller puts
    it back with `reset_pose`."""
    model.reset_parameters()
    model.set_parameters(values)
    model.update()
    return render_tags(model, labels, frame)


def reset_pose(model: Live2DModel) -> None:
    """Every parameter back at its default."""
    model.reset_parameters()
    model.update()


@dataclass
class _Target:
    """An export's dataset folder: the samples its index lists, how they are split, the folders this export made."""

    out: Path
    samples: dict[str, dict]
    split_by: str
    created: list[Path]

    @property
    def index_path(self) -> Path:
        return self.out / "dataset.json"


def _open_target(out: Path, tagset: str) -> _Target:
    """The dataset folder to export into (made when missing); BadInput for a folder that is not ours or that
    holds another tag set."""
    index_path = out / "dataset.json"
    if out.is_dir() and not index_path.exists() and any(not p.name.startswith(".") for p in out.iterdir()):
        raise BadInput(f"{out}: the folder is not empty and holds no dataset.json; export into a new or empty folder "
                       "or into an earlier dataset (nothing was written)")
    created = [f for f in (out, out / "samples") if not f.exists()]
    out.mkdir(parents=True, exist_ok=True)
    if not index_path.exists():
        return _Target(out, {}, "model", created)  # datasets written before `split_by` existed were per model
    existing = read_dataset(out)
    if existing.taxonomy != tagset:
        raise BadInput(f"{out} holds a {existing.taxonomy} dataset; cannot add {tagset} samples to it")
    return _Target(out, {s.id: s.to_json() for s in existing.samples}, _split_by(index_path), created)


def _plan_splits(target: _Target, model_name: str, new_ids: list[str], split: str) -> tuple[dict[str, str], bool]:
    """The split of each new sample and whether earlier samples are re-split too; updates `target.split_by`."""
    if split in SPLITS:
        target.split_by = "manual"
        return {sid: split for sid in new_ids}, False
    everything = [(sid, str(raw["model"])) for sid, raw in target.samples.items() if sid not in new_ids]
    everything += [(sid, model_name) for sid in new_ids]
    mode = resolve_mode(split, len({name for _, name in everything}))
    resplit = not (split == "auto" and target.split_by == "manual")  # auto never undoes splits a person chose
    planned = assign_splits(everything if resplit else [(sid, model_name) for sid in new_ids], mode)
    target.split_by = mode if resplit else "manual"
    return planned, resplit


def index_bytes(tagset: str, split_by: str, samples: Iterable[dict],
                extra: Mapping[str, object] | None = None) -> bytes:
    """`dataset.json` for these sample entries (`extra`: more top-level fields, e.g. a shard index's format)."""
    index = {"schema_version": SCHEMA_VERSION, **(extra or {}), "taxonomy": tagset,
             "tags": list(taxonomy().tags(tagset)), "split_by": split_by, "samples": list(samples)}
    return json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8")


def _finish(target: _Target, tagset: str, wrote: bool) -> None:
    """The index lists what was completed, even after an error; a failure before any sample leaves no trace."""
    if wrote:
        atomic_write_bytes(target.index_path, index_bytes(tagset, target.split_by, target.samples.values()))
        return
    for folder in reversed(target.created):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if still empty


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
    labels = checked_labels(model, labels)
    if split not in MODES:
        raise BadInput(f"unknown split {split!r} (one of {', '.join(MODES)})")
    target = _open_target(Path(out), tagset)
    checked = checked_poses(model, poses)
    chosen = choose_frame(model, frame, size, margin, set(labels), checked)
    new_ids = [sample_id(model.name, pose_name) for pose_name, _ in checked]
    planned, resplit = _plan_splits(target, model.name, new_ids, split)
    written, finished = 0, False
    try:
        for i, ((_, values), sid) in enumerate(zip(checked, new_ids)):
            if is_cancelled is not None and is_cancelled():
                raise Cancelled("dataset export cancelled; finished samples were kept")
            rendered = render_pose(model, labels, values, chosen)
            entry = {"id": sid, "model": model.name, "pose": values, "split": planned[sid]}
            target.samples[sid] = _export_new_sample(rendered, target.out / "samples" / sid, entry, background)
            written += 1
            if progress is not None:
                progress(i + 1, len(checked))
        if resplit:
            _resplit_earlier(target.out, target.samples, planned, set(new_ids))
        finished = True
    finally:
        reset_pose(model)
        _finish(target, tagset, bool(written or finished))
    return target.out


def _export_new_sample(rendered: TagLayers, folder: Path, entry: dict, background: tuple[int, int, int]) -> dict:
    """`export_sample`, leaving no half of a sample this export began and could not finish (full disk, cancel)."""
    fresh = not folder.exists()
    try:
        return export_sample(rendered, folder, entry, background)
    except BaseException:
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        raise


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
