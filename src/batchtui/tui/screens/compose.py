"""Compose a batch input from a dataset and a template, preview it, write it, submit it.

Every change restarts a short timer; when typing pauses, a thread worker builds the
first requests with `batchtui.core.compose` and validates them, so the preview is
always what the file would hold. Writing and submitting run in workers too.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Select, Static
from textual.worker import get_current_worker

from batchtui.core.compose import (
    COMPOSE_ENDPOINTS,
    DATASET_KINDS,
    ROW_NUMBER,
    ComposeError,
    ComposeSpec,
    Template,
    compose_file,
    dataset_columns,
    default_output,
    preview_lines,
)
from batchtui.core.errors import BatchtuiError
from batchtui.core.terminal_text import inert
from batchtui.tui.scrolling import half_page, to_edge
from batchtui.tui.shell import shell
from batchtui.tui.typeahead import focus_now, open_in_turn, open_screen, opens_input
from batchtui.tui.widgets.form_input import FormInput
from batchtui.tui.widgets.progress import WorkProgress

PREVIEW_LINES = 3
PREVIEW_DELAY = 0.3


class Preview(VerticalScroll):
    """Holds the first requests as the file would (`#compose-preview`); tab reaches it to
    scroll it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "edge(False)", "Top", show=False, id="compose.preview-top"),
        Binding("G", "edge(True)", "Bottom", show=False, id="compose.preview-bottom"),
        Binding("ctrl+u", "half(-1)", "Half page up", show=False, id="compose.preview-half-up"),
        Binding("ctrl+d", "half(1)", "Half page down", show=False, id="compose.preview-half-down"),
    ]

    def action_edge(self, end: bool) -> None:
        to_edge(self, end=end)

    def action_half(self, direction: int) -> None:
        half_page(self, direction)


