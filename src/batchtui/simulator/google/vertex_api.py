"""Vertex AI's batchPredictionJobs routes (providers.md §5.3), OAuth2 Bearer auth.

`{project}` may be `--gcp-project` or the project number (123456789012); any other is a 403
PERMISSION_DENIED, as Vertex answers for a project the caller cannot see. Names in answers
use the number.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from batchtui.simulator.flavors.vertex_engine import DEFAULT_PAGE_SIZE, PROJECT_NUMBER
from batchtui.simulator.google.errors import GoogleError
from batchtui.simulator.google.routing import GoogleRoute, page_size, read_json, route
from batchtui.simulator.http_types import Answer, IncomingRequest, JsonAnswer

if TYPE_CHECKING:
    from batchtui.simulator.google.apis import GoogleApis

# v1, and v1beta1 (what google-genai calls for Vertex AI): the same jobs under both.
JOBS = (
    r"/v1(?:beta1)?/projects/(?P<project>[^/]+)/locations/(?P<location>[a-z0-9-]+)"
    r"/batchPredictionJobs"
)
JOB = JOBS + r"/(?P<id>[^/:]+)"
MAX_PAGE_SIZE = 1000


def _location(apis: GoogleApis, match: re.Match[str], permission: str) -> str:
    project, location = match.group("project"), match.group("location")
    if project not in (apis.options.gcp_project, PROJECT_NUMBER):
        raise GoogleError(
            403,
            f"Permission 'aiplatform.batchPredictionJobs.{permission}' denied on resource "
            f"'//aiplatform.googleapis.com/projects/{project}/locations/{location}' "
            "(or it may not exist).",
        )
    return location


def create_job(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    location = _location(apis, match, "create")
    return JsonAnswer(200, apis.vertex.create_native_job(location, read_json(request)))


def list_jobs(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    location = _location(apis, match, "list")
    query = request.query
    page = apis.vertex.list_in(
        location,
        page_size(query.get("pageSize"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        query.get("pageToken"),
        query.get("filter"),
    )
    body: dict[str, object] = {}
    if page.jobs:
        body["batchPredictionJobs"] = page.jobs
    if page.next_page_token:
        body["nextPageToken"] = page.next_page_token
    return JsonAnswer(200, body)


def get_job(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    location = _location(apis, match, "get")
    record = apis.vertex.find_job_in(location, match.group("id"))
    return JsonAnswer(200, apis.vertex.job_resource(record))


def cancel_job(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    location = _location(apis, match, "cancel")
    apis.vertex.find_job_in(location, match.group("id"))
    apis.vertex.cancel_job(match.group("id"))
    return JsonAnswer(200, {})


def delete_job(apis: GoogleApis, request: IncomingRequest, match: re.Match[str]) -> Answer:
    location = _location(apis, match, "delete")
    return JsonAnswer(200, apis.vertex.delete_job(location, match.group("id")))


ROUTES: tuple[GoogleRoute, ...] = (
    route("POST", JOBS, "create", "vertex", create_job),
    route("GET", JOBS, "list", "vertex", list_jobs),
    route("GET", JOB, "retrieve", "vertex", get_job),
    route("POST", JOB + ":cancel", "cancel", "vertex", cancel_job),
    route("DELETE", JOB, "delete", "vertex", delete_job),
)
