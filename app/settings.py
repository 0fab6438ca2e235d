"""The app's settings as one typed schema: every key has a type, a default and a line of help.

QSettings is only the storage. Code reads and writes through `settings.get(KEY)` / `settings.set(KEY, value)`, so
a typo is a NameError, a stored value of the wrong type falls back to the default (with a log line) instead of
leaking a string into a spin box, and `SCHEMA_VERSION` lets a later version migrate what an older one wrote.
Tests get fresh settings (tests/conftest.py points QSettings at a temporary folder).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QByteArray, QSettings

log = logging.getLogger(__name__)
T = TypeVar("T")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Key(Generic[T]):
    name: str
    type: type
    default: T
    help: str


SCHEMA: dict[str, Key[Any]] = {}


def _key(name: str, kind: type, default: T, help: str) -> Key[T]:  # `help` shadows a builtin: the schema's own word
    key = Key(name, kind, default, help)
    SCHEMA[name] = key
    return key


RECENT_FILES: Key[list[str]] = _key("files/recent", list, [],
                                    "Recently opened documents, newest first (File ▸ Open Recent).")
LAST_FILE = _key("files/last", str, "", "The document opened at start when none is given.")
WINDOW_GEOMETRY = _key("window/geometry", QByteArray, QByteArray(), "Main window position and size.")
WINDOW_STATE = _key("window/state", QByteArray, QByteArray(), "Dock and toolbar layout of the main window.")
WORKSPACE = _key("window/workspace", str, "stratify", "The workspace shown at start.")
THEME = _key("window/theme", str, "dark", "The colour theme: dark (as Krita and Blender) or light.")


def layout_key(workspace: str) -> Key[QByteArray]:
    """The saved panel layout of one workspace (its docks' places and visibility)."""
    name = f"window/layout/{workspace}"
    return SCHEMA.get(name) or _key(name, QByteArray, QByteArray(), f"Panel layout of the {workspace} workspace.")
MODELS_FOLDER = _key("models/folder", str, "", "Folder holding downloaded models (also $SEETHROUGH_MODELS).")
LAYER_MODEL = _key("decompose/layer_model", str, "", "Layer model folder; empty: the installed one.")
DEPTH_MODEL = _key("decompose/depth_model", str, "", "Depth model folder; empty: the installed one.")
def _decompose_key(name: str, kind: type, field: str) -> Key[Any]:
    """A stored Decompose option whose default and help are `DecomposeOptions`' declared ones."""
    from seethrough.core.decompose.options import DecomposeOptions
    from seethrough.core.operations.params import param_named

    p = param_named(DecomposeOptions, field)
    return _key(f"decompose/{name}", kind, p.default, p.spec.help)


TAGSET: Key[str] = _decompose_key("tagset", str, "tagset")
RESOLUTION: Key[int] = _decompose_key("resolution", int, "resolution")
DEPTH_RESOLUTION: Key[int] = _decompose_key("depth_resolution", int, "depth_resolution")
STEPS: Key[int] = _decompose_key("steps", int, "steps")
SEED: Key[int] = _decompose_key("seed", int, "seed")
OFFLOAD: Key[str] = _decompose_key("offload", str, "offload")
DEVICE: Key[str] = _decompose_key("device", str, "device")
SPEED = _key("decompose/speed", str, "auto",
             "Speed settings: auto (chosen for the GPU found) or eager (every speed-up off; docs/speed.md).")
WITH_DEPTH: Key[bool] = _decompose_key("depth", bool, "depth")
AUTOSAVE_MINUTES = _key("autosave/minutes", int, 5, "Autosave the open document every N minutes (0: never).")
ANIMATION_FOLDER = _key("animation/folder", str, "",
                        "Folder of the last animation export (Preview ▸ Export animation…); empty: the document's.")
ANIMATION_FORMAT = _key("animation/format", str, ".mp4",
                        "File type of the last animation export: .mp4, .gif, .webp, or empty for PNG frames.")
ANIMATION_MOTION = _key("animation/motion", str, "turntable",
                        "Motion of the last animation export: a preset, or recorded.")
ANIMATION_SECONDS = _key("animation/seconds", float, 4.0, "Duration of an exported animation (seconds).")
ANIMATION_FPS = _key("animation/fps", int, 30, "Frames per second of an exported animation.")
ANIMATION_SIZE = _key("animation/longest_side", int, 1024, "Longest side of an exported animation (0: canvas size).")
ANIMATION_BACKGROUND = _key("animation/background", str, "transparent",
                            "Background of an exported animation: transparent, #rrggbb or r,g,b.")
ANIMATION_LOOP = _key("animation/loop", int, 0, "How often an exported GIF/WebP repeats (0: forever).")
DATASET_FOLDER = _key("annotate/dataset_folder", str, "",
                      "Folder of the last dataset export (Annotate ▸ Export dataset…): the next export adds to it.")


class Settings:
    """Typed access to the stored settings."""

    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()
        stored = self.store.value("schema/version")
        version = int(stored) if stored not in (None, "") and str(stored).isdigit() else 0
        if version > SCHEMA_VERSION:
            log.warning("settings were written by a newer version (%s); unknown keys are ignored", version)
        elif version < SCHEMA_VERSION:
            self.store.setValue("schema/version", SCHEMA_VERSION)

    def get(self, key: Key[T]) -> T:
        raw = self.store.value(key.name)
        if raw is None:
            return _copy(key.default)
        try:
            return _coerce(raw, key)
        except (TypeError, ValueError):
            log.warning("setting %s: %r is not a %s; using the default", key.name, raw, key.type.__name__)
            return _copy(key.default)

    def set(self, key: Key[T], value: T) -> None:
        self.store.setValue(key.name, _coerce(value, key))

    def reset(self, key: Key[Any]) -> None:
        self.store.remove(key.name)


def _copy(value: T) -> T:
    return list(value) if isinstance(value, list) else value  # type: ignore[return-value]


def _coerce(raw: Any, key: Key[T]) -> T:
    kind = key.type
    if kind is bool:
        if isinstance(raw, str):
            if raw.lower() not in ("true", "false", "1", "0"):
                raise ValueError(raw)
            return raw.lower() in ("true", "1")  # type: ignore[return-value]
        return bool(raw)  # type: ignore[return-value]
    if kind is int:
        return int(raw)  # type: ignore[return-value]
    if kind is float:
        value = float(raw)
        if not math.isfinite(value):
            raise ValueError(raw)
        return value  # type: ignore[return-value]
    if kind is str:
        if isinstance(raw, (list, dict)):
            raise TypeError(raw)
        return str(raw)  # type: ignore[return-value]
    if kind is list:
        if isinstance(raw, str):
            return [raw] if raw else []  # type: ignore[return-value]
        return [str(v) for v in raw if v]  # type: ignore[return-value]
    if kind is QByteArray:
        if not isinstance(raw, (QByteArray, bytes)):
            raise TypeError(raw)
        return QByteArray(raw)  # type: ignore[return-value]
    raise TypeError(kind)
