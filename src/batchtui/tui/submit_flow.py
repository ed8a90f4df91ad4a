"""Submitting a file from any screen: planned off the loop, shown (name, profile, split plan,
estimate, an earlier submit of the same file), asked once, then sent by the job service.

The validate screen, the file picker, compose and a job's "submit again" all come here, and
from here to the one submit use case (`JobService.submit_file`), as the CLI's `submit` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui.core.errors import BatchtuiError
from batchtui.core.terminal_text import inert
from batchtui.tui.shell import shell

if TYPE_CHECKING:
    from textual.app import App
    from textual.dom import DOMNode

    from batchtui.core.jobs.plan import SubmitPlan
    from batchtui.core.service import JobService

# Called with the id of the job (or group) once it is submitted.
SubmittedCallback = Callable[[str], None]


def describe_plan(plan: SubmitPlan, *, ascii_only: bool = False) -> str:
    """What the confirmation shows: requests and model, tokens and cost, how it goes, and
    every warning (the earlier submit of the same file first)."""
    from batchtui.core.estimate import format_tokens
    from batchtui.core.prices import approx_usd

    report = plan.report
    lines = [
        f"{report.lines:,} requests · model {inert(plan.model or '-', single_line=True)}"
        f" · {inert(report.endpoint or '-', single_line=True)}"
    ]
    estimate = report.estimate
    if estimate is not None and estimate.requests:
        tokens = f"~{format_tokens(estimate.input_tokens)} tokens in"
        tokens += f", {'<=' if ascii_only else '≤'}{format_tokens(estimate.max_output_tokens)} out"
        if plan.cost is not None:
            tokens += f" · {approx_usd(plan.cost.total_usd)} at batch prices"
        lines.append(tokens)
    if plan.split is not None:
        lines.append(f"goes as a job group: {plan.split.describe(plan.limits)}")
    else:
        lines.append("goes as one batch")
    duplicate = plan.duplicate_warning()
    if duplicate is not None:
        lines.append(f"! {duplicate}")
    lines += [f"! {warning}" for warning in plan.warnings()]
    return "\n".join(inert(line, single_line=True) for line in lines)


def start_submit(
    node: DOMNode,
    path: Path,
    profile: str | None = None,
    *,
    on_submitted: SubmittedCallback | None = None,
) -> None:
    """Plan `path` for `profile` (the meant one by default; asked for when that leaves a
    choice), ask once, and submit on yes."""
    app = node.app
    config = shell(node).config
    if profile is None and config is not None:
        profile = config.meant_profile()
    if profile is None:
        _ask_profile(app, path, on_submitted)
        return
    service = shell(node).service
    if service is None:
        app.notify(
            "Submitting needs the job service, which is not ready.",
            severity="error",
            markup=False,
        )
        return
    app.run_worker(
        _plan_and_ask(app, service, path, profile, on_submitted),
        group="submit-plan",
        exclusive=True,
        exit_on_error=False,
    )


def _ask_profile(app: App[object], path: Path, on_submitted: SubmittedCallback | None) -> None:
    from batchtui.tui.screens.confirm import PromptScreen

    config = shell(app).config
    known = sorted(config.profiles) if config is not None else []
    if not known:
        app.notify("No profile to submit to: add one first.", severity="error", markup=False)
        return

    def answered(name: str | None) -> None:
        if name is None:
            return
        if name.strip() not in known:
            app.notify(
                inert(f"profile {name!r}: unknown (known: {', '.join(known)})", single_line=True),
                severity="error",
                markup=False,
            )
            return
        start_submit(app.screen, path, name.strip(), on_submitted=on_submitted)

    app.push_screen(
        PromptScreen(
            f"Submit {path.name} to which profile?",
            placeholder=", ".join(known),
            value=known[0],
        ),
        answered,
    )


async def _plan_and_ask(
    app: App[object],
    service: JobService,
    path: Path,
    profile: str,
    on_submitted: SubmittedCallback | None,
) -> None:
    from batchtui.tui.screens.confirm import ConfirmScreen

    _activity(app, f"checking {path.name} for {profile}…")
    try:
        plan = await asyncio.to_thread(service.plan_submit, path, profile)
    except BatchtuiError as exc:
        _activity(app, "")
        app.notify(inert(str(exc), single_line=True), severity="error", timeout=10, markup=False)
        return
    _activity(app, "")
    again = " again" if plan.earlier is not None else ""
    question = f"Submit {path.name} to {profile}{again}?"

    def confirmed(yes: bool | None) -> None:
        if yes:
            app.run_worker(
                _submit(app, service, plan, on_submitted), group="submit", exit_on_error=False
            )

    detail = describe_plan(plan, ascii_only=shell(app).ascii_only)
    app.push_screen(ConfirmScreen(question, detail), confirmed)


async def _submit(
    app: App[object],
    service: JobService,
    plan: SubmitPlan,
    on_submitted: SubmittedCallback | None,
) -> None:
    from batchtui.core.service import GroupSubmission

    path, profile = plan.path, plan.profile
    label = f"submitting {path.name} to {profile}"
    progress = _transfer_progress(app, label)
    _activity(app, f"{label}…")

    def on_shard(index: int, count: int) -> None:
        _activity(app, f"submitting shard {index}/{count} of {path.name} to {profile}…")

    try:
        submitted = await service.submit_file(
            path, profile, plan=plan, progress=progress, on_shard=on_shard
        )
    except BatchtuiError as exc:
        _activity(app, "")
        app.notify(inert(str(exc), single_line=True), severity="error", timeout=10, markup=False)
        return
    finally:
        _transfer_done(app, label)
    if isinstance(submitted, GroupSubmission):
        group = submitted.group
        submitted_id, what = group.id, f"job group {group.id} ({group.shard_count} shards)"
    else:
        submitted_id, what = submitted.id, f"job {submitted.id} ({submitted.status})"
    _activity(app, f"submitted {path.name} as {submitted_id}")
    app.notify(f"Submitted {path.name} as {what}", title="Submit", markup=False)
    reload = getattr(app, "reload_registry", None)
    if reload is not None:
        reload(force=True)
    if on_submitted is not None:
        on_submitted(submitted_id)


def _activity(app: App[object], message: str) -> None:
    signal = getattr(app, "activity_signal", None)
    if signal is not None:
        signal.publish(inert(message, single_line=True))


def _transfer_progress(app: App[object], label: str) -> Callable[[int, int | None], None] | None:
    actions = getattr(app, "actions", None)
    return actions.transfer_progress(label) if actions is not None else None


def _transfer_done(app: App[object], label: str) -> None:
    actions = getattr(app, "actions", None)
    done = getattr(actions, "transfer_done", None)
    if done is not None:
        done(label)
