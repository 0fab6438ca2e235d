"""Imports every module that defines operations, so that each registers itself (core.operations.registry)."""

from seethrough.core.operations import decomposing, editing, layer_edits, quality_fixes, splits  # noqa: F401
