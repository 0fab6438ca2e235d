"""The wheel holds the whole program and nothing else: every package folder, every shipped resource, under the one
`seethrough` namespace (setup.py computes both lists; this builds a real wheel to check them)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOP = ("core", "app", "annotation", "training")
#: what a build needs; nothing else of the checkout is copied
BUILD_INPUTS = ("setup.py", "pyproject.toml", "README.md", *TOP, "resources")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    # without build isolation the build uses this environment's setuptools (the `test` extra requires >= 77)
    pytest.importorskip("setuptools", minversion="77", reason="building the wheel needs setuptools >= 77")
    src = tmp_path_factory.mktemp("src")
    for name in BUILD_INPUTS:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                            str(dist), str(src)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, f"pip wheel failed:\n{built.stderr[-3000:]}"
    (built,) = dist.glob("seethrough_studio-*.whl")
    with zipfile.ZipFile(built) as zf:
        yield zf


def _names(wheel: zipfile.ZipFile) -> set[str]:
    return set(wheel.namelist())


def test_every_package_folder_and_module_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = _names(wheel)
    expected = {f"seethrough/{py.relative_to(REPO).as_posix()}"
                for top in TOP for py in (REPO / top).rglob("*.py") if "__pycache__" not in py.parts}
    packages = {p.parent for top in TOP for p in (REPO / top).rglob("__init__.py")}
    assert len(packages) > 10 and len(expected) > 80
    assert expected <= names, sorted(expected - names)


def test_every_shipped_resource_is_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = _names(wheel)
    root = REPO / "resources"
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    shipped = {f"seethrough/resources/{p.relative_to(root).as_posix()}" for p in files
               if p.relative_to(root).parts[0] != "screenshots"}  # README images, never read by the program
    assert {"seethrough/resources/taxonomy.json", "seethrough/resources/sample/preview.png"} <= shipped
    assert shipped <= names, sorted(shipped - names)
    assert not any(n.startswith("seethrough/resources/screenshots/") for n in names)


def test_nothing_but_the_namespace_lands_in_site_packages(wheel: zipfile.ZipFile) -> None:
    tops = {n.split("/", 1)[0] for n in wheel.namelist()}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"seethrough"}
    assert not any(n.endswith((".pyc", "/")) or "__pycache__" in n for n in wheel.namelist())
    (info,) = dist_info
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "seethrough-gui = seethrough.app.__main__:main" in entry_points
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert "Requires-Dist: PySide6-Essentials!=6.12.0,<7,>=6.7" in metadata
