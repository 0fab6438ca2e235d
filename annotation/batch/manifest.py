"""The batch's record of each model's state, in SQLite (`DATASET/.batch/manifest.sqlite`): every change is one
transaction, so a batch killed at any moment leaves the record of the last finished step.

A model's row says what was done (`state`: committing, exported, review, failed), for which inputs (`work`: the
options' work key, `labels_sha`: the label file it read, or the one it wrote for review) and what is in the dataset
for it (`items`: its sample folders or its shard; `entries`: its samples' index entries). `committing` is the one
transient state: set before a model's files are written, with every item it may leave, so that a resumed batch
knows what to remove when a kill came in between.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = 1
COMMITTING, EXPORTED, REVIEW, FAILED = "committing", "exported", "review", "failed"


@dataclass(frozen=True)
class Row:
    key: str
    name: str
    source: str
    state: str
    work: str
    labels_sha: str
    reason: str
    metrics: dict[str, Any]
    items: list[str]
    entries: list[dict]
    seconds: float
    peak_rss: int


_COLUMNS = "key, name, source, state, work, labels_sha, reason, metrics, items, entries, seconds, peak_rss"


class Manifest:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit; transactions are explicit
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a killed process loses no transaction
        with self._transaction():
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._db.execute("CREATE TABLE IF NOT EXISTS models (key TEXT PRIMARY KEY, name TEXT, source TEXT, "
                             "state TEXT, work TEXT, labels_sha TEXT, reason TEXT, metrics TEXT, items TEXT, "
                             "entries TEXT, seconds REAL, peak_rss INTEGER, updated REAL)")
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA),))

    def close(self) -> None:
        self._db.close()

    def _transaction(self) -> Any:
        return _Transaction(self._db)

    # --- meta ------------------------------------------------------------------------------------------------
    def meta(self, name: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, name: str, value: str) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    # --- models ----------------------------------------------------------------------------------------------
    def get(self, key: str) -> Row | None:
        raw = self._db.execute(f"SELECT {_COLUMNS} FROM models WHERE key = ?", (key,)).fetchone()
        return None if raw is None else _row(raw)

    def rows(self, state: str | None = None) -> Iterator[Row]:
        """Rows in key order (all, or those in `state`)."""
        query = f"SELECT {_COLUMNS} FROM models" + (" WHERE state = ?" if state else "") + " ORDER BY key"
        for raw in self._db.execute(query, (state,) if state else ()).fetchall():
            yield _row(raw)

    def begin_commit(self, key: str, name: str, source: str, items: Sequence[str]) -> None:
        """Before a model's files change: the row says `committing` and lists every item it may leave."""
        with self._transaction():
            self._db.execute(
                "INSERT INTO models (key, name, source, state, items, entries, metrics, work, labels_sha, reason, "
                "seconds, peak_rss, updated) VALUES (?, ?, ?, ?, ?, '[]', '{}', '', '', '', 0, 0, ?) "
                "ON CONFLICT(key) DO UPDATE SET name = excluded.name, source = excluded.source, "
                "state = excluded.state, items = excluded.items, updated = excluded.updated",
                (key, name, source, COMMITTING, json.dumps(list(items)), time.time()))

    def finish(self, key: str, state: str, work: str, labels_sha: str, reason: str, metrics: dict[str, Any],
               items: Sequence[str], entries: Sequence[dict], seconds: float, peak_rss: int) -> None:
        with self._transaction():
            self._db.execute(
                "UPDATE models SET state = ?, work = ?, labels_sha = ?, reason = ?, metrics = ?, items = ?, "
                "entries = ?, seconds = ?, peak_rss = ?, updated = ? WHERE key = ?",
                (state, work, labels_sha, reason, json.dumps(metrics, allow_nan=False), json.dumps(list(items)),
                 json.dumps(list(entries), ensure_ascii=False), seconds, peak_rss, time.time(), key))

    def forget(self, key: str) -> None:
        with self._transaction():
            self._db.execute("DELETE FROM models WHERE key = ?", (key,))


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")


def _row(raw: tuple) -> Row:
    key, name, source, state, work, labels_sha, reason, metrics, items, entries, seconds, peak_rss = raw
    return Row(key, name or "", source or "", state, work or "", labels_sha or "", reason or "",
               json.loads(metrics or "{}"), json.loads(items or "[]"), json.loads(entries or "[]"),
               float(seconds or 0.0), int(peak_rss or 0))
