"""The Select menu, the selection half of the Edit menu, the Layer menu's masks and the canvas's context menu (Krita's
names and keys where it has them), with the marching ants (app/selection_overlay.py).

Every entry is one operation run through `run_operation` (app/operations.py), so it is one undo step and part of
the operation log: `select` (all, deselect, reselect, invert, grow, shrink, feather, layer alpha, tag), `selection`
(delete, cut or copy to a new layer, move to a layer, fill, restore, inpaint) and `mask` (add, apply, delete,
disable, enable). Re-decompose region is the one exception: the selection's box becomes the region Decompose works on.
Entries are enabled only when they can run (a selection, a current layer, a mask, a workspace that shows the
document), so their keys do nothing elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import QColorDialog, QDialog, QMenu

from seethrough.app.errors import show_error
from seethrough.app.menus.selection_dialogs import MoveToLayerDialog, RadiusDialog
from seethrough.app.operations import run_operation
from seethrough.app.selection_overlay import SelectionOverlay
from seethrough.core.errors import SeeThroughError
from seethrough.core.operations import Operation, layer_ref
from seethrough.core.operations.editing import Mask, Select, SelectionAction

if TYPE_CHECKING:
    from seethrough.app.main_window import MainWindow

#: what an entry needs before it can run
DOC, SELECTION, LAYER, LAYER_SELECTION, SOURCE_SELECTION, NO_MASK, MASK, DESELECTED = (
    "doc", "selection", "layer", "layer+selection", "source+selection", "no-mask", "mask", "deselected")
#: the radius the Grow / Shrink / Feather dialogs start with (px)
DEFAULT_RADIUS = 4


class EditingMenus(QObject):
    """Builds the menus on `window` (see the module doc); `edit` is the window's Edit menu."""

    def __init__(self, window: MainWindow, edit: QMenu) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.jobs = window.jobs
        self.canvas = window.canvas
        self.ants = SelectionOverlay(self.canvas)
        #: the foreground colour for Fill (the brush's colour chips set this; without it a colour dialog asks)
        self.colour_source: Callable[[], QColor | None] | None = None
        self.last_fill = QColor(0, 0, 0)
        self.radius: dict[str, int] = {}
        #: the dialog open now (tests and the dialogs' own callbacks reach it here)
        self.dialog: QDialog | None = None
        self.actions: dict[str, QAction] = {}
        self._needs: dict[str, str] = {}
        self._build_edit(edit)
        self.layer_menu = window.menuBar().addMenu("&Layer")
        self._build_layer(self.layer_menu)
        self.select_menu = window.menuBar().addMenu("&Select")
        self._build_select(self.select_menu)
        self.canvas.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.canvas.customContextMenuRequested.connect(self._context_menu)
        session = self.session
        for signal in (session.selection_changed, session.layers_changed, session.history_changed):
            signal.connect(self.update_actions)
        for carrying in (session.current_layer_changed, session.layer_changed, session.document_replaced,
                         window.host.switched, session.edit_mask_changed):
            carrying.connect(self.update_actions)
        self.update_actions()

    # --- building ---------------------------------------------------------------------------------------------------
    def _add(self, menu: QMenu, key: str, text: str, slot: Callable[[], Any], needs: str,
             shortcut: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(f"action-{key}")
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        menu.addAction(action)
        self.actions[key] = action
        self._needs[key] = needs
        self.window.actions_by_name[text.rstrip("…")] = action
        return action

    def _build_edit(self, menu: QMenu) -> None:
        menu.addSeparator()
        add = self._add
        add(menu, "cut-new-layer", "Cut Selection to New Layer", lambda: self.act("new-layer", cut=True),
            LAYER_SELECTION, "Ctrl+Shift+J", "Cut the selected pixels out of the layer into a new layer above it")
        add(menu, "copy-new-layer", "Copy Selection to New Layer", lambda: self.act("new-layer"), LAYER_SELECTION,
            "Ctrl+J", "Copy the selected pixels into a new layer above (tag, depth and look kept)")
        add(menu, "move-to-layer", "Move Selection to Layer…", self.move_to_layer, LAYER_SELECTION, None,
            "Move the selected pixels into another layer (or a new one); the target keeps its depth where it has "
            "pixels")
        add(menu, "delete", "Delete Selected Pixels", lambda: self.act("delete"), LAYER_SELECTION, "Del",
            "Erase the selected pixels of the current layer")
        add(menu, "fill", "Fill Selection with Foreground Colour", self.fill, LAYER_SELECTION, "Shift+Backspace",
            "Paint the selection on the current layer in the foreground colour")
        add(menu, "restore", "Restore Selection from the Illustration", lambda: self.act("restore"),
            SOURCE_SELECTION, None, "Put the source illustration's pixels back inside the selection")
        add(menu, "inpaint", "Inpaint Selection", self.inpaint, LAYER_SELECTION, None,
            "Invent the selected part of the layer from its surroundings (LaMa when installed, else OpenCV)")
        add(menu, "redecompose", "Re-decompose Selected Region", self.redecompose, SOURCE_SELECTION, None,
            "Run the layer model again on the selection's box (Decompose ▸ Re-decompose region)")

    def _build_select(self, menu: QMenu) -> None:
        add = self._add
        add(menu, "select-all", "Select All", lambda: self.select(action="all"), DOC, "Ctrl+A")
        add(menu, "deselect", "Deselect", lambda: self.select(action="none"), SELECTION, "Ctrl+Shift+A")
        add(menu, "reselect", "Reselect", lambda: self.select(action="reselect"), DESELECTED, "Ctrl+Shift+D",
            "Bring back the selection the last Deselect removed")
        add(menu, "invert", "Invert Selection", lambda: self.select(action="invert"), DOC, "Ctrl+Shift+I")
        menu.addSeparator()
        for action in ("grow", "shrink", "feather"):
            add(menu, action, f"{action.capitalize()} Selection…", partial(self.ask_radius, action), SELECTION)
        menu.addSeparator()
        add(menu, "select-opaque", "Select Opaque (Layer Alpha)", self.select_opaque, LAYER, None,
            "Select the current layer's pixels as drawn (soft where they are partly transparent)")
        self.tag_menu = menu.addMenu("Select by Tag")
        self.tag_menu.setObjectName("menu-select-tag")
        self.tag_menu.aboutToShow.connect(self._fill_tags)

    def _build_layer(self, menu: QMenu) -> None:
        add = self._add
        add(menu, "mask-add", "Add Mask", lambda: self.mask("add"), NO_MASK, None,
            "Add a layer mask: the selection shows, or everything when nothing is selected")
        add(menu, "mask-apply", "Apply Mask", lambda: self.mask("apply"), MASK, None,
            "Bake the mask into the layer's pixels and remove it")
        add(menu, "mask-delete", "Delete Mask", lambda: self.mask("delete"), MASK, None,
            "Remove the mask; the pixels are as they were")
        toggle = add(menu, "mask-toggle", "Disable Mask", self.toggle_mask, MASK, None,
                     "Draw the layer without its mask (kept), or with it again")
        toggle.setCheckable(False)
        menu.addSeparator()
        edit = add(menu, "mask-edit", "Edit Mask", lambda: None, MASK, "M",
                   "The brush paints the current layer's mask (black hides, white shows) instead of its pixels")
        edit.setCheckable(True)
        edit.toggled.connect(self.session.set_edit_mask)

    def _fill_tags(self) -> None:
        self.tag_menu.clear()
        doc = self.session.document
        tags = list(dict.fromkeys(layer.tag for layer in reversed(doc.layers) if layer.tag)) if doc else []
        for tag in tags:
            action = self.tag_menu.addAction(tag)
            action.triggered.connect(lambda _=False, t=tag: self.select(shape="tag", tag=t))
        if not tags:
            self.tag_menu.addAction("No tagged layers").setEnabled(False)

    def _context_menu(self, at: QPoint) -> None:
        if self.session.document is None:
            return
        menu = QMenu(self.canvas)
        for key in ("select-all", "deselect", "invert"):
            menu.addAction(self.actions[key])
        menu.addSeparator()
        for key in ("cut-new-layer", "copy-new-layer", "move-to-layer", "delete", "fill", "restore", "inpaint",
                    "redecompose"):
            menu.addAction(self.actions[key])
        self.context_menu = menu
        menu.popup(self.canvas.mapToGlobal(at))

    # --- state ------------------------------------------------------------------------------------------------------
    def can(self, needs: str) -> bool:
        """Whether an entry that `needs` this can run now."""
        doc, layer, active = self.session.document, self.session.current_layer, self.window.host.active
        if doc is None or (active is not None and not active.shows_document):
            return False
        selected = doc.selection is not None
        mask = layer.layer_mask if layer is not None else None
        return {
            DOC: True,
            SELECTION: selected,
            LAYER: layer is not None,
            LAYER_SELECTION: layer is not None and selected,
            SOURCE_SELECTION: layer is not None and selected and doc.source is not None,
            NO_MASK: layer is not None and mask is None,
            MASK: mask is not None,
            DESELECTED: not selected and doc.deselected is not None,
        }[needs]

    def update_actions(self, *_args: object) -> None:
        for key, action in self.actions.items():
            action.setEnabled(self.can(self._needs[key]))
        layer = self.session.current_layer
        mask = layer.layer_mask if layer is not None else None
        self.actions["mask-toggle"].setText("Enable Mask" if mask is not None and not mask.enabled else "Disable Mask")
        edit = self.actions["mask-edit"]
        edit.blockSignals(True)
        edit.setChecked(self.session.edit_mask)
        edit.blockSignals(False)

    # --- running ------------------------------------------------------------------------------------------------
    def run(self, build: Callable[[], Operation], background: bool = False) -> None:
        """Run the operation `build` makes (a refusal while building it is shown like any other)."""
        try:
            op = build()
        except SeeThroughError as exc:
            show_error(self.window, exc)
            return
        run_operation(self.session, self.jobs, op, self.window, background=background)

    def _current_ref(self) -> str | None:
        doc, layer = self.session.document, self.session.current_layer
        return None if doc is None or layer is None else layer_ref(doc, layer.uid)

    def select(self, background: bool = False, **values: Any) -> None:
        if self.session.document is not None:
            self.run(lambda: Select(**values), background)

    def select_opaque(self) -> None:
        ref = self._current_ref()
        if ref is not None:
            self.select(shape="layer-alpha", layer=ref)

    def ask_radius(self, action: str) -> None:
        dialog = RadiusDialog(action, self.radius.get(action, DEFAULT_RADIUS), self.window)
        dialog.accepted.connect(lambda: self._radius_chosen(dialog))
        self._open(dialog)

    def _radius_chosen(self, dialog: RadiusDialog) -> None:
        self.radius[dialog.action] = dialog.px
        self.select(background=True, action=dialog.action, px=dialog.px)

    def act(self, action: str, **values: Any) -> None:
        """One `selection` operation on the current layer (planned in a job)."""
        ref = self._current_ref()
        if ref is not None:
            self.run(lambda: SelectionAction(**{"action": action, "layer": ref, **values}))

    def move_to_layer(self) -> None:
        doc, layer = self.session.document, self.session.current_layer
        if doc is None or layer is None:
            return
        others = [(other.name, layer_ref(doc, other.uid)) for other in reversed(doc.layers) if other.uid != layer.uid]
        dialog = MoveToLayerDialog(layer.name, others, self.window)
        dialog.accepted.connect(lambda: self.act("to-layer", target=dialog.target))
        self._open(dialog)

    def fill(self) -> None:
        colour = self.colour_source() if self.colour_source is not None else None
        if colour is not None and colour.isValid():
            self._fill_with(colour)
            return
        dialog = QColorDialog(self.last_fill, self.window)
        dialog.setWindowTitle("Fill Selection with")
        dialog.colorSelected.connect(self._fill_with)
        self._open(dialog)

    def _fill_with(self, colour: QColor) -> None:
        self.last_fill = QColor(colour)
        self.act("fill", color=colour.name(QColor.NameFormat.HexRgb))

    def inpaint(self) -> None:
        self.act("inpaint", inpainter="lama" if lama_installed() else "opencv")

    def redecompose(self) -> None:
        """The selection's box becomes the region Re-decompose works on; Decompose shows its button."""
        doc = self.session.document
        if doc is None or doc.selection is None:
            return
        x0, y0, x1, y1 = doc.selection.extent
        self.session.set_region((x0, y0, x1, y1))
        self.session.go_to.emit("decompose")

    def mask(self, action: str) -> None:
        ref = self._current_ref()
        if ref is not None:
            values: dict[str, Any] = {"layer": ref, "action": action}
            self.run(lambda: Mask(**values))
            if action == "add":
                self.session.set_edit_mask(True)  # as in Krita, a new mask is the one being painted

    def toggle_mask(self) -> None:
        layer = self.session.current_layer
        if layer is not None and layer.layer_mask is not None:
            self.mask("enable" if not layer.layer_mask.enabled else "disable")

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self._closed(dialog))
        dialog.open()

    def _closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None


def lama_installed() -> bool:
    """Whether LaMa's weights are where the app looks for models (then Inpaint uses it)."""
    from seethrough.core.errors import ModelNotFound
    from seethrough.core.models.lama import find_lama

    try:
        find_lama()
    except ModelNotFound:
        return False
    return True
