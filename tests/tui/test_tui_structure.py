"""The TUI's structure rules, read from the source: what screens may use, who imports whom."""

from __future__ import annotations

import ast
from pathlib import Path

import batchtui
from batchtui.core.registry.async_registry import AsyncRegistry
from batchtui.core.registry.store import Registry

SRC = Path(batchtui.__file__).parent
TUI = SRC / "tui"


def tui_modules() -> list[Path]:
    return sorted(TUI.rglob("*.py"))


def test_no_tui_module_reaches_the_app_by_getattr() -> None:
    offenders = [str(path) for path in tui_modules() if "getattr(self.app" in path.read_text()]
    assert offenders == []


def test_no_tui_module_catches_import_errors_of_its_own() -> None:
    offenders = []
    for path in tui_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ExceptHandler) and "ImportError" in ast.unparse(
                node.type or ""
            ):
                offenders.append(f"{path.name}:{node.lineno}")
        if "importlib" in path.read_text():
            offenders.append(f"{path.name}: importlib")
    assert offenders == []


def test_no_tui_module_calls_a_blocking_registry_method() -> None:
    """Registry-only method names (those `AsyncRegistry` wraps, and the writes it does not
    offer) called on anything named like a registry, outside `await`."""
    blocking = {
        name
        for name in vars(Registry)
        if not name.startswith("_") and callable(vars(Registry)[name])
    } - {"open_default", "close"}
    offenders = []
    for path in tui_modules():
        tree = ast.parse(path.read_text())
        awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = ast.unparse(node.func.value)
            if node.func.attr in blocking and "registry" in owner and id(node) not in awaited:
                offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []
    # What the TUI awaits instead exists for each read it needs.
    assert {"list_jobs", "list_groups", "get_job", "history", "data_version"} <= set(
        vars(AsyncRegistry)
    )


def test_the_app_and_the_demo_do_not_import_each_other() -> None:
    def imported(path: Path) -> set[str]:
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        return names

    assert not any(name.startswith("batchtui.tui") for name in imported(SRC / "demo.py"))
    for path in tui_modules():
        assert "batchtui.demo" not in imported(path), path
    assert "_submit_demo_samples" not in (TUI / "app.py").read_text()


async def test_a_failed_demo_submit_is_reported_not_swallowed() -> None:
    from batchtui.demo import DemoRun
    from helpers.shell import RecordingApp
    from helpers.viewer import wait_for

    class DemoWhoseSimulatorsStop(DemoRun):
        """The real demo, its simulators gone before the samples are sent."""

        def start(self) -> None:
            super().start()
            for simulator in (self.simulator, self.gateway):
                assert simulator is not None
                simulator.stop()

    demo = DemoWhoseSimulatorsStop()
    app = RecordingApp(demo=demo, poll=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_for(pilot, lambda: any("demo submit" in n for n in app.notes), 30)
            (said,) = [note for note in app.notes if "demo submit" in note]
            assert "127.0.0.1" in said or "connect" in said
    finally:
        demo.close()
