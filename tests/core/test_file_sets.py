"""Sets written as sets: the PSD and its companions, temp files of killed writers, PNG folders next to a user's
files, the stored merged composite, and names/paths that must not leave the document's folder."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess

import numpy as np
import pytest

from seethrough.core.errors import BadInput
from seethrough.core.io import atomic
from seethrough.core.io.psd_export import companion_paths, composite_image, export_psd
from seethrough.core.io.psd_import import import_psd
from tests.support.hostile_corpus import foreign_psd, tiny_document


def _interrupt_after(monkeypatch, renames: int) -> None:
    """os.replace that is interrupted once (KeyboardInterrupt, as Ctrl+C would) after `renames` renames."""
    real = os.replace
    done = []

    def replace(src, dst):
        if str(dst).endswith(".st-set"):
            return real(src, dst)  # the set's journal, written before the renames
        if len(done) == renames:
            done.append("interrupted")
            raise KeyboardInterrupt("interrupted")
        done.append(dst)
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)


def test_an_interrupt_before_the_psd_rename_keeps_the_old_set_whole(tmp_path, monkeypatch):
    old, new = tiny_document(("a", "b")), tiny_document(("x", "y", "z"))
    target = tmp_path / "art.psd"
    export_psd(old, target)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    _interrupt_after(monkeypatch, 0)  # the PSD, renamed first, commits the set: nothing was renamed yet
    with pytest.raises(KeyboardInterrupt):
        export_psd(new, target)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temp, no journal, nothing changed
    doc = import_psd(target)
    assert [layer.name for layer in doc.layers] == ["a", "b"] and doc.metadata["import_warnings"] == []
    assert all(layer.depth is not None for layer in doc.layers)


@pytest.mark.parametrize("renames", [1, 2])
def test_an_interrupt_after_the_psd_rename_completes_the_new_set(tmp_path, monkeypatch, renames):
    old, new = tiny_document(("a", "b")), tiny_document(("x", "y", "z"))
    target = tmp_path / "art.psd"
    export_psd(old, target)
    _interrupt_after(monkeypatch, renames)
    with pytest.raises(KeyboardInterrupt):
        export_psd(new, target)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.psd", "art.psd.json", "art_depth.psd"]
    doc = import_psd(target)
    assert [layer.name for layer in doc.layers] == ["x", "y", "z"] and doc.metadata["import_warnings"] == []
    assert all(layer.depth is not None for layer in doc.layers)


def test_a_depth_psd_from_another_write_is_left_out(tmp_path):
    """A set mixed by other means (a depth PSD copied in from another export) is still caught by the hashes."""
    target = tmp_path / "art.psd"
    export_psd(tiny_document(("a", "b")), target)
    other = tmp_path / "other"
    other.mkdir()
    export_psd(tiny_document(("b", "a")), other / "art.psd")
    shutil.copyfile(other / "art_depth.psd", tmp_path / "art_depth.psd")
    doc = import_psd(target)
    assert any("per-pixel depth ignored" in w for w in doc.metadata["import_warnings"])


def test_a_whole_set_reads_with_its_companions(tmp_path):
    target = tmp_path / "art.psd"
    written = export_psd(tiny_document(), target)
    assert written == [target, *companion_paths(target)]
    meta = json.loads(companion_paths(target)[1].read_text())
    assert set(meta["members"]) == {"art.psd", "art_depth.psd"}
    doc = import_psd(target)
    assert doc.metadata["import_warnings"] == []
    assert all(layer.depth is not None for layer in doc.layers)


def test_stale_temps_of_dead_writers_are_removed_and_live_ones_and_foreign_files_kept(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale_file = tmp_path / f".art.psd.{dead.pid}.abc123.st-tmp"
    stale_dir = tmp_path / f".pngs.{dead.pid}.k9x.st-tmp"
    live = tmp_path / f".art.psd.{os.getpid()}.zzz.st-tmp"
    foreign = [tmp_path / ".art.psd.tmp", tmp_path / "notes.st-tmp", tmp_path / ".x.123.st-tmp.bak"]
    stale_file.write_bytes(b"half")
    stale_dir.mkdir()
    (stale_dir / "00_a.png").write_bytes(b"half")
    for path in [live, *foreign]:
        path.write_bytes(b"keep")
    export_psd(tiny_document(), tmp_path / "art.psd")
    assert not stale_file.exists() and not stale_dir.exists()
    assert live.exists() and all(p.exists() for p in foreign)


def test_an_output_path_that_is_a_folder_fails_cleanly(tmp_path):
    (tmp_path / "art.psd").mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        export_psd(tiny_document(), tmp_path / "art.psd")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art.psd"]


# --- PNG folders -------------------------------------------------------------------------------------------------
def test_png_export_keeps_a_users_files_and_the_folders_permissions(tmp_path):
    from seethrough.core.io.png_folder import export_png_folder

    folder = tmp_path / "layers"
    folder.mkdir()
    folder.chmod(0o755)
    export_png_folder(tiny_document(), folder)  # an empty folder is fine
    (folder / "notes.txt").write_text("mine")
    (folder / "sub").mkdir()
    (folder / "sub" / "drawing.kra").write_bytes(b"krita")
    first = set(os.listdir(folder))
    export_png_folder(tiny_document(("one", "two")), folder)  # a folder of ours: our files replaced, nothing else
    names = set(os.listdir(folder))
    assert {"notes.txt", "sub"} <= names and (folder / "sub" / "drawing.kra").read_bytes() == b"krita"
    assert "00_back hair.png" in first and "00_back hair.png" not in names  # the previous export's own files
    assert {"00_one.png", "01_two.png", "manifest.json", "composite.png"} <= names
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755


def test_png_export_refuses_a_foreign_non_empty_folder(tmp_path):
    from seethrough.core.io.png_folder import export_png_folder

    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="holds files that are not a See-through export"):
        export_png_folder(tiny_document(), folder)
    assert sorted(os.listdir(folder)) == ["notes.txt", "sub"]


def test_png_names_are_sanitised_and_capped_with_the_name_kept(tmp_path):
    from seethrough.core.io.open_any import open_document
    from seethrough.core.io.png_folder import export_png_folder

    names = ("h" * 300, "髪 🎀\nribbon", "a\x00b", "../../etc/passwd", "CON", "..")
    out = export_png_folder(tiny_document(names), tmp_path / "pngs")
    files = [p.name for p in out.iterdir()]
    assert all(len(n.encode("utf-8")) < 255 and "/" not in n and "\x00" not in n and "\n" not in n for n in files)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pngs"]  # nothing escaped the folder
    back = open_document(out)
    assert [layer.name for layer in back.layers] == [n.replace("\x00", "") for n in names]  # NULs dropped


def test_png_reader_stays_inside_its_folder(tmp_path):
    from seethrough.core.io.png_folder import export_png_folder, load_png_folder

    out = export_png_folder(tiny_document(), tmp_path / "pngs")
    manifest = json.loads((out / "manifest.json").read_text())
    for bad in ("/etc/hostname", "../secret.png", "a/../../secret.png"):
        manifest["layers"][0]["file"] = bad
        manifest.pop("files", None)
        (out / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(BadInput, match="plain file name|not allowed|absolute"):
            load_png_folder(out)
    manifest["layers"][0]["file"] = "link.png"
    (tmp_path / "secret.png").write_bytes(b"x")
    (out / "link.png").symlink_to(tmp_path / "secret.png")
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BadInput, match="outside the folder"):
        load_png_folder(out)


def test_png_reader_reports_members_of_another_export(tmp_path):
    from seethrough.core.io.png_folder import export_png_folder, load_png_folder

    out = export_png_folder(tiny_document(), tmp_path / "pngs")
    shutil.copyfile(out / "01_face.png", out / "00_back hair.png")
    with pytest.raises(BadInput, match="does not match manifest.json"):
        load_png_folder(out)


# --- the stored merged composite ---------------------------------------------------------------------------------
def _doc_with_transparency():
    doc = tiny_document()
    return doc


def test_the_stored_composite_is_ours_with_its_alpha(tmp_path):
    from psd_tools import PSDImage

    doc = _doc_with_transparency()
    export_psd(doc, tmp_path / "c.psd")
    ours = composite_image(doc)
    stored = np.asarray(PSDImage.open(tmp_path / "c.psd").composite())  # the default: the stored merged image
    assert stored.shape == ours.shape  # RGBA, not RGB over black
    np.testing.assert_array_equal(stored[..., 3], ours[..., 3])
    alpha = ours[..., 3:4].astype(np.float64) / 255.0
    premultiplied_error = np.abs(stored[..., :3].astype(np.float64) - ours[..., :3]) * alpha
    assert premultiplied_error.max() <= 1.0  # the white matte carries colour to 1/255 of the composite


@pytest.mark.skipif(shutil.which("convert") is None, reason="ImageMagick is not installed")
def test_imagemagick_reads_the_stored_composite_as_ours(tmp_path):
    from PIL import Image

    doc = _doc_with_transparency()
    export_psd(doc, tmp_path / "c.psd")
    result = subprocess.run(["convert", str(tmp_path / "c.psd") + "[0]", "-define", "png:color-type=6",
                             str(tmp_path / "im.png")], capture_output=True, timeout=60)
    if result.returncode != 0 or not (tmp_path / "im.png").exists():
        pytest.skip(f"this convert cannot read PSDs: {result.stderr[:200]!r}")
    im = np.asarray(Image.open(tmp_path / "im.png").convert("RGBA")).astype(np.float64)
    ours = composite_image(doc)
    np.testing.assert_array_equal(im[..., 3], ours[..., 3])
    assert (np.abs(im[..., :3] - ours[..., :3]) * ours[..., 3:4] / 255.0).max() <= 1.0


def test_trailing_nuls_of_imported_layer_names_are_dropped(tmp_path):
    path = foreign_psd(("back hair\x00", "front hair\x00\x00", "face"))(tmp_path)
    doc = import_psd(path)
    assert [layer.name for layer in doc.layers] == ["back hair", "front hair", "face"]
    assert [layer.tag for layer in doc.layers] == ["back hair", "front hair", "face"]


def test_a_folder_replaced_whole_keeps_its_mode(tmp_path):
    target = tmp_path / "sample"
    with atomic.atomic_folder(target) as tmp:
        (tmp / "a.txt").write_text("1")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o777 & ~umask  # not mkdtemp's 0700
    target.chmod(0o750)
    with atomic.atomic_folder(target) as tmp:
        (tmp / "a.txt").write_text("2")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750 and (target / "a.txt").read_text() == "2"
