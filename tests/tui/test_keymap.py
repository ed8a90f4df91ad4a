"""`[keys]` remaps: every binding has an id, remaps apply at start-up and show in the footer
and in help, bad entries are skipped with one line naming them; g/G, half pages, ctrl+z."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

from batchtui.core.keymap_check import key_problem
from batchtui.tui.keymap import checked_keymap, known_bindings
from batchtui.tui.screens.compose import ComposeScreen
from batchtui.tui.screens.detail import DetailScreen
from batchtui.tui.screens.help import BUILTIN_KEYS, HelpScreen, help_sections
from batchtui.tui.screens.validate import ValidateScreen
from helpers.shell import RecordingApp, make_app, make_config, make_registry, settle
from helpers.viewer import ViewerApp, input_line, wait_for

TUI = Path(__file__).resolve().parents[2] / "src" / "batchtui" / "tui"


def test_every_binding_in_the_tui_has_an_id_and_a_description() -> None:
    missing = []
    for path in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Binding":
                keywords = {keyword.arg for keyword in node.keywords}
                if "id" not in keywords or (len(node.args) < 3 and "description" not in keywords):
                    missing.append(f"{path.name}:{node.lineno}")
    assert missing == []


def test_the_keymap_knows_every_module_that_declares_bindings() -> None:
    import inspect

    from batchtui.tui import keymap

    listed = inspect.getsource(keymap._import_every_module_with_bindings)
    declaring = {
        ".".join(path.relative_to(TUI.parent).with_suffix("").parts)
        for path in TUI.rglob("*.py")
        if "Binding(" in path.read_text(encoding="utf-8") and path.name != "keymap.py"
    }
    assert {module for module in declaring if f"import batchtui.{module}" not in listed} == set()


def test_no_id_names_two_different_actions() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for binding in known_bindings().values():
        assert binding.id is not None
        if seen.setdefault(binding.id, binding.action) != binding.action:
            clashes.append(binding.id)
    assert clashes == [] and "jobs.cancel" in known_bindings()


@pytest.mark.parametrize("key", ["ctrl+k", "f5", "?", "question_mark", "slash", "G", "pageup"])
def test_real_keys_pass(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "said"),
    [("florp", "unknown key 'florp'"), ("cmd+x", "unknown modifier 'cmd'"), ("", "empty")],
)
def test_bad_keys_are_named(key: str, said: str) -> None:
    problem = key_problem(key)
    assert problem is not None and said in problem


def test_checked_keymap_keeps_good_entries_and_names_each_bad_one() -> None:
    good, problems = checked_keymap(
        {"jobs.cancel": "ctrl+k", "jobs.cancle": "x", "jobs.detail": "enter, florp"},
        where="config.toml",
    )
    assert good == {"jobs.cancel": "ctrl+k"}
    assert problems == [
        "config.toml: [keys] jobs.cancle: no key binding has this id "
        "(did you mean 'jobs.cancel'?); ignored",
        "config.toml: [keys] jobs.detail = 'enter, florp': unknown key 'florp'; ignored",
    ]


def keyed_app(tmp_path: Path, keys: dict[str, str]) -> RecordingApp:
    config = make_config(tmp_path / "config.toml").model_copy(update={"keys": keys})
    registry = make_registry(tmp_path / "registry.sqlite3")
    return RecordingApp(config=config, registry=registry, sync_registry=registry, poll=False)


def footer_keys(app: RecordingApp) -> dict[str, str]:
    return {key.description: key.key for key in app.screen.query(FooterKey)}


async def test_remaps_apply_at_start_and_show_in_footer_and_help(tmp_path: Path) -> None:
    app = keyed_app(tmp_path, {"jobs.compose": "ctrl+n", "jobs.cancel": "florp", "no.such": "x"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert footer_keys(app)["New"] == "ctrl+n"
        warnings = [note for note in app.notes if "[keys]" in note]
        assert len(warnings) == 2
        assert any("[keys] jobs.cancel = 'florp': unknown key" in note for note in warnings)
        assert any("[keys] no.such: no key binding has this id" in note for note in warnings)
        await pilot.press("n")  # the old key does nothing now
        await settle(pilot)
        assert not isinstance(app.screen, ComposeScreen)
        rows = dict(help_sections(app))["Job list"]
        assert ("^n", "New: Compose a batch") in rows
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)


async def test_help_g_G_and_half_pages(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        body = app.screen.query_one(VerticalScroll)
        await pilot.press("ctrl+d")
        await pilot.pause()
        half = body.scroll_y
        assert half == body.scrollable_content_region.height // 2
        await pilot.press("ctrl+d", "ctrl+u")
        await pilot.pause()
        assert body.scroll_y == half
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y > half
        await pilot.press("g")
        await pilot.pause()
        assert body.scroll_y == 0
        sections = dict(help_sections(app))
        assert ("^d", "Cancel job: Asks first") in sections["Job detail"]
        assert any("ctrl+d cancels the job (it asks first)" in text for _, text in BUILTIN_KEYS)


async def test_detail_g_G_and_ctrl_d_still_cancels(tmp_path: Path) -> None:
    from batchtui.tui.screens.confirm import ConfirmScreen

    app = make_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_detail("bt-test02")  # in progress
        await wait_for(pilot, lambda: isinstance(app.screen, DetailScreen))
        await settle(pilot)
        body = app.screen.query_one("#detail-body", VerticalScroll)
        assert body.max_scroll_y > 0
        await pilot.press("G")
        await pilot.pause()
        assert body.scroll_y == body.max_scroll_y
        await pilot.press("g")
        await pilot.pause()
        assert body.scroll_y == 0
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "Cancel" in app.screen.question
        await pilot.press("n")


async def test_validate_g_G_and_half_pages_move_in_the_problems(tmp_path: Path) -> None:
    import json

    path = tmp_path / "many.jsonl"
    lines = [json.dumps(input_line(n)) for n in range(1, 61)]
    path.write_text("\n".join(lines[:1] + ["broken"] * 59) + "\n")
    app = ViewerApp(lambda: ValidateScreen(path))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.report is not None)
        table = app.screen.query_one(DataTable)
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1 > 20
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("ctrl+d")
        step = table.cursor_row
        assert step == table.scrollable_content_region.height // 2 > 1
        await pilot.press("ctrl+d", "ctrl+u")
        assert table.cursor_row == step


async def test_compose_preview_scrolls_with_g_G_once_tabbed_to(tmp_path: Path) -> None:
    app = ViewerApp(lambda: ComposeScreen(None))
    async with app.run_test(size=(80, 24)) as pilot:
        text = app.screen.query_one("#compose-preview", Static)
        await wait_for(pilot, lambda: "Choose a dataset" in str(text.render()))
        text.update("\n".join(f"l{n}" for n in range(40)))
        preview = app.screen.query_one("#compose-preview-box")
        preview.focus()
        await wait_for(pilot, lambda: preview.max_scroll_y > 0)
        await pilot.press("G")
        await pilot.pause()
        assert preview.scroll_y == preview.max_scroll_y > 0
        await pilot.press("ctrl+u")
        await pilot.pause()
        half = preview.scrollable_content_region.height // 2
        assert preview.scroll_y == preview.max_scroll_y - half
        await pilot.press("g")
        await pilot.pause()
        assert preview.scroll_y == 0


async def test_ctrl_z_is_bound_to_suspend(tmp_path: Path) -> None:
    suspended: list[bool] = []

    class Suspending(RecordingApp):
        def action_suspend_process(self) -> None:
            suspended.append(True)

    registry = make_registry(tmp_path / "registry.sqlite3")
    app = Suspending(config=make_config(tmp_path / "config.toml"), registry=registry, poll=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+z")
        await pilot.pause()
    assert suspended == [True]
    assert known_bindings()["suspend"].action == "suspend_process"


async def test_a_remap_onto_a_taken_key_says_which_binding_lost_it(tmp_path: Path) -> None:
    app = keyed_app(tmp_path, {"jobs.compose": "o"})
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ComposeScreen)
        lost = [note for note in app.notes if "has no key there" in note]
        assert lost == [
            f"{app.config.path}: [keys] jobs.compose = 'o': o was Results (jobs.results), "
            "which has no key there now"
        ]


def test_no_keys_table_imports_no_screen_to_check_it() -> None:
    """Reading a config without `[keys]` is part of every start-up: it must not import
    every screen module to learn their binding ids."""
    import subprocess
    import sys

    probe = (
        "import sys; from batchtui.tui.keymap import checked_keymap;"
        "print(checked_keymap({}, where='c.toml'));"
        "print('batchtui.tui.screens.compose' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["({},", "[])", "False"]
