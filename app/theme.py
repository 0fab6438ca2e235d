"""The colour themes: dark by default, as Krita and Blender (an illustration's colours read truer against a neutral
dark grey), light on request (View ▸ Theme). Both use Qt's Fusion style, which looks the same on every platform."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("dark", "light")

_DARK = {
    QPalette.ColorRole.Window: (49, 51, 54),
    QPalette.ColorRole.WindowText: (220, 220, 220),
    QPalette.ColorRole.Base: (38, 40, 43),
    QPalette.ColorRole.AlternateBase: (55, 57, 61),
    QPalette.ColorRole.ToolTipBase: (30, 30, 30),
    QPalette.ColorRole.ToolTipText: (230, 230, 230),
    QPalette.ColorRole.PlaceholderText: (140, 140, 140),
    QPalette.ColorRole.Text: (220, 220, 220),
    QPalette.ColorRole.Button: (60, 63, 67),
    QPalette.ColorRole.ButtonText: (220, 220, 220),
    QPalette.ColorRole.BrightText: (255, 90, 90),
    QPalette.ColorRole.Link: (110, 170, 255),
    QPalette.ColorRole.Highlight: (61, 118, 196),
    QPalette.ColorRole.HighlightedText: (255, 255, 255),
    QPalette.ColorRole.Light: (80, 83, 88),
    QPalette.ColorRole.Midlight: (70, 73, 77),
    QPalette.ColorRole.Mid: (45, 47, 50),
    QPalette.ColorRole.Dark: (30, 31, 33),
    QPalette.ColorRole.Shadow: (15, 15, 15),
}
_DISABLED = (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText)


def palette(theme: str) -> QPalette:
    """The palette of a theme ("dark" or "light": Fusion's own)."""
    if theme != "dark":
        from PySide6.QtWidgets import QStyleFactory

        style = QStyleFactory.create("Fusion")
        return style.standardPalette() if style is not None else QPalette()
    pal = QPalette()
    for role, rgb in _DARK.items():
        pal.setColor(role, QColor(*rgb))
    for role in _DISABLED:
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    pal.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor(80, 80, 80))
    return pal


def apply_theme(theme: str) -> str:
    """Use `theme` for the whole application (Fusion style); returns the theme applied."""
    app = QApplication.instance()
    theme = theme if theme in THEMES else "dark"
    if isinstance(app, QApplication):
        app.setStyle("Fusion")
        app.setPalette(palette(theme))
        app.setProperty("seethrough_theme", theme)
    return theme


def is_dark() -> bool:
    app = QApplication.instance()
    return app is not None and app.property("seethrough_theme") == "dark"
