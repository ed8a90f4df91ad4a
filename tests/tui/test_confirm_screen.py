"""The yes/no question: the safe answer has focus, and a question gone before it mounts is
no crash."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button

from batchtui.tui.screens.confirm import ConfirmScreen


class Asker(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool | None] = []


async def test_enter_answers_no_because_no_has_focus() -> None:
    app = Asker()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmScreen("Delete everything?"), app.answers.append)
        await pilot.pause()
        focused = app.focused
        assert isinstance(focused, Button) and focused.id == "no"
        await pilot.press("enter")
        await pilot.pause()
    assert app.answers == [False]


async def test_a_question_popped_at_once_leaves_the_app_running() -> None:
    app = Asker()
    async with app.run_test() as pilot:
        app.push_screen(ConfirmScreen("Submit?"), app.answers.append)
        app.pop_screen()
        await pilot.pause()
        app.push_screen(ConfirmScreen("Again?"), app.answers.append)
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.answers == [True]
