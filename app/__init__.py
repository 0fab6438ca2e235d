"""The Qt application (the CLI under app/cli must not import Qt at import time)."""
