"""Every TUI screen, opened on jobs and answers whose every string is hostile, renders no
cell that holds anything a terminal acts on, whichever of its keys is pressed.

The screens are found in the app's screen and widget packages (a new screen is covered
without editing this test) and built from their parameters' names (`job_id` is a hostile
job, `path` a hostile results file, `question` hostile text...). Each is pushed onto the
real app, whose registry holds the hostile jobs and whose provider answers every call
with hostile strings; after it settles, and after each of its own keys (the ones that
leave it excepted), the whole frame is rendered as Textual writes it to the terminal
and every cell of it checked.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen

import batchtui.tui.screens
import batchtui.tui.widgets
from batchtui.core.config import Config, Profile
from batchtui.core.models import JobGroup
from batchtui.core.registry import Registry
from batchtui.core.status import JobStatus
from batchtui.tui.app import BatchtuiApp

from .conftest import KEY_ENV, assert_inert
from .test_escape_sequences_every_command import (  # noqa: F401 - provider_url is a fixture
    HOSTILE,
    hostile,
    hostile_job,
    input_lines,
    provider_url,
    result_lines,
)
from .test_escape_sequences_tui import TEXTUAL_OWN, terminal_output, wait_until

# Keys whose action leaves the screen or the app: pressed, the screen is gone.
LEAVING_ACTIONS = {"back", "close", "quit", "app.quit", "answer", "cancel", "dismiss"}


def screen_classes() -> list[type[Screen[Any]]]:
    found: dict[str, type[Screen[Any]]] = {}
    for package in (batchtui.tui.screens, batchtui.tui.widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for value in vars(module).values():
                if (
                    inspect.isclass(value)
                    and issubclass(value, Screen)
                    and value.__module__ == module.__name__
                ):
                    found[value.__qualname__] = value
    return [found[name] for name in sorted(found)]


class World:
    def __init__(self, tmp_path: Path, url: str) -> None:
        self.folder = tmp_path / "work"
        self.folder.mkdir()
        self.results = self.folder / "output.jsonl"
        self.results.write_bytes(result_lines())
        self.input_file = self.folder / "input.jsonl"
        self.input_file.write_text(input_lines())
        self.dataset = self.folder / "dataset.csv"
        self.dataset.write_text(f'id,text\n1,"{HOSTILE}"\n2,plain\n')
        self.registry = Registry(tmp_path / "registry.sqlite3")
        self.jobs = [
            hostile_job(1, JobStatus.COMPLETED, self.folder, output_path=self.results),
            hostile_job(2, JobStatus.FAILED, self.folder),
            hostile_job(3, JobStatus.IN_PROGRESS, self.folder),
        ]
        for job in self.jobs:
            self.registry.add_job(job, note=hostile("note"))
        self.group = JobGroup(
            id="bg-evil1",
            name=hostile("group"),
            profile="hostile",
            input_path=self.input_file,
            shard_count=2,
        )
        self.registry.add_group(
            self.group,
            [
                hostile_job(10 + index, status, self.folder, group_id="bg-evil1", shard_index=index)
                for index, status in ((1, JobStatus.COMPLETED), (2, JobStatus.IN_PROGRESS))
            ],
        )
        profile = Profile(name="hostile", base_url=url, api_key_env=KEY_ENV, timeout=5)
        self.config = Config(
            path=tmp_path / "config.toml", exists=True, profiles={"hostile": profile}
        )

    def argument(self, screen: type[Screen[Any]], parameter: inspect.Parameter) -> Any:
        name = parameter.name
        if name == "job_id":
            return self.jobs[0].id
        if name == "group_id":
            return self.group.id
        if name == "job":
            return self.registry.get_job(self.jobs[0].id)
        if name in ("path", "start"):
            return self.results
        if name == "dataset":
            return self.dataset
        if name in ("question", "detail", "message", "title", "placeholder", "value"):
            return hostile(name)
        if parameter.default is not inspect.Parameter.empty:
            return parameter.default
        raise AssertionError(
            f"{screen.__qualname__}({name}=...): tell this test how to build a hostile {name}"
        )

    def build(self, screen: type[Screen[Any]]) -> Screen[Any]:
        positional: list[Any] = []
        named: dict[str, Any] = {}
        for parameter in inspect.signature(screen.__init__).parameters.values():
            if parameter.name == "self" or parameter.kind in (
                inspect.Parameter.VAR_POSITIONAL,
                inspect.Parameter.VAR_KEYWORD,
            ):
                continue
            value = self.argument(screen, parameter)
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                named[parameter.name] = value
            else:
                positional.append(value)
        return screen(*positional, **named)


def frame_is_inert(app: BatchtuiApp, where: str) -> None:
    output = terminal_output(app)
    try:
        assert_inert(output, allowed=TEXTUAL_OWN)
    except AssertionError as exc:
        raise AssertionError(f"{where}: {exc}") from None


def own_keys(screen: Screen[Any]) -> list[str]:
    keys = []
    for binding in screen.BINDINGS:
        key, action = (binding.key, binding.action) if hasattr(binding, "key") else binding[:2]
        if action.split("(")[0] not in LEAVING_ACTIONS:
            keys.append(key.split(",")[0])
    return keys


@pytest.mark.parametrize("screen_class", screen_classes(), ids=lambda cls: cls.__qualname__)
async def test_every_screen_renders_hostile_text_inert(
    screen_class: type[Screen[Any]],
    tmp_path: Path,
    provider_url: str,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(KEY_ENV, "sk-tui-every-screen")
    monkeypatch.chdir(tmp_path)
    world = World(tmp_path, provider_url)
    app = BatchtuiApp(config=world.config, registry=world.registry, theme="textual-dark", poll=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: bool(app.jobs))
        frame_is_inert(app, "job list")
        screen = world.build(screen_class)
        await app.push_screen(screen)
        await pilot.pause(0.3)
        frame_is_inert(app, f"{screen_class.__qualname__} opened")
        for key in own_keys(screen):
            if screen not in app.screen_stack:
                break
            await pilot.press(key)
            await pilot.pause(0.2)
            frame_is_inert(app, f"{screen_class.__qualname__} after {key!r}")
            while app.screen is not screen and screen in app.screen_stack:
                app.pop_screen()
                await pilot.pause(0.05)


def test_the_screens_are_found_in_the_app() -> None:
    names = {cls.__qualname__ for cls in screen_classes()}
    assert {"DetailScreen", "ResultsScreen", "JobsScreen", "ValidateScreen"} <= names
