"""The tag palette: one button per tag with its colour chip, in pages of ten so that the number keys 1–9, 0 assign
the current page's tags to the whole selection. F2, F3, F4 switch to page 1, 2, 3 (the v3 set has 23 tags)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QButtonGroup, QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from seethrough.app.workspaces.annotate.mesh_model import chip

PAGE = 10
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0")
PAGE_KEYS = ("F2", "F3", "F4", "F5")


class TagPalette(QWidget):
    #: assign this tag to the selection
    tag_chosen = Signal(str)

    def __init__(self, shortcut_scope: QWidget, parent: QWidget | None = None) -> None:
        """`shortcut_scope`: the widget whose focus tree the number keys work in (the workspace)."""
        super().__init__(parent)
        self.tags: tuple[str, ...] = ()
        self.page = 0
        self.buttons: dict[str, QPushButton] = {}
        self.pages = QHBoxLayout()
        self.page_group = QButtonGroup(self)
        self.page_group.idClicked.connect(self.set_page)
        self.grid = QGridLayout()
        self.grid.setSpacing(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.pages)
        layout.addLayout(self.grid)
        layout.addStretch(1)  # a taller panel leaves its room below the buttons
        for i, key in enumerate(KEYS):
            QShortcut(QKeySequence(key), shortcut_scope, lambda i=i: self.press(i),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        for p, key in enumerate(PAGE_KEYS):
            QShortcut(QKeySequence(key), shortcut_scope, lambda p=p: self.set_page(p),
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def full_height(self) -> int:
        """The height a page takes: the page buttons and five rows of tag buttons (known before any tag set)."""
        row = QPushButton("0  front hair").sizeHint().height()
        layout = self.layout()
        spacing = layout.spacing() if layout is not None else 6
        return row + spacing + (PAGE // 2) * row + (PAGE // 2 - 1) * self.grid.spacing()

    def set_tags(self, tags: tuple[str, ...]) -> None:
        """Lay the buttons out for a tag set (v2 or v3)."""
        self.tags = tags
        for button in [*self.buttons.values(), *self.page_group.buttons()]:
            self.grid.removeWidget(button)
            self.pages.removeWidget(button)
            self.page_group.removeButton(button)
            button.deleteLater()
        self.buttons = {}
        for i, tag in enumerate(tags):
            button = QPushButton(chip(tag), tag)
            button.setStyleSheet("text-align: left; padding: 2px 6px")
            button.clicked.connect(lambda _=False, t=tag: self.tag_chosen.emit(t))
            self.grid.addWidget(button, (i % PAGE) // 2, i % 2)
            self.buttons[tag] = button
        for p in range((len(tags) + PAGE - 1) // PAGE):
            first, last = p * PAGE + 1, min((p + 1) * PAGE, len(tags))
            button = QPushButton(f"{first}–{last}")
            button.setCheckable(True)
            button.setToolTip(f"Page {p + 1} of the palette ({PAGE_KEYS[p] if p < len(PAGE_KEYS) else ''})")
            self.page_group.addButton(button, p)
            self.pages.addWidget(button)
        self.set_page(0)

    def set_page(self, page: int) -> None:
        if not 0 <= page * PAGE < max(len(self.tags), 1):
            return
        self.page = page
        if self.page_group.button(page):
            self.page_group.button(page).setChecked(True)
        for i, (tag, button) in enumerate(self.buttons.items()):
            on_page = i // PAGE == page
            button.setVisible(on_page)
            button.setText(f"{KEYS[i % PAGE]}  {tag}" if on_page else tag)

    def press(self, slot: int) -> None:
        """Number key `slot` (0 = key "1" … 9 = key "0") on the current page."""
        i = self.page * PAGE + slot
        if i < len(self.tags):
            self.tag_chosen.emit(self.tags[i])
