"""`seethrough-gui check FILE`: the quality checks of core.quality, as text or JSON.

Findings are data, not errors: the exit code is 0 whatever they say (2 only when FILE cannot be read). With `--fix`
the recommended fix of every finding that has one (re-decomposing excepted: it needs the model) is applied, as in
the GUI, and the repaired document is written to `-o`; a fix that cannot be applied (a locked layer, a hole with no
input image to fill it from, nothing under a cut to extend) is skipped and listed with its reason ("kept"), and the
others are still applied and written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seethrough.cli import EXIT_OK, print_json

#: a document is re-checked after each fix; this bounds the rounds on a pathological file
MAX_FIX_ROUNDS = 50


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="quality checks: slivers, holes, order conflicts, failed splits, … (exit 0)")
    check.add_argument("file", help="image, PSD, .stproj, PNG folder, or 'sample'")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--fix", action="store_true", help="apply every finding's recommended fix (needs -o)")
    check.add_argument("-o", "--output", help="with --fix: where to write the repaired document (.psd, .stproj, dir/)")
    check.add_argument("--force", action="store_true", help="with --fix: replace an output that already exists")
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from seethrough.cli.layer_commands import load, save
    from seethrough.core.errors import BadInput, LayerLocked
    from seethrough.core.quality import fix_command, run_checks

    if args.fix and not args.output:
        raise BadInput("--fix needs -o OUTPUT: the input file is never overwritten")
    if args.fix:
        from seethrough.cli.layer_commands import DOCUMENT_OUTPUTS
        from seethrough.cli.outputs import check_outputs

        check_outputs(args.output, args.force, suffixes=DOCUMENT_OUTPUTS)  # before any work
    doc = load(args.file)
    from seethrough.cli.terminal import Progress

    with Progress(f"checking {Path(args.file).name}") as progress:  # on a terminal only
        findings = run_checks(doc, progress=progress)
    applied: list[dict] = []
    skipped: list[dict] = []  # fixes that could not be applied (a locked layer, nothing to fill from…), and why
    tried: set[str] = set()
    if args.fix:
        for _ in range(MAX_FIX_ROUNDS):
            fixable = [f for f in findings if f.fixes and f.fixes[0] != "redecompose" and f.message not in tried]
            if not fixable:
                break
            finding = fixable[0]
            tried.add(finding.message)  # a fix is tried once: two fixes that undo each other cannot loop
            try:
                doc.history.push(fix_command(doc, finding))
            except (LayerLocked, BadInput) as exc:  # locked, or this fix cannot apply here: the others still do
                skipped.append({"check": finding.check, "fix": finding.fixes[0], "message": finding.message,
                                "reason": str(exc)})
                continue
            applied.append({"check": finding.check, "fix": finding.fixes[0], "message": finding.message})
            findings = run_checks(doc)
        save(doc, args.output, force=args.force)
    if args.json:
        out = {"file": args.file, "canvas": [doc.width, doc.height], "findings": [f.as_dict() for f in findings]}
        if args.fix:
            out.update(fixed=applied, skipped=skipped, output=args.output)
        print_json(out)
        return EXIT_OK
    for item in applied:
        print(f"fixed  {item['check']:<14} {item['message']} ({item['fix']})")
    for item in skipped:
        print(f"kept   {item['check']:<14} {item['message']}: {item['reason']}")
    if not findings:
        print(f"{args.file}: no findings")
    for f in findings:
        box = "" if f.box is None else " at " + ",".join(str(v) for v in f.box)
        print(f"{f.severity:<7} {f.check:<14} {f.message}{box}  [fix: {', '.join(f.fixes) or '-'}]")
    if args.fix:
        print(args.output)
    return EXIT_OK
