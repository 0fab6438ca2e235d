"""Quality checks of a layered document, each with guided repairs.

`run_checks(doc)` lists `Finding`s (empty or sliver layers, holes, content outside the silhouette, regions that do
not reconstruct the input, order conflicts, failed left/right splits, hard cuts that motion will expose);
`fix_command(doc, finding, fix)` builds the one-step undoable `Command` that repairs a finding. Findings are data:
the CLI prints them (`seethrough-gui check`), the GUI lists them and highlights `finding.box`.
"""

from seethrough.core.quality.checks import run_checks
from seethrough.core.quality.findings import Finding, QualitySettings
from seethrough.core.quality.fixes import fix_command

__all__ = ["Finding", "QualitySettings", "fix_command", "run_checks"]
