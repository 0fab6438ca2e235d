"""The catalogue of See-through weights: what exists, where it is installed, whether a folder is intact.

No torch here (the app imports this at start-up to say what is installed). Models are never downloaded at run
time: they are looked up in, in order, the folders the caller passes (the app's "models folder" setting),
`$SEETHROUGH_MODELS` (os.pathsep-separated), the default models folder `<user data>/models`, `./models` when the
current folder has one, and the Hugging Face cache (read without the network). A folder counts when it has the
released layout: the Hugging Face repo's own layout, as `hf download <repo> --local-dir <dir>` writes it.
docs/models.md lists the released repos and how to fetch and verify them.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seethrough.core.errors import BadInput, ModelNotFound
from seethrough.core.io import safe_json
from seethrough.core.io.regular import open_regular
from seethrough.core.paths import user_data_dir

ENV_VAR = "SEETHROUGH_MODELS"
WEIGHT_NAMES = ("diffusion_pytorch_model.safetensors", "model.safetensors")
MAX_HEADER = 100 * 1024 * 1024


@dataclass(frozen=True)
class ModelSpec:
    """One downloadable model: its hub repo and the folder layout a complete download has."""

    id: str
    kind: str  # "layers" (layer diffusion UNet + VAEs + text encoders), "depth" or "parser" (SAM-HQ body parser)
    title: str
    repo_id: str
    weight_folders: tuple[str, ...]  # subfolders with config.json + safetensors weights
    other_folders: tuple[str, ...] = ()  # subfolders that must exist (tokenizers, scheduler)
    files: tuple[str, ...] = ()  # top-level files
    tag_version: str | None = None
    #: whether the repo can be downloaded (layers-v2's repo id is known, its weights were never published)
    published: bool = True

    @property
    def unpublished_note(self) -> str:
        return (f"{self.title} is not published ({self.repo_id} has no public weights); a folder of your own "
                "with its layout is still found and used")

    @property
    def dir_name(self) -> str:
        return self.repo_id.split("/", 1)[1]

    def layout(self) -> list[str]:
        return [*self.files, *(f"{d}/" for d in (*self.weight_folders, *self.other_folders))]

    def download_command(self, target: Path | str | None = None) -> str:
        """The shell line that installs this model into `target` (default: the default models folder)."""
        target = target or default_models_dir() / self.dir_name
        return f"hf download {self.repo_id} --local-dir {_quote(str(target))}"

    def download_python(self, target: Path | str | None = None) -> str:
        """The same download from Python (`huggingface_hub.snapshot_download`)."""
        target = target or default_models_dir() / self.dir_name
        return (f"from huggingface_hub import snapshot_download; "
                f"snapshot_download(repo_id={self.repo_id!r}, local_dir={str(target)!r})")


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def default_models_dir() -> Path:
    """Where the app installs and first looks for weights: `<user data>/models`."""
    return user_data_dir() / "models"


_LAYER_FOLDERS = ("unet", "trans_vae", "vae", "text_encoder", "text_encoder_2")
MODELS: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        ModelSpec("layers-v3", "layers", "Layer model V3 (23 tags, two passes)",
                  "layerdifforg/seethroughv0.0.2_layerdiff3d", _LAYER_FOLDERS, ("tokenizer", "tokenizer_2"),
                  ("model_index.json",), "v3"),
        ModelSpec("layers-v2", "layers", "Layer model V2 (the paper's 19 classes)",
                  "layerdifforg/seethroughv0.0.1_layerdiff3d", _LAYER_FOLDERS, ("tokenizer", "tokenizer_2"),
                  ("model_index.json",), "v2", published=False),
        ModelSpec("depth", "depth", "Pseudo-depth model (Marigold-3D)", "24yearsold/seethroughv0.0.1_marigold",
                  ("unet", "vae", "text_encoder"), ("tokenizer",), (), None),
        ModelSpec("samhq", "parser", "2D body parser (SAM-HQ, 19 class decoders; data engine seeds)",
                  "24yearsold/l2d_sam_iter2", (), (), ("checkpoint-18000.pt",), "v2"),
    )
}
#: what a pipeline asks for → the preferred model ids, best first
KINDS = {"layers": ("layers-v3", "layers-v2"), "layers-v3": ("layers-v3",), "layers-v2": ("layers-v2",),
         "depth": ("depth",), "parser": ("samhq",), "samhq": ("samhq",)}


@dataclass(frozen=True)
class ModelLocation:
    spec: ModelSpec
    path: Path
    source: str  # "setting", "environment", "user data", "current folder", "hf cache", "explicit"


@dataclass
class CheckReport:
    """What `check_model_dir` found. `ok` iff no problems; `problems` are one-line, user-facing."""

    path: Path
    model_id: str | None = None
    tag_version: str | None = None
    problems: list[str] = field(default_factory=list)
    weights: dict[str, int] = field(default_factory=dict)  # relative path → bytes (safetensors files)
    tensors: int = 0
    notes: list[str] = field(default_factory=list)  # facts that are not problems (size vs the release, digests)
    digests: dict[str, dict[str, str | None]] = field(default_factory=dict)  # file → sha256, expected, source

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total_bytes(self) -> int:
        return sum(self.weights.values())

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "ok": self.ok, "model": self.model_id, "tag_version": self.tag_version,
                "size_bytes": self.total_bytes, "tensors": self.tensors, "weights": self.weights,
                "problems": self.problems, "notes": self.notes, "digests": self.digests}


# ---------------------------------------------------------------------------------------------- search paths
def search_paths(extra: Iterable[Path | str] = ()) -> list[tuple[Path, str]]:
    """Folders searched for installed models, best first, with where each came from."""
    paths: list[tuple[Path, str]] = [(Path(p).expanduser(), "setting") for p in extra if p]
    env = os.environ.get(ENV_VAR, "")
    paths += [(Path(p).expanduser(), "environment") for p in env.split(os.pathsep) if p]
    paths.append((default_models_dir(), "user data"))
    local = Path.cwd() / "models"
    if local.is_dir() and all(local.resolve() != p.resolve() for p, _ in paths):
        paths.append((local, "current folder"))
    return paths


def _candidates(root: Path, spec: ModelSpec) -> list[Path]:
    owner, name = spec.repo_id.split("/", 1)
    return [root, root / name, root / owner / name, root / spec.id, root / spec.repo_id.replace("/", "--")]


def _hf_cache_dir(spec: ModelSpec) -> Path | None:
    """The cached snapshot of `spec.repo_id`, if any, without touching the network."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # huggingface_hub is a dependency; without it there simply is no cache to read
        return None
    probe = "unet/config.json" if spec.weight_folders else spec.files[0]
    hit = try_to_load_from_cache(spec.repo_id, probe)
    if isinstance(hit, str):
        return Path(hit).parents[probe.count("/")]
    return None


