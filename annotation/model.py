"""A Live2D model as the data engine sees it: ArtMeshes in a part hierarchy, parameters, canvas.

`ArtMesh.part_path` is the chain of part ids from the root down to the mesh's parent part, so rules can walk up
the hierarchy; `Part.name` is the artist's display name from `.cdi3.json` when the model has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


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
    blend_mode: str = "normal"


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
    core: object = None  # annotation.cubism_core.CoreModel for Cubism 3+
    pose_groups: list[list[list[str]]] = field(default_factory=list)

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
        values = self.core.parameter_values()  # type: ignore[attr-defined]
        return {p.id: float(v) for p, v in zip(self.parameters, values)}

    def set_parameters(self, values: Mapping[str, float]) -> None:
        """Set some parameters (clamped to their ranges); unknown ids raise KeyError. Call `update()` after."""
        if self.core is None:
            raise NotImplementedError("setting parameters needs the Cubism 3+ Core")
        current = self.core.parameter_values()  # type: ignore[attr-defined]
        index = {p.id: i for i, p in enumerate(self.parameters)}
        for pid, value in values.items():
            i = index[pid]
            p = self.parameters[i]
            current[i] = float(np.clip(value, p.min, p.max))
        self.core.set_parameter_values(current)  # type: ignore[attr-defined]

    def reset_parameters(self) -> None:
        self.set_parameters({p.id: p.default for p in self.parameters})

    def update(self) -> None:
        """Apply parameters (and the pose's part opacities) and refresh draw/render orders and opacities."""
        from annotation.loader import refresh_dynamic_state

        refresh_dynamic_state(self)
