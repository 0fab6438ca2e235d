"""One validation layer per file format we read: types, ranges and limits, checked before anything is used.

Formats: the project manifest (`project.json` in a `.stproj`), the PSD companion (`<stem>.psd.json`), the
PNG-folder manifest (`manifest.json`), Live2D model settings (`.model3.json`, Cubism 2 `.model.json`), pose lists
and the dataset index (`dataset.json`, `sample.json`). (The training YAML has its own strict loader in training/.)
Each is a pydantic model; `validate(Schema, data, where)` turns the first problem into one `BadInput` line naming
the file and the key path (`project.json: layers[3].opacity: …`). Unknown keys are ignored (files from newer
versions and other tools carry extra fields); what we use must be the right type, finite and in range.

Paths inside a document are relative, inside the document's folder: no absolute path, no `..`, no NUL, no
Windows drive or reserved device name (`RelPath`, `FileName`). Sizes are capped by the image cap
(`core.io.limits.max_pixels`), offsets by ± the canvas, strings and lists by the constants below.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from seethrough.core.errors import BadInput
from seethrough.core.io.limits import max_pixels

MAX_NAME = 1024  # a layer or part name
MAX_TEXT = 4096  # provenance and other free text
MAX_FILE_NAME = 200  # one path component we read (most file systems allow 255 bytes)
MAX_PATH = 1024
MAX_LAYERS = 10_000
MAX_POSES = 1_000
MAX_SAMPLES = 1_000_000
MAX_PARAM = 1e6  # |a Live2D parameter value|
MAX_SIDE = 1 << 16  # no side over 65 536 px whatever the pixel cap

_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_UID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_POSE_NAME = re.compile(r"^[A-Za-z0-9_.+-]{1,100}$")

T = TypeVar("T", bound=BaseModel)


# --- field types ------------------------------------------------------------------------------------------------
def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("contains a NUL character")
    return text


def _component_problem(part: str) -> str | None:
    if part in ("", ".", ".."):
        return f"the path component {part!r} is not allowed (a document stays inside its folder)"
    if part.split(".")[0].lower() in _RESERVED:
        return f"{part!r} is a reserved device name"
    if len(part) > MAX_FILE_NAME:
        return f"a file name longer than {MAX_FILE_NAME} characters"
    if any(ord(c) < 32 for c in part):
        return "contains a control character"
    return None


def _rel_path(text: str) -> str:
    """A relative path inside the document's folder (forward or back slashes)."""
    _no_nul(text)
    if text.startswith(("/", "\\")) or _DRIVE.match(text):
        raise ValueError(f"{text[:80]!r} is an absolute path (a document may only name files inside its folder)")
    for part in re.split(r"[/\\]", text):
        problem = _component_problem(part)
        if problem:
            raise ValueError(problem)
    return text


def _file_name(text: str) -> str:
    """One file name, no folder part."""
    _no_nul(text)
    if "/" in text or "\\" in text:
        raise ValueError(f"{text[:80]!r} must be a plain file name without a folder")
    return _rel_path(text)


def _uid(text: str) -> str:
    if not _UID.match(text):
        raise ValueError("a layer uid is 1–64 letters, digits, '_' or '-'")
    return text


def _pose_name(text: str) -> str:
    if not _POSE_NAME.match(text):
        raise ValueError("a pose name may only use letters, digits and . _ + - (1–100 characters)")
    return text


def _drop_nul(text: str) -> str:
    """Names and free text are shown, never used as paths: NULs (Krita leaves them in layer names) are dropped."""
    return text.replace("\x00", "")


Name = Annotated[str, Field(max_length=MAX_NAME), AfterValidator(_drop_nul)]
Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(_drop_nul)]
RelPath = Annotated[str, Field(min_length=1, max_length=MAX_PATH), AfterValidator(_rel_path)]
FileName = Annotated[str, Field(min_length=1, max_length=MAX_FILE_NAME), AfterValidator(_file_name)]
Uid = Annotated[str, AfterValidator(_uid)]
PoseName = Annotated[str, AfterValidator(_pose_name)]
Unit = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Param = Annotated[float, Field(ge=-MAX_PARAM, le=MAX_PARAM, allow_inf_nan=False, strict=True)]
Side = Annotated[int, Field(ge=1, le=MAX_SIDE)]
Extent = Annotated[int, Field(ge=0, le=MAX_SIDE)]
Coord = Annotated[int, Field(ge=-4 * MAX_SIDE, le=4 * MAX_SIDE)]


