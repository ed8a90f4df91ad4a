"""The exact bytes of a notification, bare and wrapped for tmux and GNU screen."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from batchtui.core.config import NotifySettings
from batchtui.core.models import Job
from batchtui.core.notify import ExecRefused, Notice, check_exec_source, terminal_bytes
from batchtui.core.status import JobStatus
from batchtui.core.unattended import Notifier

NOTICE = Notice("bt-abc123", "nightly eval", "completed")
MESSAGE = "batchtui: nightly eval (bt-abc123) completed"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, f"\x1b]9;{MESSAGE}\x07\x07"),
        (
            {"TMUX": "/tmp/tmux-0/default,1,0"},
            f"\x1bPtmux;\x1b\x1b]9;{MESSAGE}\x07\x1b\\\x07",
        ),
        ({"STY": "1234.pts-0.login1"}, f"\x1bP\x1b]9;{MESSAGE}\x07\x1b\\\x07"),
    ],
    ids=["bare", "tmux", "screen"],
)
def test_osc9_bytes_bare_and_wrapped(environ: dict[str, str], expected: str) -> None:
    assert terminal_bytes(NOTICE, bell=True, desktop="osc9", environ=environ) == expected


def test_osc777_bytes_and_no_bell() -> None:
    text = terminal_bytes(NOTICE, bell=False, desktop="osc777", environ={})
    assert text == f"\x1b]777;notify;batchtui;{MESSAGE}\x07"


def test_off_with_bell_is_only_the_bell() -> None:
    assert terminal_bytes(NOTICE, bell=True, desktop="off", environ={"TMUX": "x"}) == "\x07"


HOSTILE_NAMES = [
    "\x1b]52;c;ZXZpbA==\x07steal",  # OSC 52 clipboard write
    "\x1b]0;title\x07",  # window title
    "a\x07b\x1b\\c",  # BEL and ST would end the sequence early
    "x;y;z",  # field separators of OSC 777
    "\u202eevil\u2066",  # bidi controls
    "\x9b2J\x9d0;t\x9c",  # C1 CSI / OSC / ST
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("desktop", ["osc9", "osc777"])
def test_a_job_name_never_ends_or_opens_a_sequence(name: str, desktop: str) -> None:
    notice = Notice("bt-1", name, "failed")
    text = terminal_bytes(notice, bell=False, desktop=desktop, environ={})  # type: ignore[arg-type]
    opener = "\x1b]9;" if desktop == "osc9" else "\x1b]777;notify;batchtui;"
    assert text.startswith(opener) and text.endswith("\x07")
    body = text[len(opener) : -1]
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in body), body
    if desktop == "osc777":
        assert ";" not in body


def test_osc9_message_never_starts_with_a_conemu_command() -> None:
    text = terminal_bytes(
        Notice("bt-1", "4;3;50", "completed"), bell=False, desktop="osc9", environ={}
    )
    assert text.startswith("\x1b]9;batchtui:")


def _job(status: JobStatus = JobStatus.COMPLETED) -> Job:
    return Job(id="bt-x1", name="n", profile="p", kind="openai", tag="t", status=status)


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_notifier_writes_to_a_terminal_once_per_job(tmp_path: Path) -> None:
    terminal = FakeTty()
    warnings: list[str] = []
    notifier = Notifier(
        NotifySettings(),
        config_path=tmp_path / "missing.toml",
        terminal=terminal,
        job_json=lambda job: {"id": job.id},
        warn=warnings.append,
        environ={},
    )
    notifier.job_ended(_job())
    notifier.job_ended(_job())
    assert terminal.getvalue() == "\x1b]9;batchtui: n (bt-x1) completed\x07\x07"
    assert warnings == []


def test_notifier_is_silent_without_a_terminal(tmp_path: Path) -> None:
    stream = io.StringIO()  # cron: stderr is a file
    notifier = Notifier(
        NotifySettings(),
        config_path=tmp_path / "c.toml",
        terminal=stream,
        job_json=lambda job: {"id": job.id},
        warn=lambda _: None,
        environ={},
    )
    notifier.job_ended(_job())
    assert stream.getvalue() == ""


def test_exec_from_a_config_others_can_write_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[notify]\nexec = "touch ran"\n')
    os.chmod(config, 0o664)
    with pytest.raises(ExecRefused, match=r"chmod go-w .*config\.toml"):
        check_exec_source(config)
    warnings: list[str] = []
    notifier = Notifier(
        NotifySettings(exec=f"touch {tmp_path / 'ran'}"),
        config_path=config,
        job_json=lambda job: {"id": job.id},
        warn=warnings.append,
        environ={},
    )
    notifier.job_ended(_job())
    assert not (tmp_path / "ran").exists()
    assert len(warnings) == 1 and "writable by others" in warnings[0]
    os.chmod(config, stat.S_IRUSR | stat.S_IWUSR)
    check_exec_source(config)  # no longer refused
