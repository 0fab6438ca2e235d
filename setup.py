"""Package layout: the repository's top-level folders install as one namespace, `seethrough`.

`core/` → `seethrough.core`, `app/` → `seethrough.app`, `annotation/` → `seethrough.annotation`,
`training/` → `seethrough.training`, `resources/` → `seethrough.resources` (package data). Nothing else lands in
site-packages. Metadata and dependencies live in pyproject.toml; this file only computes the package list, so a new
sub-package is picked up without editing a list by hand.
"""

from setuptools import find_packages, setup

TOP = ("core", "app", "annotation", "training")
packages = ["seethrough.resources"]
for name in find_packages(include=[f"{top}*" for top in TOP]):
    if name.split(".")[0] in TOP:
        packages.append(f"seethrough.{name}")

setup(
    packages=packages,
    package_dir={f"seethrough.{top}": top for top in (*TOP, "resources")},
    package_data={"seethrough.resources": ["*.json", "configs/*.yaml", "sample/*.png"]},
)
