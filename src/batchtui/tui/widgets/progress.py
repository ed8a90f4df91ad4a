"""A one-line progress bar for work done in a worker (index, filter, validate, download);
for a download it also says how many bytes, of how many, at what rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar

if TYPE_CHECKING:
    from batchtui.tui.app import Transfer


class WorkProgress(Horizontal):
    """Label, bar and percentage; hidden when no work is running. No ETA: it is clock-bound."""

    DEFAULT_CSS = """
    WorkProgress {
        height: 1;
        display: none;
        &.-running { display: block; }
        & > Label { width: auto; max-width: 64; padding-right: 1; color: $text-muted; }
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

    def set_label(self, label: str) -> None:
        self.query_one(Label).update(Text(label))

    def show_transfer(self, label: str, done: int, total: int | None, rate: float | None) -> None:
        """A download: the bar, and `label  3.1 MB of 80.0 MB at 1.2 MB/s` beside it."""
        from batchtui.core.downloads import TransferMeter

        if not self.running:
            self.start(label, total)
        self.set_label(f"{label}  {TransferMeter.describe(done, total, rate)}")
        self.advance_to(done, total)

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


def show_transfer(bar: WorkProgress, transfer: Transfer) -> None:
    """Show an `app.transfer_signal` update on `bar` (hidden once it has finished)."""
    if transfer.finished:
        bar.finish()
    else:
        bar.show_transfer(transfer.label, transfer.done, transfer.total, transfer.rate)