class ComposeScreen(Screen):
    """A form on the left of the keyboard: tab moves between fields, the preview follows."""

    DEFAULT_CSS = """
    ComposeScreen {
        & > #compose-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
        & > #compose-form { height: 1fr; }
        & .field { height: 1; margin-bottom: 0; }
        & .field > Label { width: 14; padding: 0 1; color: $text-muted; }
        & .field > Input { width: 1fr; height: 1; border: none; padding: 0 1; }
        & .field > Input.-invalid { border: none; color: $text-error; }
        & .field > Select { width: 1fr; }
        & .field > .half { width: 1fr; }
        & #compose-columns { padding: 0 1 0 15; color: $text-muted; height: auto; max-height: 2; }
        & > #compose-preview-box { height: 8; border-top: solid $primary-muted; padding: 0 1; }
        & > #compose-preview-box:focus { border-top: solid $primary; }
        & #compose-preview { height: auto; }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="compose.back", tooltip="Leave (nothing is written)"),
        # Priority, keys that open an input: they act as they arrive (see tui/typeahead.py).
        Binding(
            "ctrl+o",
            "pick",
            "Dataset",
            id="compose.dataset",
            tooltip="Pick the dataset file",
            priority=True,
        ),
        Binding("ctrl+s", "write", "Write", id="compose.write", tooltip="Write the JSONL file"),
        Binding(
            "ctrl+t",
            "submit",
            "Submit",
            id="compose.submit",
            tooltip="Write, then submit to the profile (shows the estimate, asks first)",
        ),
    ]

    class PreviewReady(Message):
        def __init__(self, columns: list[str], lines: list[str], verdict: Text) -> None:
            super().__init__()
            self.columns = columns
            self.lines = lines
            self.verdict = verdict

    class Written(Message):
        def __init__(self, path: Path, requests: int, submit: bool) -> None:
            super().__init__()
            self.path = path
            self.requests = requests
            self.submit = submit

    class Failed(Message):
        def __init__(self, message: str) -> None:
            super().__init__()
            self.message = message

    def __init__(self, dataset: Path | None = None, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.dataset = dataset
        self._timer: Timer | None = None
        self._columns: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(Text("Compose a batch input"), id="compose-title")
        yield WorkProgress(id="compose-progress")
        config = shell(self).config
        profiles = sorted(config.profiles) if config is not None else []
        default_profile = config.meant_profile() if config is not None else None
        default_model = ""
        if config is not None and default_profile in config.profiles:
            default_model = config.profiles[default_profile].model or ""
        with VerticalScroll(id="compose-form"):
            yield from self._field(
                "dataset",
                FormInput(
                    str(self.dataset or ""),
                    placeholder="CSV, TSV, JSONL or text (ctrl+o picks)",
                    id="compose-dataset",
                ),
            )
            yield from self._field(
                "format",
                Select(
                    [("from extension", "auto"), *[(kind, kind) for kind in DATASET_KINDS]],
                    value="auto",
                    allow_blank=False,
                    compact=True,
                    id="compose-format",
                ),
            )
            yield Static(id="compose-columns")
            yield from self._field(
                "system", FormInput(placeholder="system prompt (optional)", id="compose-system")
            )
            yield from self._field(
                "user",
                FormInput(placeholder="template, e.g. Summarise: {text}", id="compose-template"),
            )
            yield from self._field(
                "custom_id",
                Select(
                    [("row number", ROW_NUMBER)],
                    value=ROW_NUMBER,
                    allow_blank=False,
                    compact=True,
                    id="compose-id",
                ),
            )
            yield from self._field(
                "model",
                FormInput(default_model, placeholder="e.g. gpt-4o-mini", id="compose-model"),
            )
            yield from self._field(
                "endpoint",
                Select(
                    [(endpoint, endpoint) for endpoint in COMPOSE_ENDPOINTS],
                    value=COMPOSE_ENDPOINTS[0],
                    allow_blank=False,
                    compact=True,
                    id="compose-endpoint",
                ),
            )
            yield from self._field(
                "max tokens",
                FormInput(
                    placeholder="optional",
                    type="integer",
                    valid_empty=True,  # empty is "not set", not an error to frame in red
                    id="compose-max-tokens",
                ),
            )
            yield from self._field(
                "temperature",
                FormInput(
                    placeholder="optional, 0 to 2",
                    type="number",
                    valid_empty=True,
                    id="compose-temperature",
                ),
            )
            yield from self._field(
                "output", FormInput(placeholder="where to write the JSONL", id="compose-output")
            )
            yield from self._field(
                "profile",
                Select(
                    [(profile, profile) for profile in profiles],
                    value=default_profile if default_profile in profiles else Select.NULL,
                    prompt="no profile configured" if not profiles else "submit to…",
                    compact=True,
                    id="compose-profile",
                ),
            )
        with Preview(id="compose-preview-box"):
            yield Static(id="compose-preview")
        yield Footer()

    @staticmethod
    def _field(label: str, widget: Input | Select) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label)
            yield widget

    def on_mount(self) -> None:
        # Now, not queued: the keys typed right after `n` land in the dataset field.
        focus_now(self.query_one("#compose-dataset", Input))
        if self.dataset is not None:
            self.query_one("#compose-output", Input).value = str(default_output(self.dataset))
        self._schedule_preview()

    # --- reading the form ---------------------------------------------------------------

    def _value(self, widget_id: str) -> str:
        return self.query_one(f"#{widget_id}", Input).value.strip()

    def _select(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Select).value
        return None if value is Select.NULL else str(value)

    def _kind(self) -> str | None:
        kind = self._select("compose-format")
        return None if kind in (None, "auto") else kind

    def spec(self) -> ComposeSpec:
        """The form as a spec; ComposeError names the field that is wrong."""
        max_tokens = self._value("compose-max-tokens")
        temperature = self._value("compose-temperature")
        try:
            tokens = int(max_tokens) if max_tokens else None
        except ValueError:
            raise ComposeError(f"max tokens: {max_tokens!r} is not a whole number") from None
        try:
            heat = float(temperature) if temperature else None
        except ValueError:
            raise ComposeError(f"temperature: {temperature!r} is not a number") from None
        return ComposeSpec(
            user_template=self.query_one("#compose-template", Input).value,
            system_prompt=self.query_one("#compose-system", Input).value,
            model=self._value("compose-model"),
            endpoint=self._select("compose-endpoint") or COMPOSE_ENDPOINTS[0],
            custom_id_column=self._select("compose-id") or ROW_NUMBER,
            max_tokens=tokens,
            temperature=heat,
        )

    # --- live preview -------------------------------------------------------------------

    @on(Input.Changed)
    @on(Select.Changed)
    def _form_changed(self, event: Message) -> None:
        if getattr(event, "control", None) is not None and event.control.id == "compose-dataset":
            dataset = Path(self._value("compose-dataset")).expanduser()
            output = self.query_one("#compose-output", Input)
            if self._value("compose-dataset") and (
                not output.value or output.value == str(default_output(self.dataset or dataset))
            ):
                output.value = str(default_output(dataset))
            self.dataset = dataset if self._value("compose-dataset") else None
        self._schedule_preview()

    def _schedule_preview(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(PREVIEW_DELAY, self._start_preview)

    def _start_preview(self) -> None:
        try:
            spec = self.spec()
        except ComposeError as exc:
            self._show_preview([], [], Text(inert(str(exc), single_line=True)))
            return
        if self.dataset is None:
            self._show_preview([], [], Text("Choose a dataset (ctrl+o) to see a preview."))
            return
        self._preview(self.dataset, self._kind(), spec)

    @work(thread=True, exclusive=True, group="compose-preview")
    def _preview(self, dataset: Path, kind: str | None, spec: ComposeSpec) -> None:
        from batchtui.core.formats.validate import validate_bytes

        columns: list[str] = []
        try:
            columns = dataset_columns(dataset, kind)
            Template(spec.user_template).check_columns(columns, where=f"{dataset}: ")
            lines = preview_lines(dataset, spec, count=PREVIEW_LINES, kind=kind)
        except BatchtuiError as exc:
            self.post_message(
                self.PreviewReady(columns, [], Text(inert(str(exc), single_line=True)))
            )
            return
        if get_current_worker().is_cancelled:
            return
        report = validate_bytes("".join(line + "\n" for line in lines).encode("utf-8"))
        if report.ok:
            verdict = Text(f"first {len(lines)} requests are valid", style="bold")
        else:
            verdict = Text(inert(report.problems[0].describe("preview"), single_line=True))
        self.post_message(self.PreviewReady(columns, lines, verdict))

    def on_compose_screen_preview_ready(self, message: PreviewReady) -> None:
        self._set_columns(message.columns)
        self._show_preview(message.columns, message.lines, message.verdict)

    def _set_columns(self, columns: list[str]) -> None:
        text = Text("columns: " + (", ".join(inert(c, single_line=True) for c in columns) or "-"))
        self.query_one("#compose-columns", Static).update(text)
        if columns == self._columns:
            return
        self._columns = columns
        id_select = self.query_one("#compose-id", Select)
        current = id_select.value
        id_select.set_options(
            [("row number", ROW_NUMBER), *[(inert(c, single_line=True), c) for c in columns]]
        )
        id_select.value = current if current in columns else ROW_NUMBER

    def _show_preview(self, columns: list[str], lines: list[str], verdict: Text) -> None:
        text = verdict.copy()
        for line in lines:
            text.append("\n")
            text.append(inert(line, single_line=True)[:2000])
        self.query_one("#compose-preview", Static).update(text)

    # --- writing and submitting -------------------------------------------------------------

    def _prepare(self) -> tuple[Path, Path, ComposeSpec] | None:
        try:
            spec = self.spec()
            spec.check()
        except ComposeError as exc:
            self.notify(inert(str(exc), single_line=True), severity="error", markup=False)
            return None
        if self.dataset is None:
            self.notify("Choose a dataset first (ctrl+o).", severity="error", markup=False)
            return None
        output = self._value("compose-output")
        if not output:
            self.notify("output: where should the JSONL go?", severity="error", markup=False)
            return None
        return self.dataset, Path(output).expanduser(), spec

    def action_write(self) -> None:
        prepared = self._prepare()
        if prepared is not None:
            self._write_unless_refused(prepared, submit=False)

    def _write_unless_refused(
        self, prepared: tuple[Path, Path, ComposeSpec], *, submit: bool
    ) -> None:
        """Write (then maybe submit); an existing output is overwritten only on yes."""
        from batchtui.tui.screens.confirm import ConfirmScreen

        kind = self._kind()

        def write(yes: bool | None = True) -> None:
            if yes:
                self.query_one(WorkProgress).start("writing", None)
                self._write(*prepared, kind, submit=submit)

        output = prepared[1]
        if not output.exists():
            write()
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Overwrite {output}?",
                "It exists; yes replaces it with the composed requests.",
            ),
            write,
        )

    def action_submit(self) -> None:
        if self._select("compose-profile") is None:
            self.notify("profile: choose where to submit.", severity="error", markup=False)
            return
        if shell(self).service is None:
            self.notify(
                "Submitting needs the job service, which is not ready.",
                severity="error",
                markup=False,
            )
            return
        prepared = self._prepare()
        if prepared is not None:
            self._write_unless_refused(prepared, submit=True)

    @work(thread=True, exclusive=True, group="compose-write")
    def _write(
        self, dataset: Path, output: Path, spec: ComposeSpec, kind: str | None, *, submit: bool
    ) -> None:
        worker = get_current_worker()
        progress = self.query_one(WorkProgress)
        try:
            result = compose_file(
                dataset,
                spec,
                output,
                kind=kind,
                progress=lambda count: progress.post_message(WorkProgress.Update(count, None)),
                cancel=lambda: worker.is_cancelled,
            )
        except BatchtuiError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        except OSError as exc:
            self.post_message(self.Failed(f"{output}: cannot write: {exc.strerror or exc}"))
            return
        if result is not None:
            self.post_message(self.Written(result.path, result.requests, submit))

    def on_compose_screen_written(self, message: Written) -> None:
        self.query_one(WorkProgress).finish()
        self.notify(
            f"Wrote {message.requests:,} requests to {message.path}", title="Compose", markup=False
        )
        if message.submit:
            profile = self._select("compose-profile")
            assert profile is not None
            self._submit(message.path, profile)

    def on_compose_screen_failed(self, message: Failed) -> None:
        self.query_one(WorkProgress).finish()
        self.notify(
            inert(message.message, single_line=True), severity="error", timeout=8, markup=False
        )

    def _submit(self, path: Path, profile: str) -> None:
        """The written file through the one submit flow: estimate shown, asked once."""
        from batchtui.tui.submit_flow import start_submit

        def submitted(_: str) -> None:
            if self.is_current:
                self.app.pop_screen()

        start_submit(self, path, profile, on_submitted=submitted)

    # --- other keys ---------------------------------------------------------------------

    def action_back(self) -> None:
        self.workers.cancel_group(self, "compose-write")
        self.app.pop_screen()

    @opens_input
    def action_pick(self) -> None:
        from batchtui.tui.widgets.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self.query_one("#compose-dataset", Input).value = str(path)
                self.query_one("#compose-template", Input).focus()

        picker = FilePicker(self.dataset, title="Dataset")
        open_in_turn(self, lambda: open_screen(self.app, picker, picked))
