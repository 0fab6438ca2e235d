"""Label edits as operations: typed, frozen, with declared parameters, serialisable — in the manner of
`core.operations`, for the annotation document (`annotation.document`).

Each operation is a frozen dataclass whose fields are declared with `core.operations.params.param` (type, default,
limits, help), so it checks itself when built and reads from / writes to JSON with the same rules. Running one has
the same two halves as a layer operation:

1. `plan(snapshot, ctx) -> LabelPlan` is pure: it reads an `AnnotationSnapshot` (the labels, the pose; a worker that
   renders loads its own copy of the model at the snapshot's pose), may take long (auto-label, propagation run as
   jobs) and returns the `ChangeLabels` command and what it found (the auto-label report, the propagation counts);
2. `commit(doc, snapshot, op, plan)` runs on the document's thread and pushes the command only if the labels are
   still those of the snapshot (the label set is immutable: identity means unchanged); otherwise `Stale`, and
   nothing is applied. A pose changed meanwhile does not matter: the result is for the snapshot's pose.

`perform(doc, op)` does both at once. The operations are listed in `LABEL_OPERATIONS` by their `op` name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from seethrough.annotation.document import AnnotationDocument, AnnotationSnapshot, ChangeLabels
from seethrough.annotation.labels import Assignment, LabelSet
from seethrough.core.errors import BadInput
from seethrough.core.operations.base import NO_CONTEXT, Context, Stale
from seethrough.core.operations.params import from_json, param, to_json, validate
from seethrough.core.taxonomy import taxonomy

MESHES_HELP = "the ArtMesh ids"


@dataclass(frozen=True)
class LabelPlan:
    """A plan's result: the command to push and what the run found (an `AutoLabelReport`, a `Propagation`)."""

    command: ChangeLabels
    report: Any = None

    @property
    def changed(self) -> int:
        """How many labels the command sets, changes or removes."""
        return len(self.command.changes)


class LabelOperation:
    """Base of the label operations: subclasses are `@dataclass(frozen=True)` with `param(...)` fields, registered
    with `@register`, and implement `plan`."""

    #: the name in JSON (`{"op": …}`)
    op: ClassVar[str] = ""
    #: the undo text and job title
    title: ClassVar[str] = ""
    #: quick enough for the UI thread; the others run as a job on a snapshot
    instant: ClassVar[bool] = True

    def __post_init__(self) -> None:
        validate(self)

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        raise NotImplementedError

    def describe(self) -> str:
        """The undo text of this application (default: the title)."""
        return self.title

    def to_json(self) -> dict[str, Any]:
        """`{"op": …, **the parameters that differ from their defaults}`."""
        return {"op": self.op, **to_json(self)}


LABEL_OPERATIONS: dict[str, type[LabelOperation]] = {}
OpClass = TypeVar("OpClass", bound=type[LabelOperation])


def register(cls: OpClass) -> OpClass:
    """Class decorator: make a label operation known by its `op` name."""
    if not cls.op or cls.op in LABEL_OPERATIONS:
        raise ValueError(f"label operation name {cls.op!r} is empty or taken")
    LABEL_OPERATIONS[cls.op] = cls
    return cls


def parse_label_operation(data: Any, where: str = "") -> LabelOperation:
    """A label operation from its JSON object; errors name the key's path (`where`, e.g. "operations[2].")."""
    if not isinstance(data, dict):
        raise BadInput(f"{where.rstrip('.') or 'operation'}: expected an object like {{\"op\": …}}")
    name = data.get("op")
    cls = LABEL_OPERATIONS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise BadInput(f"{where}op: unknown label operation {name!r} (known: {', '.join(sorted(LABEL_OPERATIONS))})")
    op = from_json(cls, data, where, ignore=("op",))
    assert isinstance(op, LabelOperation)
    return op


# --- applying ------------------------------------------------------------------------------------------------------
def labels_unchanged_since(doc: AnnotationDocument, snapshot: AnnotationSnapshot) -> bool:
    """Whether a command computed from `snapshot` still applies: the labels are that very (immutable) set."""
    return doc.labels is snapshot.labels


def commit(doc: AnnotationDocument, snapshot: AnnotationSnapshot, op: LabelOperation,
           plan: LabelPlan) -> ChangeLabels | None:
    """Push the planned command if the labels are unchanged since `snapshot` (else `Stale`, nothing applied); the
    command records `op`. A plan that changes nothing records no undo step (returns None)."""
    if not labels_unchanged_since(doc, snapshot):
        raise Stale(f"the labels changed while “{op.describe()}” was computed: nothing was applied; do it again")
    command = plan.command
    if command.empty:
        return None
    command.text = op.describe()
    command.label_operation = op
    doc.history.push(command)
    return command


def perform(doc: AnnotationDocument, op: LabelOperation, ctx: Context = NO_CONTEXT) -> LabelPlan:
    """Plan and commit at once, on the document's own thread; returns the plan (its report, what it changed)."""
    snapshot = doc.snapshot()
    plan = op.plan(snapshot, ctx)
    commit(doc, snapshot, op, plan)
    return plan


def _changes(labels: LabelSet, assignments: dict[str, Assignment], provider: str | None = None) -> ChangeLabels:
    return ChangeLabels(labels.changes(assignments, provider=provider))


