"""The tools this part of the editor adds to the tool bar, in order: the selection tools, then transform."""

from __future__ import annotations

from collections.abc import Callable

from seethrough.app.canvas import CanvasView
from seethrough.app.tools.base import Tool
from seethrough.app.tools.selection import EllipseSelectTool, RectSelectTool
from seethrough.app.tools.selection_lasso import LassoTool, PolygonLassoTool
from seethrough.app.tools.selection_wand import WandTool
from seethrough.app.tools.transform import TransformTool

SELECTION_TOOLS: list[Callable[[CanvasView], Tool]] = [
    RectSelectTool, EllipseSelectTool, LassoTool, PolygonLassoTool, WandTool, TransformTool,
]
