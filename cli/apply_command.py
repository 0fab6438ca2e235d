"""`seethrough-gui apply FILE LOG -o OUT`: replay an operation log (File ▸ Export actions… in the GUI writes one)
on a document, headless: the same operations, the same results and the same refusals as in the GUI.

The whole log is validated before anything runs (an unknown operation or a value out of range is refused with its
key's path, exit 2); an operation that cannot be applied to the document stops the replay with its position and
nothing is written. docs/operations.md describes the format.
"""

from __future__ import annotations

import argparse
import sys

from seethrough.cli import EXIT_OK, print_json
from seethrough.cli.outputs import add_force, check_outputs


def register(sub: argparse._SubParsersAction) -> None:
    apply = sub.add_parser("apply", help="replay an operation log (File ▸ Export actions…) on a document")
    apply.add_argument("file", help="the document to start from: image, PSD, .stproj, PNG folder, or 'sample'")
    apply.add_argument("log", help="the operation log (.json)")
    apply.add_argument("-o", "--output", required=True, help="where to write the result (.psd, .stproj, .png, dir/)")
    apply.add_argument("--json", action="store_true", help="print what was applied as JSON")
    add_force(apply)
    apply.set_defaults(func=_apply)


def replay(doc: object, operations: list, progress: object = None) -> list[dict]:
    """Perform `operations` on `doc` in order; a failure names the operation's place in the log."""
    from seethrough.core.errors import BadInput
    from seethrough.core.operations import perform

    applied = []
    for i, op in enumerate(operations):
        try:
            command = perform(doc, op)  # type: ignore[arg-type]
        except BadInput as exc:
            raise type(exc)(f"operations[{i}] ({op.op}): {exc}") from None
        applied.append({"op": op.op, "did": command.text})
    return applied


def _apply(args: argparse.Namespace) -> int:
    from seethrough.cli.layer_commands import DOCUMENT_OUTPUTS, load, save
    from seethrough.core.io import safe_json
    from seethrough.core.operations import parse_log

    check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)
    operations = parse_log(safe_json.read(args.log, "operation log"))
    doc = load(args.file)
    applied = replay(doc, operations)
    written = save(doc, args.output, force=args.force)
    if args.json:
        print_json({"applied": applied, "written": [str(p) for p in written]})
    else:
        for entry in applied:
            print(entry["did"], file=sys.stderr)
        for path in written:
            print(path)
    return EXIT_OK
