"""Keys typed in one burst right after a key that opens an input all land in that input.

`pilot.press` waits for the app to go idle after every key, which is exactly what a fast
typist over SSH, tmux (one read for the whole burst) or a paste does not do. `burst` posts
every key to the app at once, as the terminal driver does when they arrive in one read.
"""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.widgets import Input

from batchtui.tui.screens.compose import ComposeScreen
from batchtui.tui.screens.jobs import JobsScreen
from batchtui.tui.screens.profile_form import ProfileFormScreen
from batchtui.tui.screens.profiles import ProfilesScreen
from batchtui.tui.screens.results import ResultsScreen
from batchtui.tui.screens.validate import ValidateScreen
from batchtui.tui.widgets.file_picker import FilePicker
from batchtui.tui.widgets.job_table import JobTable
from helpers.shell import make_app as make_shell_app
from helpers.shell import settle
from helpers.viewer import ViewerApp, make_app, ready, wait_for, write_jsonl

NAMED = {"enter", "escape"}


def burst(app: App, *keys: str) -> None:
    """Every key at once: `keys` are characters, the names in NAMED, or ctrl+KEY."""
    for key in keys:
        if key in NAMED:
            app.post_message(events.Key(key, "\r" if key == "enter" else "\x1b"))
        elif key.startswith("ctrl+"):
            app.post_message(events.Key(key, None))
        else:
            name = key if key.isalnum() else _character_to_key(key)
            app.post_message(events.Key(name, key))


def notes(app: App) -> list[str]:
    return [str(note.message) for note in app._notifications]


def assert_nothing_else_ran(screen: ResultsScreen) -> None:
    """None of the list's own keys in the burst acted (e: pager, d: download, y/c: copy, ...)."""
    assert not any("pager" in n or "local file" in n or "copied" in n for n in notes(screen.app))
    assert screen.last_clipboard_write == ""
    assert screen.detail.mode == "text"
    assert not screen.errors_only


# --- the result viewer ------------------------------------------------------------------


