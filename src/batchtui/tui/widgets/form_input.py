"""A form's one-line input that takes a bracketed paste whole: every line of it, no tabs."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


def one_line(text: str) -> str:
    """Pasted text as one line: line breaks and tabs become spaces, trailing ones dropped
    (Textual's own Input keeps only the first line of a paste, losing the rest silently)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    return " ".join(line.replace("\t", " ") for line in lines)


class FormInput(Input):
    """An `Input` whose paste lands whole in this field, wherever the focus moves next."""

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # Input's own handler would paste the first line again
        if not event.text:
            return
        text = one_line(event.text)
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)
