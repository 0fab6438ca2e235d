"""Selections (docs/selections.md): the `Selection` value and its algebra (value), what can be selected (shapes),
the operations' parameters (params), selecting as commands (commands) and what can be done with the selected
pixels (actions). The selection is document state: `doc.selection`, changed only by commands, one undo step each.
"""

from seethrough.core.selection.actions import selection_command
from seethrough.core.selection.commands import SetSelection, select_action_command, select_command, selection_of
from seethrough.core.selection.params import SelectActionParams, SelectionActionParams, SelectParams
from seethrough.core.selection.value import Selection

__all__ = [
    "Selection",
    "SelectActionParams",
    "SelectParams",
    "SelectionActionParams",
    "SetSelection",
    "select_action_command",
    "select_command",
    "selection_command",
    "selection_of",
]
