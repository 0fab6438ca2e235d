"""Package layout: the repository's top-level folders install as one namespace, `seethrough`.

`core/` → `seethrough.core`, `app/` → `seethrough.app`, `annotation/` → `seethrough.annotation`,
`training/` → `seethrough.training`, `resources/` → `seethrough.resources` (package data). Nothing else lands in
site-packages. Metadata and dependencies live in pyproject.toml; this file only computes the package list and the
resource files, so a new sub-package or resource is picked up without editing a list by hand
(tests/test_packaging.py builds the wheel and checks both).
"""

from pathlib import Path

from setuptools import find_packages, setup

TOP = ("core", "app", "annotation", "training")
#: resources/ sub-folders that are not read by the program (README images): not shipped
NOT_SHIPPED = ("screenshots",)


def resource_files() -> list[str]:
    root = Path(__file__).resolve().parent / "resources"
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
        and path.relative_to(root).parts[0] not in (*NOT_SHIPPED, "__pycache__")
    )


packages = ["seethrough.resources"]
for name in find_packages(include=[f"{top}*" for top in TOP]):
    if name.split(".")[0] in TOP:
        packages.append(f"seethrough.{name}")

setup(
    packages=packages,
    package_dir={f"seethrough.{top}": top for top in (*TOP, "resources")},
    package_data={"seethrough.resources": resource_files()},
)
