"""The canvas tools in tool-bar order: each entry builds one tool for the window's canvas. A new tool is one line
here (and its module)."""

from __future__ import annotations

from collections.abc import Callable

from seethrough.app.canvas import CanvasView
from seethrough.app.tools.base import Tool
from seethrough.app.tools.brush import BrushTool
from seethrough.app.tools.navigation import PanTool, RegionTool
from seethrough.app.tools.selection_tools import SELECTION_TOOLS

#: (tool factory) in tool-bar order; the first is active at start
TOOLS: list[Callable[[CanvasView], Tool]] = [
    PanTool,
    RegionTool,
    BrushTool,
    *SELECTION_TOOLS,  # rectangle, ellipse, lasso, polygon, wand (app/tools/selection*.py) and transform
]


def default_tools(canvas: CanvasView) -> list[Tool]:
    return [factory(canvas) for factory in TOOLS]
