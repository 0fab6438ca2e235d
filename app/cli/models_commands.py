"""`seethrough-gui models …`: the released architectures' keys, what weights are installed, verify a folder.

- `models keys layers-v2|layers-v3|trans-vae|depth [--json]`: state-dict key → shape of the full-size
  architecture, built on the meta device (no memory, no weights needed).
- `models list [--models-dir DIR] [--json]`: every known model, whether and where it is installed, its size.
- `models check DIR [--json]`: layout, configs and safetensors headers of a model folder (exit 2 if broken).
"""

from __future__ import annotations

import argparse

from seethrough.app.cli import EXIT_BAD_INPUT, EXIT_OK, print_json

ARCH_NAMES = ("layers-v2", "layers-v3", "trans-vae", "depth")


def register(sub: argparse._SubParsersAction) -> None:
    models = sub.add_parser("models", help="model architectures and installed weights")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    keys = msub.add_parser("keys", help="state-dict keys and shapes of a released architecture (meta device)")
    keys.add_argument("name", choices=ARCH_NAMES)
    keys.add_argument("--json", action="store_true", help="print a JSON object key → shape")
    keys.set_defaults(func=_keys)

    lst = msub.add_parser("list", help="known models and where they are installed")
    lst.add_argument("--models-dir", action="append", default=[], help="extra folder to search (repeatable)")
    lst.add_argument("--no-hf-cache", action="store_true", help="do not look in the Hugging Face cache")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_list)

    check = msub.add_parser("check", help="verify a model folder (layout, configs, safetensors headers)")
    check.add_argument("dir")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=_check)


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
        else:
            print(f"{row['id']:<10} missing    {row['repo_id']}  →  {row['download']}")
    return EXIT_OK


def _check(args: argparse.Namespace) -> int:
    from seethrough.core.models.catalog import check_model_dir

    report = check_model_dir(args.dir)
    if args.json:
        print_json(report.to_dict())
    else:
        status = "ok" if report.ok else "BROKEN"
        print(f"{report.path}: {status}  model={report.model_id} tags={report.tag_version} "
              f"{report.total_bytes / 1e9:.2f} GB in {len(report.weights)} files, {report.tensors} tensors")
        for problem in report.problems:
            print(f"  - {problem}")
    return EXIT_OK if report.ok else EXIT_BAD_INPUT
