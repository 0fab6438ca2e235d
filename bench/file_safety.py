"""What the file-safety layer costs: the safe JSON loader against plain json, schema validation of a big project
manifest, and a PSD set export/import of the sample (hashing of the set members included). Prints numbers."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    from seethrough.core.io import safe_json
    from seethrough.core.io.psd_export import export_psd
    from seethrough.core.io.psd_import import import_psd
    from seethrough.core.io.schemas import ProjectManifest, validate
    from seethrough.core.sample import build_sample_document

    layers = [{"name": f"layer {i}", "uid": f"u{i}", "offset": [i % 500, i % 300], "size": [64, 64], "tag": "face",
               "depth_value": 0.5, "visible": True, "opacity": 1.0, "provenance": "x" * 40} for i in range(10_000)]
    manifest = {"schema_version": 1, "canvas": [1024, 1024], "metadata": {}, "layers": layers}
    text = json.dumps(manifest).encode()
    plain = _best(lambda: json.loads(text))
    safe = _best(lambda: safe_json.loads(text, "p.json"))
    checked = _best(lambda: validate(ProjectManifest, json.loads(text), "p.json"), 3)
    print(f"project.json of 10 000 layers ({len(text) / 1e6:.1f} MB): json.loads {plain * 1e3:.0f} ms, "
          f"safe_json.loads {safe * 1e3:.0f} ms, schema validation {checked * 1e3:.0f} ms")
    doc = build_sample_document()
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "sample.psd"
        export_psd(doc, target)  # warm-up (lazy imports)
        write = _best(lambda: export_psd(doc, target), 3)
        read = _best(lambda: import_psd(target), 3)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
    print(f"sample {doc.width}×{doc.height}, {len(doc.layers)} layers: PSD set export {write * 1e3:.0f} ms, "
          f"import with member hashes checked {read * 1e3:.0f} ms ({size:.1f} MB on disk)")


if __name__ == "__main__":
    main()
