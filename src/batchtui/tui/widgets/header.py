"""Two header lines: who and how fresh (profile, demo badge, updated Ns ago), then counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.content import Content
from textual.widgets import Static

from batchtui.core.jobview import STATUS_TONES, format_duration, status_label
from batchtui.core.status import JobStatus
from batchtui.core.terminal_text import inert
from batchtui.tui.widgets.status import TONE_VARIABLES


@dataclass(frozen=True)
class HeaderState:
    profile: str | None = None
    profiles: int = 0
    demo: bool = False
    counts: tuple[tuple[JobStatus, int], ...] = ()
    shown: int = 0
    total: int = 0
    filter_text: str = ""
    updated_at: datetime | None = None
    loading: bool = True
    problem: str | None = None
    # config.toml is unreadable: the jobs still show, the problem says which line.
    config_problem: str | None = None
    # Archived jobs are in the list (hidden by default): "archived shown" / "archived only".
    archived: str = ""


def _tone(status: JobStatus) -> str:
    variable = TONE_VARIABLES[STATUS_TONES[status]]
    return f"${variable}" if variable else "dim"


class AppHeader(Static):
    DEFAULT_CSS = """
    AppHeader {
        height: auto;
        max-height: 4;
        padding: 0 1;
        background: $panel;
        color: $foreground;
    }
    """

    def __init__(self, *, ascii_only: bool = False, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.ascii_only = ascii_only
        self.state = HeaderState()
        self._now: datetime | None = None

    def show(self, state: HeaderState, now: datetime) -> None:
        if state == self.state and now == self._now:
            return
        self.state, self._now = state, now
        self.update(self.render_state(state, now))

    def render_state(self, state: HeaderState, now: datetime) -> Content:
        sep = " | " if self.ascii_only else " │ "
        first: list[Content | tuple[str, str] | str] = [("batchtui", "bold")]
        if state.demo:
            first += [" ", (" SIMULATED · demo ", "bold reverse $warning")]
        if state.profile:
            first += [sep, ("profile ", "dim"), state.profile]
        elif state.profiles:
            first += [sep, (f"{state.profiles} profiles", "dim")]
        if state.config_problem:
            first += [sep, (inert(state.config_problem, single_line=True), "$error")]
        if state.problem:
            first += [sep, (inert(state.problem, single_line=True), "$error")]
        elif state.loading:
            first += [sep, ("loading…" if not self.ascii_only else "loading...", "dim")]
        elif state.updated_at is not None:
            first += [sep, ("updated ", "dim"), f"{format_duration(now - state.updated_at)} ago"]
        second: list[Content | tuple[str, str] | str] = []
        for status, count in state.counts:
            if second:
                second.append("  ")
            second.append(
                (f"{count} {status_label(status, ascii_only=self.ascii_only)}", _tone(status))
            )
        if not state.counts and not state.loading:
            second.append(("no jobs", "dim"))
        if state.archived:
            second += [sep, (state.archived, "bold $warning")]
        if state.filter_text:
            second += [
                sep,
                ("filter ", "dim"),
                state.filter_text,
                f" ({state.shown} of {state.total})",
            ]
        return Content.assemble(*first, "\n", *second)
