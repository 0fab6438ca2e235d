"""Loading Live2D models into `annotation.model.Live2DModel`, with clear errors for broken input.

Cubism 3+ (`.model3.json` + `.moc3`): through the Cubism Core (`annotation.cubism_core`), no GL. Display names
come from `.cdi3.json`; `.pose3.json` is applied by us (Core does not: in each group the first part and its links
are shown, the others hidden; `annotation.pose`). Cubism 2 (`.model.json` + `.moc`): through live2d-py's
pure-Python Cubism 2 runtime (`annotation.cubism2`), also without GL.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.annotation.blend_modes import blend_report, nearest_mode
from seethrough.annotation.model import ArtMesh, Live2DModel, Parameter, Part
from seethrough.annotation.optional_files import check_cubism3, clean_cubism2_settings, without_optional
from seethrough.annotation.pose import pose_part_opacities, read_pose
from seethrough.core.errors import BadInput
from seethrough.core.io import safe_json
from seethrough.core.io.regular import check_regular, open_regular, read_regular
from seethrough.core.io.schemas import Model2Json, Model3Json, validate

#: Core constant flags: blend mode bits, double-sided, inverted mask
BLEND_ADDITIVE, BLEND_MULTIPLICATIVE, DOUBLE_SIDED, INVERTED_MASK = 1 << 0, 1 << 1, 1 << 2, 1 << 3
#: Core dynamic flags: visible
DYNAMIC_VISIBLE = 1 << 0


def _read_json(path: Path, what: str) -> Any:
    return safe_json.read(path, what)


def _inside(folder: Path, rel: str, where: str) -> Path:
    """`folder/rel` for a reference the schema already checked (relative, no `..`): inside the model's folder.
    (Symlinks the user put in their own folder are followed; the file's text cannot name a path outside it.)"""
    return folder / rel.replace("\\", "/")


def _check_present(path: Path, where: str, what: str) -> None:
    """BadInput when a file the model names is missing, or is a FIFO, device or folder (never opened then)."""
    if not path.exists():
        raise BadInput(f"{where}: {what} is missing")
    check_regular(path, f"{where}: {what}")


def _textures(folder: Path, names: Sequence[str], where: str) -> list[Path]:
    """The model's texture paths, each checked to be a regular file (a missing one is named)."""
    textures = [_inside(folder, t, where) for t in names]
    missing = [t.name for t in textures if not t.exists()]
    if missing:
        raise BadInput(f"{where}: texture(s) missing: {', '.join(missing)}")
    for texture in textures:
        check_regular(texture, f"{where}: the texture {texture.name}")
    return textures


def find_model_file(path: Path) -> Path:
    """A `.model3.json` / `.model.json`, or the single one inside a folder."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("*.model3.json")) or sorted(path.glob("*.model.json"))
        if not found:
            raise BadInput(f"{path} holds no .model3.json or .model.json")
        return found[0]
    if not path.exists():
        raise BadInput(f"no such model file: {path}")
    if not (path.name.endswith(".model3.json") or path.name.endswith(".model.json")):
        raise BadInput(f"{path.name} is not a Live2D model file (.model3.json or .model.json)")
    return path


def load_model(path: str | Path) -> Live2DModel:
    model_file = find_model_file(Path(path))
    if model_file.name.endswith(".model.json"):
        return _load_cubism2(model_file)
    return _load_cubism3(model_file)


def _load_cubism2(model_file: Path) -> Live2DModel:
    from seethrough.annotation.cubism2 import Cubism2Runtime

    raw = _read_json(model_file, "model file")
    if not isinstance(raw, dict) or not raw.get("model"):
        raise BadInput(f"{model_file.name} has no \"model\" entry (the .moc file)")
    spec = validate(Model2Json, raw, model_file.name)
    folder = model_file.parent
    moc_path = _inside(folder, spec.model, model_file.name)
    _check_present(moc_path, model_file.name, f"the moc file {spec.model}")
    with open_regular(moc_path) as fh:
        if fh.read(3) != b"moc":
            raise BadInput(f"{moc_path.name}: not a Cubism 2 .moc file (unsupported or damaged)")
    textures = _textures(folder, spec.textures, model_file.name)
    settings, warnings = clean_cubism2_settings(folder, raw)  # raw: its paths were checked by the schema
    try:
        runtime = Cubism2Runtime(model_file, settings)
    except BadInput as first:  # a named optional file that is present but that the runtime cannot use
        bare = without_optional(settings)
        if bare == settings:
            raise
        runtime = Cubism2Runtime(model_file, bare)
        dropped = ", ".join(k for k in settings if k not in bare)
        warnings.append(f"the optional files ({dropped}) could not be used ({first}); ignored")
        settings = bare
    if runtime.drawable_count == 0:
        raise BadInput(f"{moc_path.name} has no ArtMeshes (zero drawables): nothing to label")
    parts = runtime.parts()
    runtime.pose_groups = _pose(folder, settings.get("pose"), parts, warnings)
    meshes = runtime.artmeshes()
    if any(m.texture_index >= len(textures) for m in meshes):
        raise BadInput(f"{model_file.name}: an ArtMesh uses texture #{max(m.texture_index for m in meshes)} but "
                       f"only {len(textures)} texture(s) are listed")
    model = Live2DModel(model_file, 2, meshes, parts, runtime.parameters(), runtime.canvas_size(), textures,
                        runtime, runtime.pose_groups, warnings=warnings, moc_file=moc_path)
    refresh_dynamic_state(model)
    return model


def _load_cubism3(model_file: Path) -> Live2DModel:
    from seethrough.annotation.cubism_core import CoreModel

    spec = _read_json(model_file, "model file")
    refs = spec.get("FileReferences") if isinstance(spec, dict) else None
    if not isinstance(refs, dict) or not refs.get("Moc"):
        raise BadInput(f"{model_file.name} has no FileReferences.Moc entry")
    checked = validate(Model3Json, spec, model_file.name).FileReferences
    folder = model_file.parent
    moc_path = _inside(folder, checked.Moc, model_file.name)
    _check_present(moc_path, model_file.name, f"the moc file {checked.Moc}")
    textures = _textures(folder, checked.Textures, model_file.name)
    core = CoreModel(read_regular(moc_path), name=moc_path.name)
    if core.drawable_count == 0:
        raise BadInput(f"{moc_path.name} has no ArtMeshes (zero drawables): nothing to label")

    usable, warnings = check_cubism3(folder, refs)  # optional files: refs already checked to stay in the folder
    names = _display_names(folder / refs["DisplayInfo"]) if "DisplayInfo" in usable else {}
    part_ids = core.part_ids()
    parents = core.part_parents()
    parts = {pid: Part(pid, names.get(("part", pid), ""), part_ids[p] if p >= 0 else None)
             for pid, p in zip(part_ids, parents)}
    for part in parts.values():
        if part.parent_id is not None:
            parts[part.parent_id].children.append(part.id)
    lo, hi, default = core.parameter_ranges()
    parameters = [Parameter(pid, names.get(("parameter", pid), ""), float(a), float(b), float(d))
                  for pid, a, b, d in zip(core.parameter_ids(), lo, hi, default)]
    ids = core.drawable_ids()
    parent_index = core.drawable_ints("csmGetDrawableParentPartIndices")
    textures_idx = core.drawable_ints("csmGetDrawableTextureIndices")
    flags = core.drawable_flags()
    masks = core.masks()
    meshes = []
    for i, mesh_id in enumerate(ids):
        pid = part_ids[parent_index[i]] if parent_index[i] >= 0 else None
        blend = ("additive" if flags[i] & BLEND_ADDITIVE else
                 "multiply" if flags[i] & BLEND_MULTIPLICATIVE else "normal")
        if not 0 <= textures_idx[i] < len(textures):
            raise BadInput(f"{model_file.name}: ArtMesh {mesh_id} uses texture #{textures_idx[i]} but only "
                           f"{len(textures)} texture(s) are listed")
        meshes.append(ArtMesh(
            id=mesh_id, name=names.get(("artmesh", mesh_id), ""), index=i, part_id=pid,
            part_path=_part_path(parts, pid), draw_order=0, render_order=0, opacity=1.0,
            texture_index=int(textures_idx[i]), mask_ids=tuple(ids[m] for m in masks[i] if m >= 0), blend_mode=blend,
            inverted_mask=bool(flags[i] & INVERTED_MASK), double_sided=bool(flags[i] & DOUBLE_SIDED),
            glow=blend == "additive",
        ))
    _apply_blend_report(core, meshes, part_ids, warnings)
    size, _, _ = core.canvas()
    pose = _pose(folder, refs["Pose"] if "Pose" in usable else None, parts, warnings)
    model = Live2DModel(model_file, 3, meshes, parts, parameters, size, textures, core, pose, warnings=warnings,
                        moc_file=moc_path)
    refresh_dynamic_state(model)
    return model


def _pose(folder: Path, rel: str | None, parts: dict[str, Part], warnings: list[str]) -> list[list[list[str]]]:
    """The pose groups, or none (with a warning) when the pose file cannot be used."""
    if not rel:
        return []
    try:
        return read_pose(folder / rel, parts)
    except BadInput as exc:
        warnings.append(f"pose file {rel}: {exc}; ignored")
        return []


def _display_names(path: Path) -> dict[tuple[str, str], str]:
    if not path.is_file():
        return {}
    data = _read_json(path, "display info")
    out = {}
    for key, kind in (("Parts", "part"), ("Parameters", "parameter"), ("ArtMeshes", "artmesh")):
        for entry in data.get(key, []) if isinstance(data, dict) else []:
            if isinstance(entry, dict) and entry.get("Id"):
                out[(kind, entry["Id"])] = str(entry.get("Name", ""))
    return out


def _part_path(parts: dict[str, Part], pid: str | None) -> tuple[str, ...]:
    path: list[str] = []
    seen = set()
    while pid is not None and pid not in seen:
        seen.add(pid)
        path.append(pid)
        pid = parts[pid].parent_id
    return tuple(reversed(path))


def refresh_dynamic_state(model: Live2DModel) -> None:
    """Apply the pose (first entry of each group visible), update the Core, and copy the per-drawable state
    that depends on parameters (draw/render orders, opacities, visibility) into the ArtMeshes."""
    core = model.core
    if core is None:
        return
    if model.version == 2:
        core.refresh(model.artmeshes, [p.id for p in model.parameters])
        return
    if model.pose_groups:
        opacities = core.part_opacities()
        index = {pid: i for i, pid in enumerate(model.parts)}
        for pid, value in pose_part_opacities(model.pose_groups, model.parameter_values()).items():
            opacities[index[pid]] = value
        core.set_part_opacities(opacities)
    core.update()
    multiply, screen = core.colors(), core.colors(screen=True)
    draw = core.drawable_ints("csmGetDrawableDrawOrders")
    render = core.render_orders()
    opacity = core.drawable_opacities()
    dynamic = core.drawable_flags(dynamic=True)
    for mesh in model.artmeshes:
        i = mesh.index
        mesh.draw_order, mesh.render_order = int(draw[i]), int(render[i])
        mesh.opacity = float(opacity[i])
        mesh.visible_flag = bool(dynamic[i] & DYNAMIC_VISIBLE) and not mesh.cut_out
        mesh.multiply_color = tuple(float(c) for c in multiply[i, :3])  # type: ignore[assignment]
        mesh.screen_color = tuple(float(c) for c in screen[i, :3])  # type: ignore[assignment]


def _apply_blend_report(core: Any, meshes: list[ArtMesh], part_ids: list[str], warnings: list[str]) -> None:
    """Cubism 5.3 blending the renderer approximates: each mesh's nearest blend mode, the meshes that cut their
    group marked, one warning. (`core` is an `annotation.cubism_core.CoreModel`, imported lazily.)"""
    codes = core.blend_modes()
    if codes is None:
        return
    offscreens = {part_ids[owner]: code for owner, code in core.offscreens() if 0 <= owner < len(part_ids)}
    report = blend_report({m.id: int(codes[m.index]) for m in meshes}, {m.id: m.part_path for m in meshes},
                          offscreens)
    for mesh in meshes:
        mesh.cut_out = mesh.id in report.cut_out
        mesh.glow = mesh.id in report.lightening
        mesh.blend_mode = nearest_mode(int(codes[mesh.index]))  # the constant flags know only the older two
    if report.warning:
        warnings.append(report.warning)


def vertices_in_pixels(model: Live2DModel, mesh: ArtMesh) -> np.ndarray:
    """A mesh's deformed vertices in the model's canvas pixels (y down)."""
    return np.asarray(model.geometry(mesh)[0])
