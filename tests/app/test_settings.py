"""Typed settings: defaults, types kept, a wrong stored type falls back to the default, a schema version; the
Decompose parameters survive a restart."""

from PySide6.QtCore import QSettings

from seethrough.app import settings as keys
from seethrough.app.session import DocumentSession
from seethrough.app.settings import SCHEMA, SCHEMA_VERSION, Settings
from seethrough.app.workspaces.decompose import DecomposeWorkspace


def test_typed_keys_with_defaults_and_a_schema_version(qtbot):
    settings = Settings()
    assert settings.get(keys.RESOLUTION) == 1280 and settings.get(keys.WITH_DEPTH) is True
    assert settings.get(keys.RECENT_FILES) == []
    settings.set(keys.STEPS, 12)
    settings.set(keys.WITH_DEPTH, False)
    settings.set(keys.RECENT_FILES, ["/a.stproj", "/b.psd"])
    again = Settings()
    assert again.get(keys.STEPS) == 12 and again.get(keys.WITH_DEPTH) is False
    assert again.get(keys.RECENT_FILES) == ["/a.stproj", "/b.psd"]
    assert int(QSettings().value("schema/version")) == SCHEMA_VERSION
    QSettings().setValue(keys.STEPS.name, "many")  # written by hand, or by something else
    assert Settings().get(keys.STEPS) == keys.STEPS.default
    assert all(key.help and key.name == name for name, key in SCHEMA.items())


def test_decompose_parameters_persist(qtbot):
    first = DecomposeWorkspace(DocumentSession())
    qtbot.addWidget(first)
    first.resolution.setValue(512)
    first.depth_resolution.setValue(256)
    first.steps.setValue(7)
    first.tagset.setCurrentText("v2")
    first.with_depth.setChecked(False)
    first.shutdown()
    second = DecomposeWorkspace(DocumentSession())
    qtbot.addWidget(second)
    options = second.options()
    assert (options.resolution, options.depth_resolution, options.steps, options.tagset, options.depth) == (
        512, 256, 7, "v2", False)
    second.shutdown()


def test_float_keys_round_trip_and_refuse_what_is_not_a_finite_number(qtbot):
    settings = Settings()
    assert settings.get(keys.ANIMATION_SECONDS) == 4.0
    settings.set(keys.ANIMATION_SECONDS, 2.5)
    assert Settings().get(keys.ANIMATION_SECONDS) == 2.5  # stored as text in the ini file, read back as a float
    for bad in ("nan", "inf", "soon"):
        QSettings().setValue(keys.ANIMATION_SECONDS.name, bad)
        assert Settings().get(keys.ANIMATION_SECONDS) == keys.ANIMATION_SECONDS.default
