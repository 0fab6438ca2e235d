"""`seethrough-gui models …`: the released architectures' keys, what weights are installed, verify a folder.

- `models keys layers-v2|layers-v3|trans-vae|depth [--json]`: state-dict key → shape of the full-size
  architecture, built on the meta device (no memory, no weights needed).
- `models list [--models-dir DIR] [--json]`: every known model, whether and where it is installed, its size.
- `models check DIR [--sha256] [--json]`: layout, configs and safetensors headers of a model folder, and with
  `--sha256` each weight file against the digest recorded at download (exit 2 if broken).
- `models fetch NAME [--models-dir DIR] [--print]`: download a released model into the models folder, or print the
  exact `hf download` line (with `--print`, or when the Hub cannot be reached: exit 2, in seconds).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seethrough.cli import EXIT_BAD_INPUT, EXIT_OK, print_json

ARCH_NAMES = ("layers-v2", "layers-v3", "trans-vae", "depth")


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="model architectures and installed weights")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    keys = msub.add_parser("keys", help="state-dict keys and shapes of a released architecture (meta device)")
    keys.add_argument("name", choices=ARCH_NAMES, help=f"the architecture: {', '.join(ARCH_NAMES)}")
    keys.add_argument("--json", action="store_true", help="print a JSON object key → shape")
    keys.set_defaults(func=_keys)

    lst = msub.add_parser("list", help="known models and where they are installed")
    lst.add_argument("--models-dir", action="append", default=[], help="extra folder to search (repeatable)")
    lst.add_argument("--no-hf-cache", action="store_true", help="do not look in the Hugging Face cache")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_list)

    check = msub.add_parser("check", help="verify a model folder (layout, configs, safetensors headers)")
    check.add_argument("dir", help="the model folder (as `hf download … --local-dir` wrote it)")
    check.add_argument("--sha256", action="store_true",
                       help="hash every weight file and compare with the digest the Hub gave at download")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_check)

    fetch = msub.add_parser("fetch", help="download a released model (needs the network), or print how")
    fetch.add_argument("name", help="layers-v3, layers-v2, depth, or the Hugging Face repo id")
    fetch.add_argument("--models-dir", type=Path, default=None,
                       help="install under this folder (default: the default models folder)")
    fetch.add_argument("--print", action="store_true", dest="print_only",
                       help="only print the download command (shell and Python)")
    fetch.set_defaults(func=_fetch)


def _keys(args: argparse.Namespace) -> int:
    from seethrough.core.models.arch import state_dict_shapes

    shapes = state_dict_shapes(args.name)
    if args.json:
        print_json(shapes)
    else:
        for key, shape in shapes.items():
            print(f"{key}\t{tuple(shape)}")
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from seethrough.core.models.catalog import list_models

    rows = list_models(args.models_dir, use_hf_cache=not args.no_hf_cache)
    if args.json:
        print_json(rows)
        return EXIT_OK
    for row in rows:
        if row["installed"]:
            size = row["size_bytes"] / 1e9
            print(f"{row['id']:<10} installed  {size:6.2f} GB  {row['path']}  ({row['source']})")
        elif not row["published"]:
            print(f"{row['id']:<10} missing    {row['repo_id']}  (not published: no download exists)")
        else:
            print(f"{row['id']:<10} missing    {row['repo_id']}  →  {row['download']}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from seethrough.core.models.catalog import check_model_dir

    report = check_model_dir(args.dir, sha256=args.sha256)
    if args.json:
        print_json(report.to_dict())
    else:
        status = "ok" if report.ok else "BROKEN"
        print(f"{report.path}: {status}  model={report.model_id} tags={report.tag_version} "
              f"{report.total_bytes / 1e9:.2f} GB in {len(report.weights)} files, {report.tensors} tensors")
        for problem in report.problems:
            print(f"  - {problem}")
        for note in report.notes:
            print(f"  note: {note}")
        for file, digest in report.digests.items():
            state = "unverified" if digest["expected"] is None else (
                "ok" if digest["expected"] == digest["sha256"] else "MISMATCH")
            print(f"  sha256 {digest['sha256']}  {file}  {state}")
    return EXIT_OK if report.ok else EXIT_BAD_INPUT


def _fetch(args: argparse.Namespace) -> int:
    from seethrough.core.models.catalog import default_models_dir, find_model
    from seethrough.core.models.fetch import fetch, hub_endpoint, hub_unreachable_reason, resolve_spec

    spec = resolve_spec(args.name)
    if not spec.published:
        from seethrough.core.errors import BadInput

        raise BadInput(f"{spec.unpublished_note}; the released layer model is layers-v3")
    target = (args.models_dir.expanduser() if args.models_dir else default_models_dir()) / spec.dir_name
    how = f"{spec.download_command(target)} (or in Python: {spec.download_python(target)})"
    if args.print_only:
        print(spec.download_command(target))
        print(spec.download_python(target))
        return EXIT_OK
    reason = hub_unreachable_reason()
    if reason is not None:
        print(f"seethrough-gui: cannot download {spec.repo_id}: the Hugging Face Hub ({hub_endpoint()}) is not "
              f"reachable: {reason}. On a machine with network access run: {how}; then copy the folder to "
              f"{target}", file=sys.stderr)  # one line, as every error
        return EXIT_BAD_INPUT
    print(f"downloading {spec.repo_id} into {target} (resumable; Ctrl+C to stop)", file=sys.stderr)
    try:
        path = fetch(spec, target)
    except OSError as exc:  # the Hub's HTTP errors are OSErrors too
        from seethrough.core.errors import BadInput

        raise BadInput(f"download of {spec.repo_id} failed ({exc}); running the same command again resumes it, "
                       f"or: {how}") from exc
    location = find_model(spec.id, [path.parent], use_hf_cache=False)
    print(f"{spec.id} installed in {location.path}; verify it with: seethrough-gui models check --sha256 "
          f"{location.path}")
    return EXIT_OK
