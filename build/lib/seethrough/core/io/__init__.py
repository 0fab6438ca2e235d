"""File input/output of the layer document (no Qt): images, project files, PSD and PNG-folder exchange.

Every writer goes through `core.io.atomic` so that a crash or a cancel never leaves a half-written file.
"""