async def test_search_typed_in_one_burst_searches_for_all_of_it(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        # e (pager), c and y (copy), d (download) are keys of the record list.
        burst(pilot.app, "/", *r"e.*city 6\d", "enter")
        await wait_for(pilot, lambda: screen.matches is not None)
        assert screen.search is not None and screen.search.text == r"e.*city 6\d"
        assert list(screen.matches) == [19, 20, 21, 22]  # city 60, 63, 66, 69
        assert screen.table.current_source_row() == 19
        assert not screen.query_one("#search-input", Input).has_class("-open")
        assert_nothing_else_ran(screen)


async def test_keys_before_the_slash_and_after_enter_act_on_the_list(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        # j j j move to record 4 first; the m after enter shows Markdown, not searched for.
        burst(pilot.app, "j", "j", "j", "/", *"city 6", "enter", "m")
        await wait_for(pilot, lambda: screen.matches is not None)
        assert screen.search is not None and screen.search.text == "city 6"
        assert list(screen.matches) == [1, 19, 20, 21, 22]
        assert screen.table.current_source_row() == 19  # the first match from record 4 on
        assert screen.detail.mode == "markdown"
        assert screen.table.has_focus


async def test_a_search_then_a_filter_in_one_burst(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        burst(pilot.app, "/", *"city 6", "enter", "&", *"city", "enter")
        await wait_for(pilot, lambda: screen.matches is not None and screen.search_text != "")
        assert screen.search is not None and screen.search.text == "city 6"
        assert screen.search_text == "city"
        assert screen.table.has_focus


async def test_a_paste_right_after_the_slash_is_the_search(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        pilot.app.post_message(events.Key("slash", "/"))
        pilot.app.post_message(events.Paste("city 6"))
        burst(pilot.app, "enter")
        await wait_for(pilot, lambda: screen.matches is not None)
        assert screen.search is not None and screen.search.text == "city 6"


async def test_a_slash_typed_in_the_search_is_text(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        burst(pilot.app, "/", *"city 6/&:", "enter")
        await wait_for(pilot, lambda: screen.matches is not None)
        assert screen.search is not None and screen.search.text == "city 6/&:"


async def test_escape_in_the_burst_cancels_the_search(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        burst(pilot.app, "/", *"edcy", "escape")
        await pilot.pause()
        await pilot.pause()
        assert pilot.app.screen is screen
        assert screen.search is None
        assert not screen.query_one("#search-input", Input).has_class("-open")
        assert screen.table.has_focus
        assert_nothing_else_ran(screen)


async def test_filter_typed_in_one_burst_filters(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        # n (next match), d (download), e (pager): "Invalid value" is in every failed record.
        burst(pilot.app, "&", *"Invalid value", "enter")
        await wait_for(pilot, lambda: screen.search_text == "Invalid value")
        failed = [n - 1 for n in range(1, 61) if n % 7 == 3]
        await wait_for(pilot, lambda: screen.table.row_count() == len(failed))
        assert screen.table.current_source_row() == failed[0]
        assert_nothing_else_ran(screen)


async def test_goto_typed_in_one_burst_goes_there(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        burst(pilot.app, ":", "4", "2", "enter")
        await wait_for(pilot, lambda: screen.table.current_source_row() == 41)
        assert not screen.query_one("#goto-input", Input).has_class("-open")


# --- the job list and the screens its keys open ------------------------------------------


async def test_job_filter_typed_in_one_burst_filters(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        # a (show archived), d (download), e, l, s, t, u, f, i are the list's keys or not:
        # all of them are the filter's text.
        burst(app, "/", *"status:failed", "enter")
        await settle(pilot)
        assert screen.query_one("#filter", Input).value == "status:failed"
        assert screen.query_one(JobTable).job_ids() == ["bt-test03"]
        assert screen.query_one(JobTable).has_focus
        assert not screen.show_archived
        assert app.notes == []


async def test_new_batch_typed_in_one_burst_fills_the_dataset(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "n", *"data.csv")
        await pilot.pause()
        assert isinstance(app.screen, ComposeScreen)
        assert app.screen.query_one("#compose-dataset", Input).value == "data.csv"
        assert app.notes == []


async def test_validate_typed_in_one_burst_validates_that_file(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        burst(app, "v", *"cases.jsonl", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ValidateScreen))
        assert app.screen.path == Path("cases.jsonl")


async def test_add_profile_typed_in_one_burst_fills_the_name(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.run_action("profiles")
        await settle(pilot)
        assert isinstance(app.screen, ProfilesScreen)
        # d would make a profile the default, t test one, x remove one.
        burst(app, "a", *"dtx")
        await pilot.pause()
        assert isinstance(app.screen, ProfileFormScreen)
        first = next(field for field in app.screen.query(Input) if not field.disabled)
        assert first.value == "dtx"
        assert first.has_focus


async def test_keys_that_open_inputs_are_text_in_the_job_filter(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        # n (new batch), v (validate) and / (filter) open inputs from the list, not from here.
        burst(app, "/", *"nv/")
        await pilot.pause()
        assert app.screen is screen
        assert screen.query_one("#filter", Input).value == "nv/"


async def test_path_typed_in_one_burst_on_the_validate_screen(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"custom_id": "a"}])
    app = ViewerApp(lambda: ValidateScreen(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, ValidateScreen)
        await wait_for(pilot, lambda: screen.report is not None)
        field = screen.query_one("#validate-path", Input)
        shown = notes(app)
        # s (submit), r (validate again), o (pick a file), g (first problem): the path's text.
        burst(app, "p", *"/srog")
        await pilot.pause()
        assert app.screen is screen and not isinstance(app.screen, FilePicker)
        # Focusing the field selects its path (Textual's select_on_focus): typing replaces it.
        assert field.has_focus and field.value == "/srog"
        assert notes(app) == shown


async def test_a_key_after_enter_in_the_job_filter_acts_on_the_list(tmp_path: Path) -> None:
    app = make_shell_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        table = screen.query_one(JobTable)
        burst(app, "/", *"bt-test0", "enter", "S")  # S sorts by status
        await settle(pilot)
        assert screen.query_one("#filter", Input).value == "bt-test0"
        assert table.has_focus
        assert str(table.columns["status"].label) == "Status ▼"  # type: ignore[index]


async def test_open_key_typed_in_one_burst_types_in_the_picker(tmp_path: Path) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"custom_id": "a"}])
    app = ViewerApp(lambda: ValidateScreen(bad))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.report is not None)
        shown = notes(app)
        burst(app, "o", *"srg")  # s, r, g: the validate screen's keys
        await pilot.pause()
        assert isinstance(app.screen, FilePicker)
        field = app.screen.query_one("#picker-path", Input)
        assert field.has_focus and field.value.endswith("srg")
        assert notes(app) == shown


async def test_ctrl_g_in_the_search_field_goes_to_a_record(in_tmp):
    output, _ = in_tmp
    async with make_app(output).run_test(size=(80, 24)) as pilot:
        screen = await ready(pilot)
        # A printable opening key is text in the field; ctrl+g is not text: it opens go-to.
        burst(pilot.app, "/", *"ab", "ctrl+g", *"42", "enter")
        await wait_for(pilot, lambda: screen.table.current_source_row() == 41)
        assert screen.query_one("#search-input", Input).value == "ab"
        assert screen.search is None


def test_help_keys_lists_every_binding_the_tui_declares() -> None:
    # `batchtui help keys` reads the bindings from the source (no Textual on the CLI path):
    # an opening key declared another way than Binding(...) would be missing from it.
    from batchtui.cli.help_topics import tui_keys
    from batchtui.tui.keymap import known_bindings

    listed = tui_keys()
    assert [key for key in known_bindings() if f"[id {key}]" not in listed] == []
