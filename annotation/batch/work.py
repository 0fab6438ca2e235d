"""One model's work in the batch, run inside a worker process: load → auto-label → quality gate → the samples.

`run_model(task)` never raises for a bad model: a model that cannot be loaded, labelled or rendered comes back as
a failed `ModelResult` with a one-line reason. It writes nothing: the samples come back as bytes (the files of each
sample folder), so the driver is the only writer of the dataset and a worker on another machine needs no access
to it. A zipped model is extracted (only the files its settings name, each size-checked) into a temp folder that is
removed afterwards.

Test hook: when `$SEETHROUGH_BATCH_TEST_HANG` names a settings file (e.g. `Hang.model3.json`), the worker hangs
before loading that model, as a loader stuck in a damaged file would (the batch's tests use it for the time limit).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.annotation.batch.discover import ModelSource, SourceFiles
from seethrough.annotation.batch.options import BatchOptions, Pose
from seethrough.annotation.batch.quality import LOW_CONFIDENCE, finite_or_none, gate
from seethrough.core.errors import BadInput, SeeThroughError

HANG_HOOK = "SEETHROUGH_BATCH_TEST_HANG"
#: the thumbnail of a model in the report: its render beside its tag colours, this many pixels high
THUMB_HEIGHT = 128

EXPORTED, REVIEW, FAILED = "exported", "review", "failed"


@dataclass(frozen=True)
class ModelTask:
    key: str
    name: str  # the model's name in the dataset (`<stem>-<key prefix>`): sample ids are `<name>-<pose>`
    source: ModelSource
    files: tuple[str, ...]  # the files the settings name (extracted with a zipped model)
    options: BatchOptions
    labels_json: bytes | None = None  # a label file to start from (a person's labels are kept)


@dataclass
class ModelResult:
    key: str
    status: str  # EXPORTED, REVIEW or FAILED
    reason: str = ""  # why it failed, or the gate's reasons ("; "-joined)
    metrics: dict[str, Any] = field(default_factory=dict)
    #: (sample entry, files of its folder by relative path) per pose; empty unless exported
    samples: list[tuple[dict, dict[str, bytes]]] = field(default_factory=list)
    labels_json: bytes | None = None  # the labels the batch used (a label file), for a model sent to review
    thumbnail: bytes | None = None
    seconds: float = 0.0  # wall time in the worker
    cpu_seconds: float = 0.0  # the worker's CPU time on this model
    peak_rss: int = 0  # bytes: the worker process's peak resident memory so far
    restart: bool = False  # the worker should not be reused (out of memory, an internal error)


def run_model(task: ModelTask) -> ModelResult:
    """The model's result; every failure is a FAILED result with its reason (module docstring)."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        result = _attempt(task)
    finally:
        _forget_textures()
    result.seconds = round(time.perf_counter() - start, 3)
    result.cpu_seconds = round(time.process_time() - cpu, 3)
    result.peak_rss = peak_rss()
    return result


def _attempt(task: ModelTask) -> ModelResult:
    try:
        with materialised(task) as settings_file:
            return label_and_export(task, settings_file)
    except SeeThroughError as exc:
        return ModelResult(task.key, FAILED, _one_line(str(exc)))
    except MemoryError as exc:
        return ModelResult(task.key, FAILED, _one_line(f"out of memory: over the worker's memory cap ({exc})"),
                           restart=True)
    except RecursionError:
        return ModelResult(task.key, FAILED, "the model's structure is nested too deeply", restart=True)
    except Exception as exc:  # a worker reports every failure of one model and goes on
        return ModelResult(task.key, FAILED, _one_line(f"internal error: {type(exc).__name__}: {exc}"),
                           restart=True)


