"""Every screen's footer shows at most 7 keys (the rest are in `?` help)."""

from __future__ import annotations

import importlib

import pytest
from textual.binding import Binding

from batchtui.tui.app import BatchtuiApp

FOOTER_LIMIT = 7
SCREENS = {
    "jobs": "JobsScreen",
    "detail": "DetailScreen",
    "group_detail": "GroupDetailScreen",
    "help": "HelpScreen",
    "welcome": "WelcomeScreen",
    "profiles": "ProfilesScreen",
    "profile_form": "ProfileFormScreen",
    "confirm": "ConfirmScreen",
    "results": "ResultsScreen",
    "validate": "ValidateScreen",
    "compose": "ComposeScreen",
}


def shown_keys(cls: type) -> list[str]:
    keys: list[str] = []
    for klass in cls.__mro__:
        for binding in klass.__dict__.get("BINDINGS", []):
            if isinstance(binding, Binding) and binding.show:
                keys.append(binding.key)
    return keys


@pytest.mark.parametrize(("module", "name"), SCREENS.items())
def test_footer_shows_at_most_seven_keys(module: str, name: str) -> None:
    screen = getattr(importlib.import_module(f"batchtui.tui.screens.{module}"), name)
    keys = shown_keys(screen)
    if not getattr(screen, "is_modal", False):
        keys += shown_keys(BatchtuiApp)
    assert len(keys) <= FOOTER_LIMIT, f"{name} footer shows {len(keys)} keys: {keys}"
