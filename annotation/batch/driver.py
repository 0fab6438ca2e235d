"""The batch's driver: discover the models, plan what is left to do, hand the tasks to an engine, and commit each
result as it comes (the only writer of the dataset).

Per result, a commit is: the manifest row set to `committing` with every item the model may leave; the model's
files written (each sample folder or its shard renamed into place); its earlier items that are no longer its
removed; the row set to its final state. A batch killed at any moment resumes (`resume=True`): rows left
`committing` have their items removed and are redone, temp files of dead writers are removed, and every model
whose row is final for the same inputs (content key, options' work key, label file) is skipped. The index
(`dataset.json` or `shards.json`) is rebuilt from the manifest's exported rows (every `INDEX_INTERVAL` seconds and at
the end), so it only ever lists complete models. The same models give the same dataset whatever the engine, the
number of workers, the order results arrive in, or how often the batch was killed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from seethrough.annotation.batch import manifest as states
from seethrough.annotation.batch.discover import Discovery, FoundModel, discover
from seethrough.annotation.batch.engines import Engine
from seethrough.annotation.batch.manifest import Manifest, Row
from seethrough.annotation.batch.options import BatchOptions
from seethrough.annotation.batch.report import ReviewInfo, report_data, write_report
from seethrough.annotation.batch.review_copy import (
    REVIEW_FOLDER,
    copy_folder,
    label_file,
    label_file_name,
    make_review_copy,
    sha256_of,
)
from seethrough.annotation.batch.store import DatasetStore, make_store
from seethrough.annotation.batch.work import EXPORTED, ModelResult, ModelTask
from seethrough.core.dataset_split import resolve_mode
from seethrough.core.errors import BadInput
from seethrough.core.io.atomic import atomic_write_bytes, clean_stale_temps

BOOKKEEPING = ".batch"
INDEX_INTERVAL = 30.0


@dataclass
class BatchSummary:
    found: int = 0  # unique models under the root
    duplicates: int = 0
    skipped: int = 0  # already done for the same inputs (resume)
    processed: int = 0
    exported: int = 0  # final states of every model found, after this run
    review: int = 0
    failed: int = 0
    samples: int = 0
    seconds: float = 0.0  # wall time of the run
    work_seconds: float = 0.0  # the workers' time on the models processed in this run
    work_cpu_seconds: float = 0.0  # their CPU time (the same on a crowded machine)
    driver_seconds: float = 0.0  # the driver's own time: discovery, planning, commits, index and report
    peak_rss: int = 0  # the largest peak resident memory of a worker, bytes
    report: str = ""
    failures: dict[str, str] = field(default_factory=dict)  # source → reason, for the models failed in this run

    def to_json(self) -> dict:
        return dict(self.__dict__)


Listener = Callable[[str, ModelResult | None, int], None]  # (event "start" | "model", result, total to do)


class Batch:
    def __init__(self, root: Path, out: Path, options: BatchOptions, engine: Engine, resume: bool = False,
                 retry_failed: bool = False, listener: Listener | None = None) -> None:
        self.root, self.out = Path(root), Path(out)
        self.options, self.engine = options, engine
        self.resume, self.retry_failed = resume, retry_failed
        self.listener = listener or (lambda event, result, total: None)
        self.summary = BatchSummary()
        self._driver = 0.0
        self._index_written = 0.0

    # --- the run ---------------------------------------------------------------------------------------------
    def run(self) -> BatchSummary:
        start = time.perf_counter()
        tick = start
        found = discover(self.root)
        if not found.models:
            raise BadInput(f"{self.root} holds no .model3.json or .model.json (in folders or .zip files); "
                           "nothing was written")
        manifest = self._open()
        try:
            self.options = replace(self.options, split=resolve_mode(self.options.split, len(found.models)))
            self._check_options(manifest)
            store = make_store(self.out, self.options.format)
            self._recover(manifest, store)
            tasks, by_key = self._plan(found, manifest)
            self.summary.found, self.summary.duplicates = len(found.models), len(found.duplicates)
            self.summary.skipped = len(found.models) - len(tasks)
            self._write_outputs(manifest, store, found)
            self.listener("start", None, len(tasks))
            self._driver += time.perf_counter() - tick
            results = self.engine.run(tasks)
            try:
                for result in results:
                    tick = time.perf_counter()
                    self._commit(manifest, store, by_key[result.key], result)
                    if time.perf_counter() - self._index_written > INDEX_INTERVAL:
                        self._write_index(manifest, store)
                    self._driver += time.perf_counter() - tick
                    self.listener("model", result, len(tasks))
            finally:
                close = getattr(results, "close", None)
                if close is not None:
                    close()
            tick = time.perf_counter()
            self._write_outputs(manifest, store, found)
            self._driver += time.perf_counter() - tick
        finally:
            manifest.close()
        self.summary.seconds = round(time.perf_counter() - start, 3)
        self.summary.driver_seconds = round(self._driver, 3)
        return self.summary

    def _open(self) -> Manifest:
        """The manifest of a new batch, or of the earlier one when resuming; BadInput for a folder not ours."""
        book = self.out / BOOKKEEPING / "manifest.sqlite"
        if self.out.exists() and not self.out.is_dir():
            raise BadInput(f"{self.out} exists and is not a folder")
        if book.is_file() and not self.resume:
            raise BadInput(f"{self.out} holds an earlier batch: add --resume to continue it (or choose a new folder)")
        if not book.is_file() and self.out.is_dir() and any(self.out.iterdir()):
            raise BadInput(f"{self.out} is not empty and holds no batch: choose a new or empty folder "
                           "(nothing was written)")
        return Manifest(book)

    def _check_options(self, manifest: Manifest) -> None:
        earlier = manifest.meta("format")
        if earlier is not None and earlier != self.options.format:
            raise BadInput(f"{self.out} holds a batch written as {earlier}; resume it with --format {earlier}")
        manifest.set_meta("format", self.options.format)
        manifest.set_meta("options", json.dumps(self.options.to_json(), sort_keys=True))

    def _recover(self, manifest: Manifest, store: DatasetStore) -> None:
        """Undo what a killed run left half-way: items of models caught committing, temp files of dead writers."""
        for row in manifest.rows(states.COMMITTING):
            store.remove(row.items)
            manifest.forget(row.key)
        store.clean()
        clean_stale_temps(self.out / REVIEW_FOLDER / "models")
        clean_stale_temps(self.out / REVIEW_FOLDER)
        clean_stale_temps(self.out / REVIEW_FOLDER / "thumbs")

    def _plan(self, found: Discovery, manifest: Manifest) -> tuple[list[ModelTask], dict[str, FoundModel]]:
        work = self.options.work_key()
        tasks, by_key = [], {}
        for model in found.models:
            labels = label_file(self.out, model)
            row = manifest.get(model.key)
            if row is not None and self._done(row, work, sha256_of(labels)):
                continue
            by_key[model.key] = model
            tasks.append(ModelTask(model.key, dataset_name(model), model.source, model.files, self.options,
                                   labels.read_bytes() if labels is not None else None))
        return tasks, by_key

    def _done(self, row: Row, work: str, labels_sha: str) -> bool:
        final = row.state in (states.EXPORTED, states.REVIEW) or (row.state == states.FAILED and not self.retry_failed)
        return final and row.work == work and row.labels_sha == labels_sha

    # --- one result ------------------------------------------------------------------------------------------
    def _commit(self, manifest: Manifest, store: DatasetStore, model: FoundModel, result: ModelResult) -> None:
        shown = model.source.shown(self.root)
        before = manifest.get(model.key)
        earlier = before.items if before is not None else []
        items = store.items(model.key, result.samples)
        manifest.begin_commit(model.key, dataset_name(model), shown, [*dict.fromkeys([*earlier, *items])])
        entries = store.write(model.key, result.samples)
        store.remove([item for item in earlier if item not in items])
        labels_sha = self._labels_sha(model)
        if result.labels_json is not None:  # held for review, or exported and marked
            make_review_copy(self.out, model, result.labels_json)
            labels_sha = sha256_of(label_file(self.out, model))
            if result.thumbnail is not None:
                atomic_write_bytes(self.out / REVIEW_FOLDER / "thumbs" / f"{model.key}.png", result.thumbnail)
        state = {EXPORTED: states.EXPORTED, "review": states.REVIEW}.get(result.status, states.FAILED)
        if state == states.EXPORTED and not entries:
            state = states.FAILED
        manifest.finish(model.key, state, self.options.work_key(), labels_sha, result.reason, result.metrics,
                        items, entries, result.seconds, result.peak_rss)
        self.summary.processed += 1
        self.summary.work_seconds = round(self.summary.work_seconds + result.seconds, 3)
        self.summary.work_cpu_seconds = round(self.summary.work_cpu_seconds + result.cpu_seconds, 3)
        self.summary.peak_rss = max(self.summary.peak_rss, result.peak_rss)
        if state == states.FAILED:
            self.summary.failures[shown] = result.reason

    def _labels_sha(self, model: FoundModel) -> str:
        return sha256_of(label_file(self.out, model))

    # --- index and report ------------------------------------------------------------------------------------
    def _write_index(self, manifest: Manifest, store: DatasetStore) -> None:
        entries = [entry for row in manifest.rows(states.EXPORTED) for entry in row.entries]
        store.write_index(self.options.tagset, self.options.split, entries)
        self._index_written = time.perf_counter()

    def _write_outputs(self, manifest: Manifest, store: DatasetStore, found: Discovery) -> None:
        self._write_index(manifest, store)
        keys = {m.key for m in found.models}
        rows = [row for row in manifest.rows() if row.key in keys]
        copies = {m.key: self._review_info(m) for m in found.models if copy_folder(self.out, m.key).is_dir()}
        duplicates = [(copy.shown(self.root), first.source.shown(self.root)) for copy, first in found.duplicates]
        folder = self.out / REVIEW_FOLDER
        write_report(folder, report_data(rows, duplicates, self.options, copies))
        s = self.summary
        s.exported = sum(r.state == states.EXPORTED for r in rows)
        s.review = sum(r.state == states.REVIEW for r in rows)
        s.failed = sum(r.state == states.FAILED for r in rows)
        s.samples = sum(len(r.entries) for r in rows if r.state == states.EXPORTED)
        s.report = str(folder / "report.json")

    def _review_info(self, model: FoundModel) -> ReviewInfo:
        folder = Path("models") / model.key
        labels = copy_folder(self.out, model.key) / label_file_name(model)
        return ReviewInfo((folder / model.source.file_name).as_posix(), (folder / label_file_name(model)).as_posix(),
                          sha256_of(labels if labels.is_file() else None))


def dataset_name(model: FoundModel) -> str:
    """The model's name in the dataset: its file's stem and the start of its content key (unique, stable)."""
    return f"{model.source.stem}-{model.key[:12]}"