def _forget_textures() -> None:
    """A worker serves many models: the decoded textures of one are not kept for the next."""
    from seethrough.annotation.render import _mip_chain

    _mip_chain.cache_clear()


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def peak_rss() -> int:
    """This process's peak resident set size in bytes (Linux reports KiB, macOS bytes; 0 where unknown)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


#: limits for extracting a zipped model: how many files and how many bytes in all
MAX_EXTRACT_FILES = 10_000
MAX_EXTRACT_BYTES = 2 * 1024 * 1024 * 1024


@contextlib.contextmanager
def materialised(task: ModelTask) -> Iterator[Path]:
    """The model's settings file on disk: itself, or extracted with the files it names from its zip."""
    source = task.source
    if source.member is None:
        yield Path(source.path)
        return
    with tempfile.TemporaryDirectory(prefix="seethrough-batch-") as tmp, SourceFiles(source) as files:
        folder = Path(tmp)
        total = 0
        for rel in (source.file_name, *task.files[:MAX_EXTRACT_FILES]):
            data = files.read(rel)
            if data is None:
                continue  # missing or unusable: the loader names what it needs
            total += len(data)
            if total > MAX_EXTRACT_BYTES:
                raise BadInput(f"{source.member}: the model's files in the zip exceed {MAX_EXTRACT_BYTES >> 30} GiB")
            target = folder / rel.replace("\\", "/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        yield folder / source.file_name


def _hang_if_asked(settings_file: Path) -> None:
    if os.environ.get(HANG_HOOK) and os.environ[HANG_HOOK] == settings_file.name:
        while True:
            time.sleep(3600)


def label_and_export(task: ModelTask, settings_file: Path) -> ModelResult:
    from seethrough.annotation.auto_label import auto_label
    from seethrough.annotation.dataset import checked_poses, choose_frame, render_pose, reset_pose
    from seethrough.annotation.loader import load_model
    from seethrough.annotation.poses import default_poses
    from seethrough.annotation.seeds import default_seed_provider

    options = task.options
    _hang_if_asked(settings_file)
    model = load_model(settings_file)
    store = _label_store(model, task.labels_json, options.tagset)
    provider = options.provider or default_seed_provider()
    report = auto_label(model, store, tagset=options.tagset, provider=provider)
    excluded = _excluded(report)
    labels = {k: v for k, v in store.tags().items() if v and k not in excluded}
    if not labels:
        raise BadInput("no ArtMesh could be labelled")
    poses: list[Pose] = checked_poses(model, options.poses if options.poses is not None else default_poses(model))
    frame = choose_frame(model, options.frame, options.size, options.margin, set(labels), poses)
    try:
        neutral = render_pose(model, labels, {}, frame)
        metrics = {**measure(model, store, report, excluded, neutral), "provider": provider}
        reasons = gate(metrics, options.thresholds)
        result = ModelResult(task.key, REVIEW if reasons else EXPORTED, "; ".join(reasons), metrics)
        if reasons:
            result.thumbnail = thumbnail(neutral)
            result.labels_json = labels_file_bytes(store)
        if not reasons or options.review == "mark":
            result.samples = _samples(task, model, labels, poses, frame, neutral)
    finally:
        reset_pose(model)
    return result


def _label_store(model: Any, labels_json: bytes | None, tagset: str) -> Any:
    """The model's labels to start from (a label file's, human labels kept by the rules), never saved here."""
    from seethrough.annotation.labels import LabelStore

    ids = [m.id for m in model.artmeshes]
    if labels_json is None:
        return LabelStore(ids, taxonomy_version=tagset)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "labels.json"
        path.write_bytes(labels_json)
        store = LabelStore.open(path, ids, taxonomy_version=tagset)
    store.path = None  # the batch never writes the label file it read
    return store


def _excluded(report: Any) -> set[str]:
    """The meshes the labeller left out (a list of ids, or a mapping id → reason)."""
    return set(report.excluded)


def excluded_reasons(report: Any) -> dict[str, str]:
    excluded = report.excluded
    return {str(k): str(v) for k, v in excluded.items()} if isinstance(excluded, Mapping) else {}


def measure(model: Any, store: Any, report: Any, excluded: set[str], neutral: Any) -> dict[str, Any]:
    """The gate's measures (`quality` module docstring) at the default pose, rendered on the dataset's frame."""
    from seethrough.annotation.render import model_raster, to_uint8
    from seethrough.core.metrics import comparable_rgb, psnr

    raster = model_raster(model, neutral.frame)  # the render `neutral` was made from (cached until the next pose)
    visible = {mid: v for mid, (_, v) in raster.areas().items()}
    total = sum(visible.values())
    character = sum(v for mid, v in visible.items() if mid not in excluded)
    uncertain = sum(v for mid, v in visible.items() if mid not in excluded and _uncertain(store, mid))
    left_out = sum(v for mid, v in visible.items() if mid in excluded)
    reference = comparable_rgb(to_uint8(raster.composite()))
    labelled = comparable_rgb(to_uint8(neutral.composite))
    reasons = excluded_reasons(report)
    return {
        "coverage": round(report.coverage, 4),
        "meshes": report.total,
        "labelled": report.labelled,
        "uncertain_area": round(uncertain / character, 4) if character else 0.0,
        "excluded_area": round(left_out / total, 4) if total else 0.0,
        "excluded": len(excluded),
        "excluded_reasons": dict(sorted(reasons.items())),
        "psnr": finite_or_none(psnr(reference, labelled)),
        "warnings": list(model.warnings),
        "rules": dict(sorted(report.counts.items())),
        "tags": sorted(set(neutral.layers)),
    }


def _uncertain(store: Any, mesh_id: str) -> bool:
    confidence = store.confidence(mesh_id)
    return confidence is None or confidence < LOW_CONFIDENCE


def _samples(task: ModelTask, model: Any, labels: dict[str, str], poses: list[Pose], frame: Any,
             neutral: Any) -> list[tuple[dict, dict[str, bytes]]]:
    from seethrough.annotation.dataset import render_pose, sample_files, sample_id
    from seethrough.core.dataset_split import pose_splits, split_for_model

    options = task.options
    ids = [sample_id(task.name, name) for name, _ in poses]
    splits = pose_splits(ids) if options.split == "pose" else {sid: split_for_model(task.name) for sid in ids}
    out = []
    for sid, (_, values) in zip(ids, poses):
        rendered = neutral if not values else render_pose(model, labels, values, frame)
        entry = {"id": sid, "model": task.name, "pose": values, "split": splits[sid]}
        out.append(sample_files(rendered, entry, options.background))
    return out


def thumbnail(rendered: Any) -> bytes:
    """The render over white beside each visible pixel in its tag's colour, `THUMB_HEIGHT` px high (PNG)."""
    import cv2

    from seethrough.annotation.dataset import png_bytes
    from seethrough.annotation.render import to_uint8
    from seethrough.core.taxonomy import taxonomy

    rgba = to_uint8(rendered.composite).astype(np.float32)
    a = rgba[..., 3:4] / 255.0
    picture = rgba[..., :3] * a + 255.0 * (1.0 - a)
    tags = np.full(picture.shape, 255.0, np.float32)
    for tag, mask in rendered.visible.items():
        tags[mask] = taxonomy().color(tag)
    both = np.concatenate([picture, tags], axis=1)
    h, w = both.shape[:2]
    size = (max(1, round(w * THUMB_HEIGHT / h)), THUMB_HEIGHT)
    return png_bytes(cv2.resize(both, size, interpolation=cv2.INTER_AREA).round().astype(np.uint8), "thumbnail")


def labels_file_bytes(store: Any) -> bytes:
    """The label file of the labels the batch used, with every entry's time at 0 (batch labels carry no time, so
    a rerun writes the same bytes)."""
    data = store.to_json()
    for entry in data["entries"].values():
        entry["time"] = 0.0
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
