"""Cubism 2 models (`.model.json` + `.moc`) through live2d-py's pure-Python Cubism 2 runtime (`live2d.v2`), no GL.

`live2d.v2.Model.LoadModelJson(..., create_renderer=False)` parses the moc, the pose, physics and motions but
creates no renderer, so nothing touches OpenGL. Its model context then gives, per drawable: deformed points
(canvas pixels, y down), UVs (already flipped to v-up, like the Cubism 3 Core's), triangles, texture number,
clip ids, the interpolated draw order and opacity, and the part it belongs to. Facts from
`docs/live2d-facts.md` §2.2:
- parts are flat in Cubism 2 (no part hierarchy);
- a drawable's opacity is `interpolated opacity × its part's opacity × its deformer's opacity`; the part
  opacity lives in `partsContextList` (live2d-py only copies it into the draw context during a GL draw);
- drawables are drawn in interpolated draw order, ties broken by index, double-sided;
- `colorCompositionType` 1 is additive (the old SDK calls it "screen"), 2 multiply.
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from seethrough.annotation.cubism_core import core_library, quiet_stdout
from seethrough.annotation.model import ArtMesh, Parameter, Part
from seethrough.annotation.pose import PoseGroups, cubism2_visibility_parameter, pose_part_opacities
from seethrough.core.errors import BadInput

BLEND_NAMES = {0: "normal", 1: "additive", 2: "multiply"}


def _import_v2():  # the live2d.v2 module
    core_library()  # imports live2d itself with local symbol binding first (the import-order trap)
    with quiet_stdout(), contextlib.redirect_stderr(io.StringIO()):
        import live2d.v2 as v2
    return v2


_SETTINGS_LOCK = threading.Lock()


@contextlib.contextmanager
def _settings_from(settings: dict[str, Any]) -> Iterator[None]:
    """While loading, live2d-py's Cubism 2 runtime reads `settings` instead of the settings file (whose optional
    entries may name files that are missing): its settings class is swapped for one fed from the dict."""
    from live2d.v2 import lapp_model

    original = lapp_model.ModelSettingJson

    class _GivenSettings(original):  # type: ignore[misc, valid-type]
        def loadModelSetting(self, path: str) -> None:  # the library's name
            self.json = settings

    with _SETTINGS_LOCK:
        lapp_model.ModelSettingJson = _GivenSettings
        try:
            yield
        finally:
            lapp_model.ModelSettingJson = original


class Cubism2Runtime:
    """One Cubism 2 model: parameters in, deformed geometry and per-drawable state out.

    `settings`: the `.model.json` content to use instead of the file's (the loader passes it with the missing
    or broken optional files left out, `annotation.optional_files`)."""

    def __init__(self, model_file: Path, settings: dict[str, Any] | None = None) -> None:
        v2 = _import_v2()
        try:
            with quiet_stdout(), contextlib.redirect_stderr(io.StringIO()):  # a banner and a deprecation notice
                self._v2_model = v2.Model()
                with _settings_from(settings) if settings is not None else contextlib.nullcontext():
                    self._v2_model.LoadModelJson(str(model_file), create_renderer=False)
        except (OSError, ValueError, IndexError, KeyError, TypeError, RuntimeError, AttributeError,
                UnicodeDecodeError, EOFError, ZeroDivisionError, struct.error, MemoryError, OverflowError,
                RecursionError) as exc:  # a truncated or damaged .moc fails anywhere inside the reader
            why = "its .moc is truncated or damaged" if isinstance(exc, (struct.error, EOFError)) else \
                f"{type(exc).__name__}: {exc}"
            raise BadInput(f"{model_file.name}: the Cubism 2 model could not be read ({why})") from exc
        self._model = self._v2_model.live2DModel
        self._ctx = self._model.getModelContext()
        self.pose_groups: PoseGroups = []

    # --- static description --------------------------------------------------------------------------------
    @property
    def drawable_count(self) -> int:
        return len(self._ctx.drawDataList)

    def canvas_size(self) -> tuple[float, float]:
        impl = self._model.getModelImpl()
        return float(impl.getCanvasWidth()), float(impl.getCanvasHeight())

    def parts(self) -> dict[str, Part]:
        return {str(p.getId()): Part(str(p.getId()), "", None) for p in self._ctx.partsDataList}

    def parameters(self) -> list[Parameter]:
        defaults = {}
        param_defs = self._model.getModelImpl().getParamDefSet()
        for d in (param_defs.getParamDefFloatList() or []) if param_defs is not None else []:
            if d is not None:
                defaults[str(d.getParamID())] = float(d.getDefaultValue())
        ctx = self._ctx
        return [Parameter(str(pid), "", float(ctx.paramMinValues[i]), float(ctx.paramMaxValues[i]),
                          defaults.get(str(pid), float(ctx.paramValues[i])))
                for i, pid in enumerate(ctx.paramIdList) if pid is not None]

    def artmeshes(self) -> list[ArtMesh]:
        ctx = self._ctx
        part_ids = [str(p.getId()) for p in ctx.partsDataList]
        meshes = []
        for i, (data, draw) in enumerate(zip(ctx.drawDataList, ctx.drawContextList)):
            pid = part_ids[draw.partsIndex] if 0 <= draw.partsIndex < len(part_ids) else None
            clips = data.getClipIDList() or []
            meshes.append(ArtMesh(
                id=str(data.getId()), name="", index=i, part_id=pid, part_path=(pid,) if pid else (),
                draw_order=0, render_order=0, opacity=1.0, texture_index=max(int(data.getTextureNo()), 0),
                mask_ids=tuple(str(c) for c in clips), blend_mode=BLEND_NAMES.get(data.colorCompositionType, "normal"),
                double_sided=True, glow=BLEND_NAMES.get(data.colorCompositionType) == "additive",
            ))
        return meshes

    # --- parameters ------------------------------------------------------------------------------------------
    def parameter_values(self) -> np.ndarray:
        return np.asarray(self._ctx.paramValues, np.float32)

    def set_parameter_values(self, values: np.ndarray) -> None:
        for i, v in enumerate(np.asarray(values, np.float64)):
            self._ctx.paramValues[i] = float(v)

    # --- update ------------------------------------------------------------------------------------------------
    def refresh(self, meshes: list[ArtMesh], parameter_ids: list[str]) -> None:
        """Apply the pose and the parameters, then copy orders, opacities and colours into `meshes`."""
        ctx = self._ctx
        if self.pose_groups:
            values = dict(zip(parameter_ids, (float(v) for v in ctx.paramValues)))
            index = {str(p.getId()): k for k, p in enumerate(ctx.partsDataList)}
            for pid, opacity in pose_part_opacities(self.pose_groups, values, cubism2_visibility_parameter).items():
                ctx.setPartsOpacity(index[pid], opacity)
        with quiet_stdout():
            self._model.update()
        orders = []
        for mesh in meshes:
            data, draw = ctx.drawDataList[mesh.index], ctx.drawContextList[mesh.index]
            available = bool(draw.isAvailable())
            order = data.getDrawOrder(draw)
            order = 0 if order is None or not math.isfinite(order) else int(math.floor(order))
            parts = ctx.partsContextList[draw.partsIndex]
            opacity = float(data.getOpacity(draw) or 0.0) * float(parts.getPartsOpacity()) * float(draw.baseOpacity)
            mesh.draw_order, mesh.visible_flag = order, available
            mesh.opacity = float(np.clip(opacity, 0.0, 1.0))
            mesh.multiply_color = tuple(float(c) for c in parts.multiplyColor[:3])  # type: ignore[assignment]
            mesh.screen_color = tuple(float(c) for c in parts.screenColor[:3])  # type: ignore[assignment]
            orders.append((order, mesh.index))
        rank = {index: r for r, (_, index) in enumerate(sorted(orders))}
        for mesh in meshes:
            mesh.render_order = rank[mesh.index]

    def geometry(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        data, draw = self._ctx.drawDataList[index], self._ctx.drawContextList[index]
        points = draw.getTransformedPoints()
        if points is None or data.indexArray is None:
            return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32), np.zeros((0, 3), np.int32)
        vertices = np.asarray(points, np.float64).reshape(-1, 2)
        uvs = np.asarray(data.uvs, np.float64).reshape(-1, 2)
        tris = np.asarray(data.indexArray, np.int32).reshape(-1, 3)
        return vertices, uvs, tris
