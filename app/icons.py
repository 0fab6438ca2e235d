"""The project's icons (resources/icons/*.svg, drawn for it): one stroke colour, painted in the theme's text colour
so that they read on the dark and the light theme alike."""

from __future__ import annotations

from functools import cache
from importlib import resources

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

SIZES = (16, 20, 24, 32, 48)


@cache
def _svg(name: str) -> str:
    return (resources.files("seethrough.resources") / "icons" / f"{name}.svg").read_text(encoding="utf-8")


def names() -> list[str]:
    folder = resources.files("seethrough.resources") / "icons"
    return sorted(entry.name[:-4] for entry in folder.iterdir() if entry.name.endswith(".svg"))


def _render(svg: str, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    painter = QPainter(pixmap)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return pixmap


def _coloured(svg: str, colour: QColor) -> str:
    """The SVG drawn in `colour` (SVG takes #rrggbb; the alpha goes to the whole drawing's opacity)."""
    opacity = f' opacity="{colour.alphaF():.2f}"' if colour.alpha() < 255 else ""
    return svg.replace("currentColor", colour.name()).replace("<svg ", f"<svg{opacity} ", 1)


@cache
def _icon(name: str, normal: str, disabled: str) -> QIcon:
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(_render(_coloured(_svg(name), QColor(normal)), size), QIcon.Mode.Normal)
        icon.addPixmap(_render(_coloured(_svg(name), QColor(disabled)), size), QIcon.Mode.Disabled)
    return icon


def icon(name: str) -> QIcon:
    """The icon `name` (a file of resources/icons without `.svg`) in the current theme's colours."""
    app = QApplication.instance()
    pal = app.palette() if isinstance(app, QApplication) else QPalette()
    normal = pal.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText)
    disabled = pal.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    if disabled == normal:
        disabled = QColor(normal.red(), normal.green(), normal.blue(), 100)
    return _icon(name, normal.name(QColor.NameFormat.HexArgb), disabled.name(QColor.NameFormat.HexArgb))
