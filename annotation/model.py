"""A Live2D model as the data engine sees it: ArtMeshes in a part hierarchy, parameters, canvas.

`ArtMesh.part_path` is the chain of part ids from the root down to the mesh's parent part, so rules can walk up
the hierarchy; `Part.name` is the artist's display name from `.cdi3.json` when the model has one.

The model is backed by a *runtime* (`Live2DModel.core`): `annotation.cubism_core.CoreModel` for Cubism 3+ (the
Cubism Core through ctypes) or `annotation.cubism2.Cubism2Runtime` for Cubism 2 (live2d-py's pure-Python runtime).
Both answer the same small protocol (`Runtime` below), so rendering and export never ask which one it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np


class Runtime(Protocol):
    """What the data engine needs from a Cubism runtime (both Cubism 2 and 3+ implement it)."""

    def parameter_values(self) -> np.ndarray: ...

    def set_parameter_values(self, values: np.ndarray) -> None: ...

    def geometry(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(vertices (n, 2) in canvas pixels, y down; UVs (n, 2) with v up; triangles (m, 3) int)."""
        ...


@dataclass(frozen=True)
class Parameter:
    id: str
    name: str
    min: float
    max: float
    default: float


@dataclass
class Part:
    id: str
    name: str
    parent_id: str | None
    children: list[str] = field(default_factory=list)


@dataclass
class ArtMesh:
    id: str
    name: str
    index: int  # drawable index in the moc
    part_id: str | None
    part_path: tuple[str, ...]
    draw_order: int
    render_order: int
    opacity: float
    texture_index: int
    mask_ids: tuple[str, ...]
    visible_flag: bool = True
    blend_mode: str = "normal"  # "normal" | "additive" | "multiply"
    inverted_mask: bool = False  # the clipping mask is inverted (draw outside the masks)
    double_sided: bool = True  # False: back-facing triangles are culled (Cubism 3+ only)
    multiply_color: tuple[float, float, float] = (1.0, 1.0, 1.0)  # at the current pose
    screen_color: tuple[float, float, float] = (0.0, 0.0, 0.0)
    cut_out: bool = False  # Cubism 5.3 alpha blend 'out': it cuts its group, never drawn (annotation.blend_modes)
    #: it lightens what is under it: additive (constant flag, Cubism 2 composition) or a Cubism 5.3 add, add-glow,
    #: lighten, screen or colour dodge, its own or its offscreen's (annotation.blend_modes.lightens): a glow
    glow: bool = False


@dataclass
class Live2DModel:
    """Loaded model; `set_parameters` then `update()` deforms it (drawables re-read from the Core)."""

    path: Path
    version: int  # Cubism major version family: 3 (moc3) or 2 (moc)
    artmeshes: list[ArtMesh]
    parts: dict[str, Part]
    parameters: list[Parameter]
    canvas_size: tuple[float, float]  # in the model's own pixels
    textures: list[Path]
    core: Any = None  # annotation.cubism_core.CoreModel for Cubism 3+ (the Cubism 2 wrapper for version 2)
    pose_groups: list[list[list[str]]] = field(default_factory=list)
    #: problems with optional files (expressions, motions, physics, pose, display info) that were skipped
    warnings: list[str] = field(default_factory=list)
    #: the moc file the model was loaded from (its bytes are part of the model's identity: annotation.model_identity)
    moc_file: Path | None = None
    #: incremented by every `update()`: renders cached for an older state are stale
    state_version: int = field(default=0, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The model's name: its file name without the `.model3.json` / `.model.json` suffix."""
        return self.path.name.split(".")[0]

    def artmesh(self, mesh_id: str) -> ArtMesh:
        for mesh in self.artmeshes:
            if mesh.id == mesh_id:
                return mesh
        raise KeyError(mesh_id)

    def part_tree(self) -> dict:
        """{"id", "name", "children": [...], "artmeshes": [ids]} from the roots down."""
        meshes_by_part: dict[str | None, list[str]] = {}
        for mesh in self.artmeshes:
            meshes_by_part.setdefault(mesh.part_id, []).append(mesh.id)

        def node(pid: str) -> dict:
            part = self.parts[pid]
            return {"id": pid, "name": part.name, "children": [node(c) for c in part.children],
                    "artmeshes": meshes_by_part.get(pid, [])}

        roots = [node(pid) for pid, p in self.parts.items() if p.parent_id is None]
        return {"id": "_root", "name": "", "children": roots, "artmeshes": meshes_by_part.get(None, [])}

    def parameter_values(self) -> dict[str, float]:
        if self.core is None:
            return {p.id: p.default for p in self.parameters}
        values = self.core.parameter_values()
        return {p.id: float(v) for p, v in zip(self.parameters, values)}

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Set some parameters (clamped to their ranges); unknown ids raise KeyError. Call `update()` after."""
        if self.core is None:
            raise NotImplementedError("setting parameters needs a Cubism runtime")
        current = self.core.parameter_values()
        index = {p.id: i for i, p in enumerate(self.parameters)}
        for pid, value in values.items():
            i = index[pid]
            p = self.parameters[i]
            current[i] = float(np.clip(value, p.min, p.max))
        self.core.set_parameter_values(current)

    def reset_parameters(self) -> None:
        self.set_parameters({p.id: p.default for p in self.parameters})

    def update(self) -> None:
        """Apply parameters (and the pose's part opacities) and refresh draw/render orders and opacities."""
        from seethrough.annotation.loader import refresh_dynamic_state

        refresh_dynamic_state(self)
        self.state_version += 1
        self._cache.clear()

    def geometry(self, mesh: ArtMesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A mesh's deformed vertices (canvas pixels, y down), UVs (v up) and triangles at the current pose."""
        if self.core is None:
            raise NotImplementedError("geometry needs a Cubism runtime")
        return self.core.geometry(mesh.index)

    def pose_summary(self) -> dict[str, float]:
        """The parameters that differ from their defaults (what a dataset records as the sample's pose)."""
        values = self.parameter_values()
        return {p.id: round(values[p.id], 4) for p in self.parameters if abs(values[p.id] - p.default) > 1e-6}
