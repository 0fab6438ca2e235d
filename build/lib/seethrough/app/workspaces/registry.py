"""The workspace tabs, in order. Each entry builds one workspace for a session."""

from __future__ import annotations

from collections.abc import Callable

from seethrough.app.session import DocumentSession
from seethrough.app.workspaces.base import Workspace

ANNOTATE_TEXT = (
    "<h2>Annotate</h2><p>Open a Live2D model (Cubism 3+ .model3.json, Cubism 2 .model.json), see every ArtMesh, "
    "label fragments with the body-part taxonomy, auto-label, render pose sweeps and export a training dataset.</p>"
    "<p>Headless today: <code>seethrough-gui live2d …</code></p>"
)


def _annotate(session: DocumentSession) -> Workspace:
    try:
        from seethrough.app.workspaces.annotate import AnnotateWorkspace
    except ImportError:
        from seethrough.app.workspaces.placeholder import PlaceholderWorkspace

        return PlaceholderWorkspace(session, "Annotate", "annotate", ANNOTATE_TEXT)
    return AnnotateWorkspace(session)


def _decompose(session: DocumentSession) -> Workspace:
    from seethrough.app.workspaces.decompose import DecomposeWorkspace

    return DecomposeWorkspace(session)


def _stratify(session: DocumentSession) -> Workspace:
    from seethrough.app.workspaces.stratify import StratifyWorkspace

    return StratifyWorkspace(session)


def _preview(session: DocumentSession) -> Workspace:
    from seethrough.app.workspaces.preview import PreviewWorkspace

    return PreviewWorkspace(session)


def _train(session: DocumentSession) -> Workspace:
    from seethrough.app.workspaces.train import TrainWorkspace

    return TrainWorkspace(session)


#: (key, factory) in tab order
WORKSPACES: list[tuple[str, Callable[[DocumentSession], Workspace]]] = [
    ("annotate", _annotate),
    ("decompose", _decompose),
    ("stratify", _stratify),
    ("preview", _preview),
    ("train", _train),
]
