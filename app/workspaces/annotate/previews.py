"""Two previews of the selection (paper Figure 10 C): the first selected fragment alone, its full texture with the
part other fragments hide, and every fragment sharing its tag composited together on the whole frame, so that a
wrongly tagged fragment stands out where it does not belong."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from seethrough.annotation.session import AnnotationState
from seethrough.app.canvas import to_qimage

#: each preview's side: two and their spacing fit a 340-pixel side panel with its scroll bar
SIDE = 156


def on_checkerboard(rgba: np.ndarray, cell: int = 8) -> np.ndarray:
    """RGB of straight-alpha RGBA over a light checkerboard (transparency stays readable)."""
    h, w = rgba.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    board = np.where(((ys // cell + xs // cell) % 2)[..., None] == 0, 236, 212).astype(np.float32)
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    out = rgba[..., :3] * a + board * (1 - a)
    return np.concatenate([out.round().astype(np.uint8), np.full((h, w, 1), 255, np.uint8)], axis=-1)


class SelectionPreviews(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fragment = QLabel()
        self.tag = QLabel()
        self.fragment_caption = QLabel("Fragment")
        self.tag_caption = QLabel("Its tag")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for column, (image, caption) in enumerate(((self.fragment, self.fragment_caption),
                                                   (self.tag, self.tag_caption))):
            image.setFixedSize(SIDE, SIDE)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            image.setStyleSheet("background: #f4f4f4; border: 1px solid #c8c8c8")
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            caption.setWordWrap(True)
            caption.setFixedWidth(SIDE)
            layout.addWidget(image, 0, column)
            layout.addWidget(caption, 1, column)
        layout.setRowStretch(2, 1)  # extra height goes below the captions, not between a preview and its caption
        self.show_state(None)

    def _set(self, label: QLabel, rgba: np.ndarray | None, text: str = "") -> None:
        if rgba is None:
            label.setPixmap(QPixmap())
            label.setText(text)
            return
        pix = QPixmap.fromImage(to_qimage(on_checkerboard(rgba)))
        label.setPixmap(pix.scaled(SIDE - 4, SIDE - 4, Qt.AspectRatioMode.KeepAspectRatio,
                                   Qt.TransformationMode.SmoothTransformation))

    def show_state(self, state: AnnotationState | None) -> None:
        if state is None or not state.selected:
            self._set(self.fragment, None, "select a fragment")
            self._set(self.tag, None, "")
            self.fragment_caption.setText("Fragment")
            self.tag_caption.setText("Its tag")
            return
        mid = state.selected[0]
        more = f" (+{len(state.selected) - 1})" if len(state.selected) > 1 else ""
        self._set(self.fragment, state.fragment(mid))
        self.fragment_caption.setText(f"{mid}{more}")
        tag = state.labels.tag(mid)
        if tag:
            count = sum(1 for t in state.labels.tags().values() if t == tag)
            self._set(self.tag, state.tag_preview(tag))
            self.tag_caption.setText(f"all “{tag}” ({count})")
        else:
            self._set(self.tag, None, "untagged")
            self.tag_caption.setText("Its tag")
