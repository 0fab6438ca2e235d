"""Annotate workspace: time to open a model (load + label file + first raster at 1024) and to re-render the view
after a pose-slider move, split as the workspace splits it: the pose worker's part (raster + composite on its own
model copy) and the UI thread's part (set the parameters, take the raster, tag overlay with contours).

Run: SEETHROUGH_FIXTURES=... python -m bench.bench_annotate
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from seethrough.annotation.loader import load_model
from seethrough.annotation.render import ModelRaster, to_uint8
from seethrough.annotation.session import AnnotationState
from seethrough.core.paths import fixtures_dir


def main() -> None:
    for name in ("Mark", "Hiyori"):
        folder = fixtures_dir() / name
        if not folder.is_dir():
            print(f"{name}: fixture missing")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / name
            shutil.copytree(folder, copy)
            t = time.perf_counter()
            state = AnnotationState.open(copy)
            opened = time.perf_counter() - t
            copy_model = load_model(copy)
            worker, ui = [], []
            for i in range(10):
                values = {"ParamAngleX": -20.0 + 4 * i}
                t = time.perf_counter()
                copy_model.set_parameters(values)
                copy_model.update()
                raster = ModelRaster(copy_model, state.frame)
                composite = to_uint8(raster.composite({m.id for m in copy_model.artmeshes}))
                worker.append(time.perf_counter() - t)
                t = time.perf_counter()
                state.install_pose(values, raster, frozenset(), composite)
                state.overlay(0.45, True)
                ui.append(time.perf_counter() - t)
            t = time.perf_counter()
            state.selected = state.mesh_ids[:3]
            state.selection_mask(True)
            picked = time.perf_counter() - t
            print(f"{name}: {len(state.mesh_ids)} ArtMeshes, view {state.frame.width}x{state.frame.height}; "
                  f"open {opened:.2f} s; pose re-render: worker median {statistics.median(worker) * 1000:.0f} ms, "
                  f"UI thread median {statistics.median(ui) * 1000:.0f} ms (max {max(ui) * 1000:.0f} ms); "
                  f"see-through mask {picked * 1000:.1f} ms")


if __name__ == "__main__":
    main()
