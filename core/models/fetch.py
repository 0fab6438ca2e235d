"""Fetch released weights with `huggingface_hub`, or say exactly how when the Hub cannot be reached.

Only `seethrough-gui models fetch` downloads anything; the app and every pipeline stay offline. Before a download
the Hub is probed with one short connection, so a machine without network fails in seconds with the command to
run elsewhere instead of hanging in retries.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from seethrough.core.errors import BadInput
from seethrough.core.models.catalog import MODELS, ModelSpec

OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def resolve_spec(name: str) -> ModelSpec:
    """A catalogue model by id (`layers-v3`) or by its Hub repo id (`layerdifforg/seethroughv0.0.2_layerdiff3d`)."""
    for spec in MODELS.values():
        if name in (spec.id, spec.repo_id, spec.dir_name):
            return spec
    known = ", ".join(f"{s.id} ({s.repo_id})" for s in MODELS.values())
    raise BadInput(f"unknown model {name!r}; known: {known}")


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_unreachable_reason(timeout: float = 5.0) -> str | None:
    """Why the Hub cannot be reached right now (offline mode, no DNS, refused, timed out), or None if it can."""
    for var in OFFLINE_VARS:
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return f"offline mode is on (${var})"
    url = urlsplit(hub_endpoint())
    host = url.hostname
    if not host:
        return f"$HF_ENDPOINT is not a URL: {hub_endpoint()!r}"
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"cannot connect to {host}:{port} ({exc.strerror or type(exc).__name__})"


def fetch(spec: ModelSpec, target: Path) -> Path:
    """Download `spec`'s repo into `target` (resumable; files already complete are skipped). Returns `target`."""
    from huggingface_hub import snapshot_download

    target.parent.mkdir(parents=True, exist_ok=True)
    return Path(snapshot_download(repo_id=spec.repo_id, local_dir=str(target)))