def check_canvas(width: int, height: int) -> None:
    limit = max_pixels()
    if width * height > limit:
        raise ValueError(f"canvas {width}×{height} is over the image limit of {limit:,} pixels")


def check_offset(offset: tuple[int, int], canvas: tuple[int, int], what: str) -> None:
    w, h = canvas
    if not (-w <= offset[0] <= w and -h <= offset[1] <= h):
        raise ValueError(f"{what} offset {list(offset)} is outside ± the canvas {w}×{h}")


class _Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


# --- project (.stproj → project.json) -----------------------------------------------------------------------------
class ProjectMask(_Schema):
    """A layer mask (schema 2): its box on the canvas (pixels in `layers/<uid>_mask.png`), what it holds outside
    the box (0 hides, 255 shows) and whether it is in force."""

    box: tuple[Coord, Coord, Coord, Coord]
    fill: Literal[0, 255] = 255
    enabled: bool = True

    @model_validator(mode="after")
    def _fits(self) -> ProjectMask:
        x0, y0, x1, y1 = self.box
        if x1 < x0 or y1 < y0:
            raise ValueError(f"mask box {list(self.box)} is inverted")
        if (x1 - x0) * (y1 - y0) > max_pixels():
            raise ValueError(f"mask box {list(self.box)} is over the image limit")
        return self


class ProjectLayer(_Schema):
    name: Name
    uid: Uid
    offset: tuple[Coord, Coord] = (0, 0)
    size: tuple[Extent, Extent] = (0, 0)
    tag: Name | None = None
    depth_value: Unit = 0.5
    visible: bool = True
    opacity: Unit = 1.0
    locked: bool = False
    provenance: Text = ""
    has_depth: bool = False
    blend_mode: Annotated[str, Field(max_length=64)] = "normal"  # checked against the known modes by the reader
    mask: ProjectMask | None = None  # schema 2


class ProjectManifest(_Schema):
    schema_version: int
    app: Text | None = None
    canvas: tuple[Side, Side]
    metadata: dict[str, Any] = Field(default_factory=dict)
    has_source: bool = False
    layers: list[ProjectLayer] = Field(max_length=MAX_LAYERS)

    @model_validator(mode="after")
    def _fits(self) -> ProjectManifest:
        check_canvas(*self.canvas)
        seen: set[str] = set()
        for i, layer in enumerate(self.layers):
            if layer.uid in seen:
                raise ValueError(f"layers[{i}]: uid {layer.uid!r} is used twice")
            seen.add(layer.uid)
            check_offset(layer.offset, self.canvas, f"layers[{i}]")
            if layer.size[0] * layer.size[1] > max_pixels():
                raise ValueError(f"layers[{i}]: {layer.size[0]}×{layer.size[1]} is over the image limit")
        return self


# --- PSD companion (<stem>.psd.json) --------------------------------------------------------------------------------
class PsdPart(_Schema):
    xyxy: tuple[Coord, Coord, Coord, Coord] | None = None
    tag: Name | None = None
    part_id: Annotated[int, Field(ge=0, le=MAX_LAYERS)] | None = None
    depth_median: Unit | None = None


class SetMember(_Schema):
    """A file of a written set, so that a reader can tell members of different writes apart."""

    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0)]


class PsdCompanion(_Schema):
    parts: dict[Name, PsdPart] = Field(default_factory=dict, max_length=MAX_LAYERS)
    frame_size: tuple[Side, Side] | None = None
    members: dict[FileName, SetMember] | None = None

    @model_validator(mode="after")
    def _fits(self) -> PsdCompanion:
        if self.frame_size is not None:
            check_canvas(self.frame_size[1], self.frame_size[0])
        return self


# --- PNG folder (manifest.json) -------------------------------------------------------------------------------------
class PngLayer(_Schema):
    name: Name
    order: Annotated[int, Field(ge=0, le=MAX_LAYERS)]
    file: FileName | None = None
    depth_file: FileName | None = None
    tag: Name | None = None
    offset: tuple[Coord, Coord] = (0, 0)
    bbox: tuple[Coord, Coord, Coord, Coord] | None = None
    depth_value: Unit = 0.5
    visible: bool = True
    opacity: Unit = 1.0
    blend_mode: Annotated[str, Field(max_length=64)] = "normal"


