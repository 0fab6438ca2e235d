"""Shared test setup: Qt runs offscreen (set before anything imports Qt); every test gets its own user-data
folder and settings, so no test sees another's recent files or window layout."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if os.environ["QT_QPA_PLATFORM"] == "offscreen":  # a 1600×1000 screen (Qt's offscreen default is 800×800)
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={Path(__file__).parent / 'data' / 'offscreen-screen.json'}"
# the Live2D sample models: ../shared/fixtures/live2d beside the checkout unless $SEETHROUGH_FIXTURES says otherwise
os.environ.setdefault(
    "SEETHROUGH_FIXTURES", str(Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "live2d")
)


def _guard_qt_host() -> None:
    """This process hosts Qt widgets like the app does, so it gets the app's guard (app/none_refcount.py)."""
    try:
        import PySide6  # noqa: F401
    except ImportError:
        return
    from seethrough.app.none_refcount import guard_none_refcount

    guard_none_refcount()


_guard_qt_host()


#: every pytest-qt wait (`waitUntil`, `waitSignal`, …) is a condition with a deadline: on a loaded machine the
#: condition comes true later, never differently, so the deadlines are stretched by this factor (a wait that
#: succeeds costs the same). `$SEETHROUGH_WAIT_SCALE` overrides it; pytest's own timeout still bounds a test.
WAIT_SCALE = float(os.environ.get("SEETHROUGH_WAIT_SCALE", "4"))


def _stretch_qt_waits() -> None:
    try:
        from pytestqt.qtbot import QtBot
    except ImportError:
        return
    import functools
    import inspect

    def stretched(method):
        default = inspect.signature(method).parameters["timeout"].default

        @functools.wraps(method)
        def wait(self, *args, timeout=default, **kwargs):
            if isinstance(timeout, (int, float)) and timeout > 0:
                timeout = int(timeout * WAIT_SCALE)
            return method(self, *args, timeout=timeout, **kwargs)

        return wait

    for name in ("waitUntil", "waitSignal", "waitSignals", "waitCallback"):
        method = getattr(QtBot, name, None)
        if method is not None and "timeout" in inspect.signature(method).parameters:
            setattr(QtBot, name, stretched(method))


_stretch_qt_waits()


@pytest.fixture(autouse=True)
def _fresh_user_folders(tmp_path, monkeypatch):
    monkeypatch.setenv("SEETHROUGH_HOME", str(tmp_path / "home"))
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # the non-GUI suites also run without Qt installed
        return
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


