"""A hostile batch list while running jobs are refreshed by the page (`refresh_many`).

Other batches' ids, a cursor that loops, a page too large to read: each costs at most a
few requests, ends, and every job still gets its own answer (by GET), never another
batch's state, never a hang. The pages go through the same bounded reads, cursor checks
and `max_list_pages` cap as `list_batches`.
"""

from __future__ import annotations

import json

from batchtui.core.config import Profile
from batchtui.core.errors import ProviderError
from batchtui.core.models import RemoteBatch
from batchtui.core.providers.http import RetryPolicy
from batchtui.core.providers.openai import OpenAIProvider

from .conftest import Answer, HostileServer, batch_object

WANTED = [f"batch_w{n}" for n in range(5)]
NO_RETRY = RetryPolicy(attempts=1, initial_wait=0.0, max_wait=0.0, max_retry_after=0.0)


def provider(server: HostileServer, **fields: object) -> OpenAIProvider:
    profile = Profile(name="h", base_url=server.url, api_key="sk-hostile-0000", **fields)
    return OpenAIProvider.from_profile(profile, retry=NO_RETRY)


def answer_each_get(server: HostileServer) -> None:
    for batch_id in WANTED:
        server.answer(f"GET /v1/batches/{batch_id}", batch_object(batch_id, status="completed"))


def calls(server: HostileServer) -> tuple[int, int]:
    """(list requests, GETs of one batch)."""
    paths = [path for method, path, _headers in server.requests if method == "GET"]
    lists = sum(1 for path in paths if path.split("?")[0] == "/v1/batches")
    return lists, len(paths) - lists


def assert_each_answered_by_its_get(answers: dict[str, RemoteBatch | ProviderError]) -> None:
    assert set(answers) == set(WANTED)
    for batch_id, answer in answers.items():
        assert isinstance(answer, RemoteBatch) and answer.id == batch_id
        assert answer.status.value == "completed"


async def test_a_list_of_other_batches_costs_one_page_then_a_get_each(
    hostile_server: HostileServer,
) -> None:
    others = [batch_object(f"batch_other{n}") for n in range(100)]
    hostile_server.answer(
        "GET /v1/batches", {"object": "list", "data": others, "has_more": True, "last_id": "x"}
    )
    answer_each_get(hostile_server)
    async with provider(hostile_server) as api:
        answers = await api.refresh_many(WANTED, expected=5)
    assert_each_answered_by_its_get(dict(answers))
    assert calls(hostile_server) == (1, 5)  # another page could no longer pay


async def test_a_cursor_that_loops_ends_the_list(hostile_server: HostileServer) -> None:
    # Every page shows two of the wanted batches (running) and the same cursor again.
    page = [batch_object(WANTED[0]), batch_object(WANTED[1])]
    hostile_server.answer(
        "GET /v1/batches",
        {"object": "list", "data": page, "has_more": True, "last_id": WANTED[1]},
    )
    answer_each_get(hostile_server)
    async with provider(hostile_server) as api:
        answers = await api.refresh_many(WANTED, expected=5)
    lists, gets = calls(hostile_server)
    assert (lists, gets) == (2, 3)  # the repeated cursor stopped the second page
    assert {batch_id for batch_id, a in answers.items() if a.status.value == "completed"} == set(
        WANTED[2:]
    )


async def test_a_page_too_large_to_read_falls_back_to_a_get_each(
    hostile_server: HostileServer,
) -> None:
    huge = json.dumps({"object": "list", "data": [], "pad": "x" * 3_000_000}).encode()
    hostile_server.answer("GET /v1/batches", Answer(body=huge))
    answer_each_get(hostile_server)
    async with provider(hostile_server, max_answer_bytes=1_000_000) as api:
        answers = await api.refresh_many(WANTED, expected=5)
    assert_each_answered_by_its_get(dict(answers))
    assert calls(hostile_server) == (1, 5)