# --- the operations --------------------------------------------------------------------------------------------
@register
@dataclass(frozen=True)
class AssignTag(LabelOperation):
    """A person labels ArtMeshes (the palette, a number key, the context menu; in the review queue, a fix)."""

    op: ClassVar[str] = "assign-tag"
    title: ClassVar[str] = "Tag"
    meshes: tuple[str, ...] = param(help=MESHES_HELP, min_items=1)
    tag: str = param(help="a body-part tag of the labels' tag set")

    def describe(self) -> str:
        return f"Tag as {self.tag}"

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        labels = snapshot.labels
        tags = taxonomy().tags(labels.taxonomy_version)
        if self.tag not in tags:
            raise BadInput(f"tag: {self.tag!r} is not a {labels.taxonomy_version} tag (tags: {', '.join(tags)})")
        return LabelPlan(_changes(labels, {mid: (self.tag, "human") for mid in self.meshes}))


@register
@dataclass(frozen=True)
class ClearTags(LabelOperation):
    """Remove the labels of ArtMeshes."""

    op: ClassVar[str] = "clear-tags"
    title: ClassVar[str] = "Clear labels"
    meshes: tuple[str, ...] = param(help=MESHES_HELP, min_items=1)

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        return LabelPlan(_changes(snapshot.labels, dict.fromkeys(self.meshes)))


@register
@dataclass(frozen=True)
class AcceptLabels(LabelOperation):
    """A person confirms the current labels of ArtMeshes (the review queue's Enter): they become a person's labels.
    Unlabelled ones are skipped."""

    op: ClassVar[str] = "accept-labels"
    title: ClassVar[str] = "Accept labels"
    meshes: tuple[str, ...] = param(help=MESHES_HELP, min_items=1)

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        labels = snapshot.labels
        labels.check_ids(self.meshes)
        tagged: dict[str, Assignment] = {mid: (tag, "human") for mid in self.meshes
                                         if (tag := labels.tag(mid)) is not None}
        return LabelPlan(_changes(labels, tagged))


@register
@dataclass(frozen=True)
class SetExcludedParts(LabelOperation):
    """The parts that are not the character: auto-label leaves their meshes out."""

    op: ClassVar[str] = "exclude-parts"
    title: ClassVar[str] = "Set excluded parts"
    parts: tuple[str, ...] = param((), help="part ids whose meshes are not the character")

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        parts = frozenset(self.parts)
        same = parts == snapshot.labels.excluded_parts
        return LabelPlan(ChangeLabels({}, excluded_parts=None if same else parts))


@register
@dataclass(frozen=True)
class AutoLabel(LabelOperation):
    """The automatic labelling rules (`annotation.auto_label`) on the model at the snapshot's pose, rendered from the
    worker's own copy; a person's labels are kept. One undo step."""

    op: ClassVar[str] = "auto-label"
    title: ClassVar[str] = "Auto-label"
    instant: ClassVar[bool] = False
    provider: str | None = param(None, help="the 2D seed provider: layout, seethrough, samhq or none (default: the "
                                       "best installed one)")
    vote_poses: int = param(0, lo=0, hi=8, help="how many head turns of the default pose sweep vote too")
    use_names: bool = param(True, help="read mesh, part and parameter names (false: geometry alone)")
    tags: str | None = param(None, choices=("v3", "v2"), help="the tag set (default: the labels' own)")

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        from seethrough.annotation.auto_label import label_automatically
        from seethrough.annotation.poses import default_poses

        if self.provider not in (None, "none"):
            from seethrough.annotation.seeds import get_seed_provider

            get_seed_provider(self.provider)  # unknown or not installed: one line, before any work
        ctx.progress(0.05, "loading the model at the pose")
        model = snapshot.load_model()
        poses = [values for _, values in default_poses(model)[1 : 1 + self.vote_poses]] if self.vote_poses else None
        ctx.progress(0.1, "labelling by names, geometry, the 2D seed vote and part votes")
        tagset = self.tags or snapshot.labels.taxonomy_version
        result = label_automatically(model, snapshot.labels, tagset=tagset, provider=self.provider, poses=poses,
                                     use_names=self.use_names)
        return LabelPlan(ChangeLabels(result.changes, taxonomy_version=tagset), result.report)


@register
@dataclass(frozen=True)
class PropagateLabels(LabelOperation):
    """Copy labels from another pose's or model's label file (same ArtMesh ids, or same part path and name); a
    person's labels are kept."""

    op: ClassVar[str] = "propagate-labels"
    title: ClassVar[str] = "Propagate labels"
    instant: ClassVar[bool] = False
    source: Path = param(help="a Live2D model (its label file beside it) or a label file")

    def describe(self) -> str:
        return f"Propagate labels from {self.source.name}"

    def plan(self, snapshot: AnnotationSnapshot, ctx: Context = NO_CONTEXT) -> LabelPlan:
        from seethrough.annotation.propagate import load_source, propagate

        ctx.progress(0.1, f"reading {self.source.name}")
        source = load_source(self.source)
        model = snapshot.load_model()
        current = {mid: (e.tag, e.source) for mid, e in snapshot.labels.entries.items()}
        result = propagate(model, source, current)
        assignments: dict[str, Assignment] = dict(result.assignments)
        return LabelPlan(_changes(snapshot.labels, assignments), result)
