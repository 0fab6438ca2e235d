"""The window's menus that are not the main window's own (one module per group of menus)."""
