"""The brush engine (no Qt): round anti-aliased dabs on tiled layers, one stroke = one command (docs/painting.md)."""

from seethrough.core.brush.command import STROKE_TEXT, resolve_layer, stroke_command
from seethrough.core.brush.engine import StrokeEngine, StrokeMask
from seethrough.core.brush.params import MAX_POINTS, STROKE_LIMITS, TOOLS, StrokeParams

__all__ = [
    "MAX_POINTS",
    "STROKE_LIMITS",
    "STROKE_TEXT",
    "TOOLS",
    "StrokeEngine",
    "StrokeMask",
    "StrokeParams",
    "resolve_layer",
    "stroke_command",
]