# ------------------------------------------------------------------------------------------------- markers
# `slow`: measured at 25 s or more on the 2-core CI machine while nine sessions shared it (docs/testing.md);
# the fast lane is `pytest -m "not slow"`. Node-id prefixes (a file alone marks all its tests). Re-measure with
# `pytest --durations=30` after adding heavy tests; tests/test_markers.py checks every entry still names a test.
SLOW_TESTS: tuple[str, ...] = (
    "tests/cli/test_layer_cli.py::test_sample_psd_then_composite_stratify_lrsplit_export",  # 112 s
    "tests/pipelines/test_decompose_cli.py::test_batch_over_a_folder_resumes",  # 110 s
    "tests/app/test_annotate.py::test_label_edit_workflow",  # 72 s
    "tests/app/test_main_window.py::test_stratify_hair_undo_redo",  # 72 s
    "tests/training/test_evaluate.py::test_eval_cli_writes_json_and_markdown",  # 64 s
    "tests/cli/test_cli.py::test_stratify_default_tags",  # 64 s
    "tests/cli/test_cli.py::test_lrsplit_handwear",  # 61 s
    "tests/models/test_keys.py::test_cli_prints_keys_as_json",  # 57 s
    "tests/cli/test_cli.py::test_export_to_folder_and_psd",  # 56 s
    "tests/cli/test_cli.py::test_stratify_hair_into_a_psd",  # 49 s
    "tests/app/test_main_window.py::test_layer_panel_edits_are_undoable",  # 44 s
    "tests/app/test_main_window.py::test_export_psd_from_the_file_menu",  # 42 s
    "tests/pipelines/test_decompose_cli.py::test_missing_weights_say_what_and_how",  # 34 s
    "tests/pipelines/test_decompose_tiny.py::test_eager_attention_matches_sdpa",  # 33 s
    "tests/pipelines/test_speed_settings.py::test_compiled_unet_blocks_give_the_eager_layers",  # 28–129 s (Inductor)
    "tests/app/test_main_window.py::test_drag_reorder_through_the_model",  # 32 s
    "tests/pipelines/test_decompose_cli.py::test_quantized_weights_are_an_option_and_refused",  # 32 s
    "tests/app/test_annotate.py::test_export_psd_and_cancel_an_export",  # 27 s
    "tests/app/test_main_window.py::test_dragged_threshold_changes_the_strata",  # 27 s
    "tests/app/test_annotate.py::test_pose_slider_rerenders_and_propagation",  # 27 s
    "tests/app/test_main_window.py::test_save_project_and_reopen",  # 25 s
    # measured after main's merge, with less load (`--durations=30`, 12 s or more):
    "tests/app/test_train_workspace.py::test_start_watch_stop_resume",  # 29 s; 116 s with the 2-process resume, loaded
    "tests/app/test_train_workspace.py::test_a_finished_run_leaves_the_window_within_the_screen",  # 66 s, loaded
    "tests/training/test_small_export_split.py::test_single_model_export_trains_and_evaluates",  # 26 s
    "tests/training/test_train_cli.py::test_tiny_layer_config_trains_and_resumes",  # 24 s
    "tests/training/test_checkpoint_resume.py::test_kill_during_checkpoint_write_then_resume",  # 22 s
    "tests/pipelines/test_redecompose.py::test_cli_redecompose_writes_the_output_and_refuses_a_bad_box",  # 17 s
    "tests/cli/test_write_errors.py::test_train_on_a_full_disk_keeps_the_last_checkpoint",  # 14 s
    "tests/training/test_multiprocess.py",  # 150 s: three 2-process launches and one single-process run
    "tests/training/test_checkpoint_resume.py::test_resume_from_a_folder_with_only_incomplete_checkpoints",  # 12 s
    # the batch over a built corpus (one model hangs until its time limit), kill -9 sweeps, a Ray cluster
    "tests/annotation/test_batch.py::test_batch_exports_each_good_model_once",  # 38 s
    "tests/annotation/test_batch.py::test_kill_9_at_random_moments",  # 68 s
    "tests/annotation/test_batch.py::test_ray_engine_gives_the_local_engines_dataset",  # 50 s
    "tests/app/test_review_list.py::test_open_review_list_then_next_model",  # 22 s
)


@pytest.fixture()
def live2d_models() -> Path:
    """The Live2D sample models folder (tests using it are marked `live2d`); skips when it is absent."""
    from seethrough.core.paths import fixtures_dir

    folder = fixtures_dir()
    if not (folder / "Mark").is_dir():
        pytest.skip(f"Live2D fixtures not found in {folder}")
    return folder


@pytest.fixture()
def cuda_device() -> str:
    """A CUDA device name (tests using it are marked `gpu`); skips without a GPU."""
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA GPU")
    return "cuda"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply the `live2d`, `gpu` and `slow` markers from what a test uses, so no test has to remember them."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        module = getattr(item, "module", None)
        # a test module that reads the Live2D samples imports `fixtures_dir` (or uses the fixture above)
        if "live2d_models" in fixtures or (module is not None and "fixtures_dir" in vars(module)):
            item.add_marker(pytest.mark.live2d)
        if "cuda_device" in fixtures:
            item.add_marker(pytest.mark.gpu)
        if item.nodeid.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)
