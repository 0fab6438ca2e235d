"""Package layout: the repository's top-level folders install as one namespace, `seethrough`.

`core/` → `seethrough.core`, `app/` → `seethrough.app`, `annotation/` → `seethrough.annotation`,
`training/` → `seethrough.training`, `resources/` → `seethrough.resources` (package data). Nothing else lands in
site-packages. Metadata and dependencies live in pyproject.toml; this file only computes the package list and the
resource files, so a new sub-package or resource is picked up without editing a list by hand
(tests/test_packaging.py builds the wheel and checks both).
"""

from pathlib import Path

from setuptools import find_packages, setup

TOP = ("core", "app", "cli", "annotation", "training")
#: resources/ sub-folders that are not read by the program (README images): not shipped
NOT_SHIPPED = ("screenshots",)


def resource_files() -> dict[str, list[str]]:
    """The shipped resource files, by the package (folder) that holds them.

    Every folder under resources/ is listed as a package of its own (`seethrough.resources.configs`, …): setuptools
    treats a folder of data inside a package as an importable namespace and warns when it is left out."""
    root = Path(__file__).resolve().parent / "resources"
    files: dict[str, list[str]] = {"seethrough.resources": []}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or path.suffix in (".py", ".pyc") or relative.parts[0] in (*NOT_SHIPPED, "__pycache__"):
            continue
        package = ".".join(("seethrough.resources", *relative.parts[:-1]))
        files.setdefault(package, []).append(relative.name)
    return files


resources = resource_files()
packages = sorted(resources)
for name in find_packages(include=[f"{top}*" for top in TOP]):
    if name.split(".")[0] in TOP:
        packages.append(f"seethrough.{name}")

setup(
    packages=packages,
    package_dir={f"seethrough.{top}": top for top in (*TOP, "resources")},
    package_data=resources,
)
