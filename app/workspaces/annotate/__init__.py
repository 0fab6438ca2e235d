"""The Annotate workspace (Live2D labelling, poses, dataset export)."""

from seethrough.app.workspaces.annotate.workspace import AnnotateWorkspace

__all__ = ["AnnotateWorkspace"]
