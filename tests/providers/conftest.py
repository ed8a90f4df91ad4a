"""Providers talking real HTTP to the project's simulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from batchtui.core.config import Profile
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider
from batchtui.simulator import SimulatorHandle

from .helpers import API_KEY, FAST_RETRY, write_requests


@pytest.fixture
def connect(
    monkeypatch: pytest.MonkeyPatch,
) -> Callable[..., OpenAIProvider]:
    """`connect(sim_or_url, key=API_KEY, **profile_fields)` -> an OpenAIProvider."""

    def build(
        target: SimulatorHandle | str,
        *,
        key: str = API_KEY,
        debug: bool = False,
        retry: RetryPolicy = FAST_RETRY,
        provider_class: type[OpenAIProvider] = OpenAIProvider,
        **profile_fields: Any,
    ) -> OpenAIProvider:
        monkeypatch.setenv("OPENAI_API_KEY", key)
        url = target if isinstance(target, str) else target.url
        profile = Profile(name="sim", kind="openai", base_url=url, **profile_fields)
        return provider_class.from_profile(profile, debug=debug, retry=retry)

    return build


@pytest.fixture
def requests_file(tmp_path: Path) -> Path:
    return write_requests(tmp_path / "input.jsonl", 20)
