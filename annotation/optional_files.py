"""The optional files a Live2D model settings file names, checked so that none of them can stop the meshes loading.

A model is its moc and its textures; everything else a `.model3.json` / `.model.json` names (expressions,
motions, physics, pose, display info, user data) only animates or describes it. Packages in the wild often name
files they do not ship (the npm `live2d-widget-model-tsumiki` names `exp/f01.exp.json`), so each optional file is
checked here: a missing or unreadable one becomes a one-line warning on the loaded model (`Live2DModel.warnings`,
shown by `live2d info`) and is left out, and the meshes still load.

`clean_cubism2_settings` returns the settings with the bad optional entries removed, for live2d-py's Cubism 2
runtime, which reads every named file eagerly and fails on the first missing one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Cubism 3+ FileReferences keys that name one optional JSON file
CUBISM3_SINGLE = {"Physics": "physics", "Pose": "pose", "DisplayInfo": "display info", "UserData": "user data"}
#: Cubism 2 settings keys that name one optional JSON file
CUBISM2_SINGLE = {"physics": "physics", "pose": "pose"}


def problem(path: Path, json_file: bool = True) -> str | None:
    """Why an optional file cannot be used ("missing", "not valid JSON …"), or None when it is fine."""
    if not path.is_file():
        near = [p.name for p in path.parent.glob("*") if p.name.lower() == path.name.lower()] \
            if path.parent.is_dir() else []
        return f"missing ({near[0]} differs only in letter case)" if near else "missing"
    if not json_file:
        return None
    try:
        json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"not readable JSON ({type(exc).__name__}: {exc})"
    return None


def _warn(warnings: list[str], what: str, rel: str, why: str) -> None:
    warnings.append(f"{what} file {rel} {why}; ignored")


def check_cubism3(folder: Path, refs: dict[str, Any]) -> tuple[set[str], list[str]]:
    """(the FileReferences keys whose single file is usable, warnings) for a `.model3.json`."""
    usable: set[str] = set()
    warnings: list[str] = []
    for key, what in CUBISM3_SINGLE.items():
        rel = refs.get(key)
        if not rel:
            continue
        if not isinstance(rel, str):
            warnings.append(f"{what} entry is not a file name; ignored")
            continue
        why = problem(folder / rel)
        if why is None:
            usable.add(key)
        else:
            _warn(warnings, what, rel, why)
    expressions = refs.get("Expressions")
    for entry in expressions if isinstance(expressions, list) else []:
        rel = entry.get("File") if isinstance(entry, dict) else None
        if isinstance(rel, str) and (why := problem(folder / rel)) is not None:
            _warn(warnings, "expression", rel, why)
    motions = refs.get("Motions")
    for group in motions.values() if isinstance(motions, dict) else []:
        for entry in group if isinstance(group, list) else []:
            rel = entry.get("File") if isinstance(entry, dict) else None
            if isinstance(rel, str) and (why := problem(folder / rel)) is not None:
                _warn(warnings, "motion", rel, why)
    return usable, warnings


def clean_cubism2_settings(folder: Path, spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of a Cubism 2 `.model.json` without the optional entries whose files are missing or unreadable."""
    clean = dict(spec)
    warnings: list[str] = []
    for key, what in CUBISM2_SINGLE.items():
        rel = spec.get(key)
        if rel is None:
            continue
        why = problem(folder / rel) if isinstance(rel, str) else "is not a file name"
        if why is not None:
            _warn(warnings, what, str(rel), why)
            del clean[key]
    expressions = spec.get("expressions")
    if expressions is not None:
        kept = []
        for entry in expressions if isinstance(expressions, list) else []:
            rel = entry.get("file") if isinstance(entry, dict) else None
            why = problem(folder / rel) if isinstance(rel, str) else "has no file name"
            if why is None:
                kept.append(entry)
            else:
                _warn(warnings, "expression", str(rel), why)
        if not isinstance(expressions, list):
            warnings.append("expressions entry is not a list; ignored")
        clean["expressions"] = kept
    motions = spec.get("motions")
    if motions is not None:
        groups: dict[str, list] = {}
        for name, group in motions.items() if isinstance(motions, dict) else []:
            kept = []
            for entry in group if isinstance(group, list) else []:
                rel = entry.get("file") if isinstance(entry, dict) else None
                why = problem(folder / rel, json_file=False) if isinstance(rel, str) else "has no file name"
                if why is None:
                    kept.append(entry)
                else:
                    _warn(warnings, "motion", str(rel), why)
            groups[name] = kept
        if not isinstance(motions, dict):
            warnings.append("motions entry is not an object; ignored")
        clean["motions"] = groups
    return clean, warnings


def without_optional(spec: dict[str, Any]) -> dict[str, Any]:
    """The settings with every optional entry removed (the last resort when a named file is present but broken
    in a way only the runtime notices, e.g. a damaged motion)."""
    return {k: v for k, v in spec.items() if k not in ("physics", "pose", "expressions", "motions")}