class PngFolderManifest(_Schema):
    format: Literal["seethrough-png-folder"]
    version: Annotated[int, Field(ge=1)]
    canvas: tuple[Side, Side]
    layers: list[PngLayer] = Field(max_length=MAX_LAYERS)
    files: dict[FileName, SetMember] | None = None

    @model_validator(mode="after")
    def _fits(self) -> PngFolderManifest:
        check_canvas(*self.canvas)
        names: set[str] = set()
        for i, layer in enumerate(self.layers):
            check_offset(layer.offset, self.canvas, f"layers[{i}]")
            for name in (layer.file, layer.depth_file):
                if name is not None:
                    if name in names:
                        raise ValueError(f"layers[{i}]: file {name!r} is listed twice")
                    names.add(name)
        return self


# --- Live2D model settings ------------------------------------------------------------------------------------------
def _safe_refs(value: Any) -> Any:
    """Optional references (physics, pose, motions…) may be of any shape — the loader warns about and ignores
    unusable ones — but every file name in them must stay inside the model's folder."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _rel_path(item)
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if str(k).lower() in ("file", "sound") or not isinstance(v, str))
        elif isinstance(item, list):
            stack.extend(item)
    return value


OptionalRefs = Annotated[Any, AfterValidator(_safe_refs)]


class Model3References(_Schema):
    Moc: RelPath
    Textures: list[RelPath] = Field(default_factory=list, max_length=256)
    DisplayInfo: OptionalRefs = None
    Pose: OptionalRefs = None
    Physics: OptionalRefs = None
    UserData: OptionalRefs = None
    Motions: OptionalRefs = None
    Expressions: OptionalRefs = None


class Model3Json(_Schema):
    Version: int | None = None
    FileReferences: Model3References


class Model2Json(_Schema):
    """Cubism 2 settings; live2d-py reads the motions and expressions too, so their paths are checked as well."""

    model: RelPath
    textures: list[RelPath] = Field(default_factory=list, max_length=256)
    pose: OptionalRefs = None
    physics: OptionalRefs = None
    motions: OptionalRefs = None
    expressions: OptionalRefs = None


# --- pose lists -------------------------------------------------------------------------------------------------------
class PoseEntry(_Schema):
    name: PoseName
    params: dict[Annotated[str, Field(min_length=1, max_length=128)], Param] = Field(
        default_factory=dict, max_length=10_000
    )


class PoseList(_Schema):
    poses: list[PoseEntry] = Field(min_length=1, max_length=MAX_POSES)

    @model_validator(mode="after")
    def _unique(self) -> PoseList:
        seen: set[str] = set()
        for pose in self.poses:
            if pose.name in seen:
                raise ValueError(f"pose name {pose.name!r} is used twice")
            seen.add(pose.name)
        return self


# --- dataset index (dataset.json, sample.json) ------------------------------------------------------------------------
TagName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_file_name)]


class DatasetSample(_Schema):
    id: FileName
    model: Name
    split: Annotated[str, Field(max_length=32)]
    canvas: tuple[Side, Side]
    tags: list[TagName] = Field(max_length=1000)
    pose: dict[Annotated[str, Field(max_length=128)], Param] = Field(default_factory=dict)
    bboxes: dict[TagName, tuple[Coord, Coord, Coord, Coord]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fits(self) -> DatasetSample:
        check_canvas(*self.canvas)
        return self


class DatasetIndexFile(_Schema):
    schema_version: int
    taxonomy: Annotated[str, Field(max_length=32)] = "v3"
    tags: list[TagName] = Field(default_factory=list, max_length=1000)
    samples: list[DatasetSample] = Field(max_length=MAX_SAMPLES)


# --- the one entry point ----------------------------------------------------------------------------------------------
def _key_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "tuple[", "list[", "dict[", "union[", "literal[")):
            continue  # pydantic's name of a validator step, not a key
        else:
            out += f".{part}" if out else str(part)
    return out


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def describe(exc: ValidationError) -> str:
    """The first problem of a ValidationError as `key.path: message (got …)`."""
    err = exc.errors(include_url=False)[0]
    key = _key_path(tuple(err.get("loc", ())))
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    got = "" if err.get("type") in ("missing", "value_error") else f" (got {_shown(err.get('input'))})"
    more = len(exc.errors()) - 1
    tail = f"; and {more} more problem{'s' * (more > 1)}" if more else ""
    return f"{key}: {msg}{got}{tail}" if key else f"{msg}{got}{tail}"


def validate(schema: type[T], data: Any, where: str) -> T:
    """`data` (decoded JSON) checked against `schema`; BadInput `where: key: problem` when it does not fit."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"{where}: {describe(exc)}") from None