def _missing_layout(path: Path, spec: ModelSpec) -> list[str]:
    missing = [f for f in spec.files if not (path / f).is_file()]
    missing += [f"{d}/config.json" for d in spec.weight_folders if not (path / d / "config.json").is_file()]
    missing += [f"{d}/" for d in spec.other_folders if not (path / d).is_dir()]
    return missing


def _detect_spec(path: Path) -> ModelSpec | None:
    """Which catalogue model a folder holds, from its unet config (the repos share folder names)."""
    try:
        config = safe_json.read(path / "unet" / "config.json")
    except BadInput:
        return None
    if not isinstance(config, dict):
        return None
    if config.get("in_channels") == 12 or config.get("cross_attention_dim") == 1024:
        return MODELS["depth"]
    return MODELS["layers-v3" if config.get("group_embedding") else "layers-v2"]


def find_model(kind: str, search_dirs: Sequence[Path | str] = (), use_hf_cache: bool = True) -> ModelLocation:
    """Locate an installed model (`kind`: "layers", "layers-v3", "layers-v2" or "depth") or raise ModelNotFound.

    The error names the repo id, the expected folder layout, the folders searched (and what an incomplete
    candidate lacks) and the `hf download` command (and its Python equivalent) that installs it.
    """
    if kind not in KINDS:
        raise BadInput(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")
    incomplete: list[str] = []
    specs = [MODELS[i] for i in KINDS[kind]]
    roots = search_paths(search_dirs)
    for spec in specs:
        for root, source in roots:
            for candidate in _candidates(root, spec):
                if spec.weight_folders and not (candidate / "unet").is_dir():
                    continue
                detected = _detect_spec(candidate)
                if detected is not None and detected.id != spec.id:
                    continue
                missing = _missing_layout(candidate, spec)
                if not missing:
                    return ModelLocation(spec, candidate, source)
                incomplete.append(f"{candidate} lacks {', '.join(missing)}")
        if use_hf_cache:
            cached = _hf_cache_dir(spec)
            if cached is not None:
                missing = _missing_layout(cached, spec)
                if not missing:
                    return ModelLocation(spec, cached, "hf cache")
                incomplete.append(f"{cached} (Hugging Face cache) lacks {', '.join(missing)}")
    raise ModelNotFound(_not_found_message(specs, roots, incomplete, use_hf_cache))


def _not_found_message(specs: list[ModelSpec], roots: list[tuple[Path, str]], incomplete: list[str],
                       hf_cache: bool) -> str:
    spec = specs[0]
    target = (roots[0][0] if roots else Path("<models folder>")) / spec.dir_name
    searched = ", ".join(str(r) for r, _ in roots) + (", the Hugging Face cache" if hf_cache else "")
    lines = [
        f"{spec.title} is not installed (Hugging Face repo {spec.repo_id}).",
        f"Expected a folder {spec.dir_name}/ holding {', '.join(spec.layout())} "
        f"(the repo's own layout) in one of: {searched}. Set ${ENV_VAR} or the models folder setting to point "
        "at it.",
    ]
    if incomplete:
        lines.append("Incomplete: " + "; ".join(incomplete) + ".")
    if not spec.published:
        lines.append(f"Its weights are not published: use {MODELS['layers-v3'].id} (--tags v3) instead.")
        return " ".join(lines)
    lines.append(f"Fetch it with: {spec.download_command(target)}")
    lines.append(f"Or in Python: {spec.download_python(target)}")
    return " ".join(lines)  # one line: the CLI prints it as one, the GUI wraps it


def list_models(search_dirs: Sequence[Path | str] = (), use_hf_cache: bool = True) -> list[dict[str, Any]]:
    """Every catalogue model with where it is installed (or None), its size on disk and tag version."""
    rows = []
    for spec in MODELS.values():
        row: dict[str, Any] = {"id": spec.id, "title": spec.title, "repo_id": spec.repo_id,
                               "tag_version": spec.tag_version, "installed": False, "path": None,
                               "source": None, "size_bytes": None, "published": spec.published,
                               "download": spec.download_command() if spec.published else None}
        try:
            loc = find_model(spec.id, search_dirs, use_hf_cache)
        except ModelNotFound:
            rows.append(row)
            continue
        row.update(installed=True, path=str(loc.path), source=loc.source,
                   size_bytes=sum(_weight_files_size(loc.path, spec).values()))
        rows.append(row)
    return rows


def _weight_files_size(path: Path, spec: ModelSpec) -> dict[str, int]:
    sizes = {}
    for folder in spec.weight_folders:
        for f in sorted((path / folder).glob("*.safetensors")):
            sizes[f"{folder}/{f.name}"] = f.stat().st_size
    return sizes


# ---------------------------------------------------------------------------------------------- verification
def read_safetensors_header(file: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file, after checking that the file holds every tensor it declares.

    Raises BadInput naming the file when it is truncated or not a safetensors file. Reads only the header.
    """
    try:
        with open_regular(file) as fh:  # a FIFO or a device named *.safetensors: refused, never waited on
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            if len(head) < 8:
                raise BadInput(f"{file} is not a safetensors file (only {size} bytes): re-download it")
            (n,) = struct.unpack("<Q", head)
            if n > min(MAX_HEADER, size - 8):
                raise BadInput(f"{file} is corrupted or truncated (header of {n} bytes in a {size}-byte file): "
                               "re-download it")
            raw = fh.read(n)
    except OSError as exc:
        raise BadInput(f"cannot read {file}: {exc.strerror or exc}") from exc
    try:
        header = safe_json.loads(raw, file.name, max_bytes=MAX_HEADER)
    except BadInput as exc:
        raise BadInput(f"{file} is not a valid safetensors file (unreadable header): re-download it") from exc
    if not isinstance(header, dict):
        raise BadInput(f"{file} is not a valid safetensors file (header is not a table): re-download it")
    try:
        end = max((int(v["data_offsets"][1]) for k, v in header.items() if k != "__metadata__"), default=0)
    except (TypeError, KeyError, IndexError, ValueError):
        raise BadInput(f"{file} is not a valid safetensors file (malformed tensor table): re-download it") from None
    if 8 + n + end > size:
        raise BadInput(f"{file} is truncated: it declares {8 + n + end} bytes but has {size}; re-download it")
    return header


def check_weight_folder(folder: Path) -> tuple[dict[str, int], int, list[str]]:
    """(file → bytes, tensor count, problems) for one `config.json` + safetensors subfolder."""
    problems: list[str] = []
    if not (folder / "config.json").is_file():
        problems.append(f"{folder}/config.json is missing")
    else:
        try:
            if not isinstance(safe_json.read(folder / "config.json"), dict):
                problems.append(f"{folder}/config.json is not a JSON object")
        except BadInput as exc:
            problems.append(str(exc))
    files = sorted(folder.glob("*.safetensors"))
    for index in folder.glob("*.safetensors.index.json"):
        try:
            shards = {str(v) for v in safe_json.read(index)["weight_map"].values()}
        except (BadInput, KeyError, AttributeError, TypeError):
            problems.append(f"{index} is not a valid shard index: re-download it")
            continue
        problems += [f"{folder / s} is missing (listed in {index.name})" for s in sorted(shards)
                     if not (folder / s).is_file()]
    if not files and not any(folder.glob("*.bin")):
        problems.append(f"{folder} has no .safetensors weights (expected one of {', '.join(WEIGHT_NAMES)} "
                        "or a sharded set)")
    sizes: dict[str, int] = {}
    tensors = 0
    for f in files:
        try:
            header = read_safetensors_header(f)
        except BadInput as exc:
            problems.append(str(exc))
            continue
        sizes[f.name] = f.stat().st_size
        tensors += sum(1 for k in header if k != "__metadata__")
    return sizes, tensors, problems


def check_model_dir(path: Path | str, sha256: bool = False) -> CheckReport:
    """Verify a model folder without loading it: layout, configs, safetensors headers and sizes; with `sha256`,
    also each weight file's SHA-256 against the digest the Hub gave at download time (core/models/verify.py)."""
    path = Path(path).expanduser()
    report = CheckReport(path)
    if not path.is_dir():
        report.problems.append(f"{path} is not a folder")
        return report
    spec = _detect_spec(path)
    if spec is None:
        report.problems.append(
            f"{path} does not look like a See-through model folder: no readable unet/config.json. Expected the "
            "layout of one of: " + "; ".join(f"{s.repo_id} ({', '.join(s.layout())})" for s in MODELS.values()))
        return report
    report.model_id = spec.id
    unet_config = safe_json.read(path / "unet" / "config.json")
    report.tag_version = unet_config.get("tag_version", spec.tag_version) if spec.kind == "layers" else None
    report.problems += [f"missing {m}" for m in _missing_layout(path, spec)]
    for folder in spec.weight_folders:
        if not (path / folder).is_dir():
            continue
        sizes, tensors, problems = check_weight_folder(path / folder)
        report.weights.update({f"{folder}/{k}": v for k, v in sizes.items()})
        report.tensors += tensors
        report.problems += problems
    from seethrough.core.models.verify import compare_release_size, verify_digests

    report.notes += compare_release_size(spec.id, report.total_bytes)
    if sha256:
        verify_digests(report)
    return report
