"""A one-line progress bar for work done in a worker (index, filter, validate, download)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar


class WorkProgress(Horizontal):
    """Label, bar and percentage; hidden when no work is running. No ETA: it is clock-bound."""

    DEFAULT_CSS = """
    WorkProgress {
        height: 1;
        display: none;
        &.-running { display: block; }
        & > Label { width: auto; max-width: 40; padding-right: 1; color: $text-muted; }
        & > ProgressBar { width: 1fr; }
        & Bar { width: 1fr; }
    }
    """

    class Update(Message):
        """Posted from worker threads; only the newest of a burst is handled."""

        def __init__(self, done: int, total: int | None) -> None:
            super().__init__()
            self.done = done
            self.total = total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, WorkProgress.Update)

    def compose(self) -> ComposeResult:
        yield Label()
        yield ProgressBar(show_eta=False)

    def start(self, label: str, total: int | None = None) -> None:
        self.query_one(Label).update(Text(label))
        self.query_one(ProgressBar).update(total=total, progress=0)
        self.add_class("-running")

    def advance_to(self, done: int, total: int | None) -> None:
        self.query_one(ProgressBar).update(total=total, progress=done)

    def on_work_progress_update(self, message: Update) -> None:
        message.stop()
        self.advance_to(message.done, message.total)

    def finish(self) -> None:
        self.remove_class("-running")

    @property
    def running(self) -> bool:
        return self.has_class("-running")
