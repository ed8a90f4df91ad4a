"""The argument parser. Imports nothing but argparse: `--help` and `--version` must be instant."""

from __future__ import annotations

import argparse
from typing import NoReturn

from batchtui import __version__

PROG = "batchtui"


class Parser(argparse.ArgumentParser):
    """Usage errors are one line on stderr and exit 2, like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message} (see `{self.prog} --help`)\n")


def _handler(parser: argparse.ArgumentParser, target: str) -> None:
    """`target` is `module:function` under batchtui.cli.commands, imported only when run."""
    parser.set_defaults(handler=target)


def build_parser(*, kind_flags: bool = True, with_commands: bool = True) -> Parser:
    """The whole parser. `kind_flags=False` leaves out `profile add`'s per-kind flags, which
    need the kind table: `main` asks for them only when the command line names `profile`,
    so `--help` and every other command start without importing it. `with_commands=False`:
    the global options alone, for a bare `batchtui` (the TUI's first paint need not wait
    for every command's parser)."""
    parser = Parser(
        prog=PROG,
        description="LLM batch inference from the terminal. Without a command, opens the TUI.",
        epilog=(
            "JOB is a local job id (or a unique prefix of one), the provider's batch id, or a "
            "job group id (bg-...): a group acts on every shard."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="log every HTTP exchange (auth redacted) and tracebacks to stderr",
    )
    parser.add_argument("--demo", action="store_true", help="open the TUI on made-up demo jobs")
    parser.add_argument(
        "--glyphs",
        metavar="WHEN",
        choices=("auto", "always", "never"),
        help=(
            "status glyphs (✔ ◐ ✖) in output: auto (default; only on a terminal, so pipes "
            "and files get plain words), always, never; also $BATCHTUI_GLYPHS"
        ),
    )
    parser.add_argument(
        "--no-mouse", action="store_true", help="TUI without mouse, for terminal-native selection"
    )
    _handler(parser, "tui:run")
    if not with_commands:
        parser.set_defaults(command=None)
        return parser
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    _add_profile(commands, kind_flags=kind_flags)

    validate = commands.add_parser("validate", help="check a batch input file (JSONL)")
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--profile", metavar="P", help="check against this profile's limits")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    _handler(validate, "validate:run")

    submit = commands.add_parser("submit", help="validate, upload and start a batch")
    submit.add_argument("file", metavar="FILE")
    submit.add_argument("--profile", metavar="P", help="profile to submit with")
    submit.add_argument("--name", metavar="N", help="a name for the job (default: the file name)")
    submit.add_argument("--window", metavar="W", default="24h", help="completion window (24h)")
    submit.add_argument(
        "--metadata",
        metavar="K=V",
        action="append",
        default=[],
        help="metadata sent with the batch (repeatable)",
    )
    submit.add_argument(
        "--no-split",
        action="store_true",
        help="refuse a file over the provider's limits instead of sending it as a job group",
    )
    submit.add_argument(
        "--skip-duplicate",
        action="store_true",
        help="submit nothing when the same file went to the profile within "
        "[submit] duplicate_window; print that job instead (for cron)",
    )
    submit.add_argument("--json", action="store_true", help="print the job (or group) as JSON")
    _handler(submit, "submit:run")

    _add_compose(commands)
    _add_convert(commands)

    jobs = commands.add_parser("jobs", help="list jobs, newest first")
    jobs.add_argument("--profile", metavar="P", help="only this profile's jobs")
    jobs.add_argument(
        "--status",
        metavar="S",
        action="append",
        default=[],
        help="only jobs in status S (repeatable or comma-separated; `active`, `terminal`)",
    )
    jobs.add_argument("--limit", metavar="N", type=int, help="at most N jobs")
    jobs.add_argument("--json", action="store_true", help="print a JSON array (--format json)")
    jobs.add_argument(
        "--format",
        metavar="F",
        choices=("table", "tsv", "csv", "json"),
        default="table",
        help="table (default), tsv, csv or json: one header row, a row a job, no glyphs",
    )
    jobs.add_argument("--all", action="store_true", help="archived jobs too")
    jobs.add_argument(
        "--plain", action="store_true", help="the table without glyphs or line drawing"
    )
    _handler(jobs, "jobs:run")

    status = commands.add_parser("status", help="show one job (or job group) and its history")
    status.add_argument("job", metavar="JOB")
    status.add_argument("--refresh", action="store_true", help="ask the provider first")
    status.add_argument("--json", action="store_true", help="print the job as JSON")
    _handler(status, "status:run")

    watch = commands.add_parser("watch", help="poll jobs until they end")
    watch.add_argument(
        "jobs", metavar="JOB", nargs="*", help="jobs or groups (default: every unfinished job)"
    )
    watch.add_argument(
        "--interval", metavar="S", type=float, help="seconds between polls (default: profile's)"
    )
    watch.add_argument(
        "--timeout", metavar="D", help="stop after D (e.g. 30m, 2h); exit 3 if jobs still run"
    )
    watch.add_argument("--until-first", action="store_true", help="stop when the first job ends")
    _add_unattended_flags(watch)
    watch.add_argument("--json", action="store_true", help="print the jobs as JSON at the end")
    _handler(watch, "watch:run")

    refresh = commands.add_parser(
        "refresh", help="poll jobs once and exit (for crontab or scrontab)"
    )
    refresh.add_argument("jobs", metavar="JOB", nargs="*", help="jobs or groups to poll")
    refresh.add_argument("--all", action="store_true", help="poll every unfinished job")
    _add_unattended_flags(refresh)
    refresh.add_argument("--json", action="store_true", help="print the jobs as JSON")
    _handler(refresh, "refresh:run")

    resume = commands.add_parser("resume", help="start a direct job's runner again now")
    resume.add_argument("job", metavar="JOB")
    resume.add_argument("--json", action="store_true", help="print the job as JSON")
    _handler(resume, "resume:run")

    cancel = commands.add_parser("cancel", help="cancel a running job (or every shard of a group)")
    cancel.add_argument("job", metavar="JOB")
    cancel.add_argument("--json", action="store_true", help="print the job (or shards) as JSON")
    _handler(cancel, "cancel:run")

    logs = commands.add_parser("logs", help="a cluster job's sbatch script and log tail")
    logs.add_argument("job", metavar="JOB")
    logs.add_argument("--lines", metavar="N", type=int, default=40, help="lines of each log")
    logs.add_argument("--follow", action="store_true", help="print new log lines until it ends")
    logs.add_argument("--json", action="store_true", help="print paths and tails as JSON")
    _handler(logs, "logs:run")

    doctor = commands.add_parser(
        "doctor", help="show what matters over SSH: terminal, tmux, proxies, paths"
    )
    doctor.add_argument("--json", action="store_true", help="print the findings as JSON")
    _handler(doctor, "doctor:run")

    sync = commands.add_parser(
        "sync", help="adopt a profile's remote batches missing from the registry"
    )
    sync.add_argument("--profile", metavar="P", help="profile whose batches to scan")
    sync.add_argument(
        "--limit", metavar="N", type=int, help="scan only the newest N batches (default: all)"
    )
    sync.add_argument("--json", action="store_true", help="print the report as JSON")
    _handler(sync, "sync:run")

    results = commands.add_parser("results", help="print a job's results (or a results file)")
    results.add_argument("source", metavar="JOB|FILE")
    results.add_argument("--head", metavar="N", type=int, help="only the first N records")
    results.add_argument(
        "--from",
        dest="start",
        metavar="N",
        type=int,
        default=0,
        help="start at record N (0-based; with --head K: records N to N+K-1)",
    )
    last = results.add_mutually_exclusive_group()
    last.add_argument(
        "--tail", metavar="N", type=int, help="only the last N records (read from the end)"
    )
    last.add_argument(
        "--last", action="store_true", help="the last page: the last 20 records (--tail 20)"
    )
    results.add_argument("--errors", action="store_true", help="only failed requests")
    results.add_argument("--json", action="store_true", help="JSON Lines, one record a line")
    _handler(results, "results:run")

    download = commands.add_parser("download", help="download a job's output and error files")
    download.add_argument("job", metavar="JOB")
    download.add_argument(
        "-o",
        "--output-dir",
        metavar="DIR",
        help="where to write (default: <download_dir>/batchtui-<id>/, download_dir from "
        "[settings], else the current directory)",
    )
    download.add_argument("--json", action="store_true", help="print the files as JSON")
    _handler(download, "download:run")

    _add_results_at_scale(commands)
    _add_housekeeping(commands)

    view = commands.add_parser("view", help="open a local results file in the TUI's viewer")
    view.add_argument("file", metavar="FILE")
    view.add_argument("--input", metavar="REQUESTS", help="the requests, to show each prompt")
    _handler(view, "view:run")

    help_command = commands.add_parser(
        "help", help="offline help: exit-codes, config, providers, filters, keys"
    )
    help_command.add_argument("topic", metavar="TOPIC", nargs="?", help="a topic (none: list)")
    help_command.add_argument("--man", action="store_true", help="print batchtui(1), a man page")
    _handler(help_command, "help:run")

    completion = commands.add_parser(
        "completion", help="print the shell hook for TAB completion (bash, zsh or fish)"
    )
    completion.add_argument("shell", metavar="SHELL", choices=("bash", "zsh", "fish"))
    _handler(completion, "completion:run")

    commands.add_parser(
        "simulate",
        help="run the local OpenAI-compatible simulator (see `batchtui simulate --help`)",
        add_help=False,
    )
    _add_examples(parser)
    return parser


# One example a command, printed at the end of its --help.
EXAMPLES: dict[str, str] = {
    "profile": "batchtui profile add uni --kind portkey --base-url https://gw.example/v1 "
    "--provider @vertexai",
    "profile add": "batchtui profile add lab --kind openai --base-url http://gpu01:8000/v1",
    "profile list": "batchtui profile list --json",
    "profile show": "batchtui profile show uni",
    "profile remove": "batchtui profile remove old-lab",
    "profile test": "batchtui profile test uni",
    "validate": "batchtui validate prompts.jsonl --profile uni",
    "submit": "batchtui submit prompts.jsonl --profile uni --name eval-v2",
    "compose": "batchtui compose data.csv --template 'Summarise: {text}' --profile uni",
    "convert": "batchtui convert prompts.jsonl --to vertex -o prompts.vertex.jsonl",
    "jobs": "batchtui jobs --status active --format tsv | cut -f1,2",
    "status": "batchtui status eval-v2 --refresh --json",
    "watch": "batchtui watch --notify --exec 'mail -s \"batch $BATCHTUI_STATUS\" me' --timeout 8h",
    "refresh": "*/10 * * * * batchtui refresh --all --quiet --exec 'cat >> ~/ended.jsonl'",
    "cancel": "batchtui cancel bt-3f2a",
    "resume": "batchtui resume eval-v2 --json",
    "doctor": "batchtui doctor --json",
    "sync": "batchtui sync --profile uni --limit 50",
    "results": "batchtui results eval-v2 --errors --head 20",
    "download": "batchtui download eval-v2 -o /scratch/$USER/results",
    "retry": "batchtui retry eval-v2 --dry-run",
    "export": "batchtui export eval-v2 --format csv --join-input -o eval.csv",
    "help": "batchtui help config",
    "completion": 'eval "$(batchtui completion bash)"   # in ~/.bashrc',
    "clean": "batchtui clean eval-v2 --json",
    "rename": "batchtui rename bt-3f2a eval-v2-final",
    "forget": "batchtui forget --older-than 90d --status completed --yes",
    "archive": "batchtui archive --older-than 30d",
    "logs": "batchtui logs eval-v2 --follow",
    "view": "batchtui view output.jsonl --input prompts.jsonl   # / search, n next, y copy",
}


def _add_examples(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            command = f"{prefix}{name}"
            example = EXAMPLES.get(command)
            if example is not None:
                sub.formatter_class = argparse.RawDescriptionHelpFormatter
                sub.epilog = f"example:\n  {example}"
            _add_examples(sub, prefix=f"{command} ")


def _add_housekeeping(commands: argparse._SubParsersAction) -> None:
    rename = commands.add_parser("rename", help="give a job a new name")
    rename.add_argument("job", metavar="JOB")
    rename.add_argument("name", metavar="NAME")
    rename.add_argument("--json", action="store_true", help="print the job as JSON")
    _handler(rename, "housekeeping:rename")

    clean = commands.add_parser(
        "clean", help="delete a finished job's remote files and batchtui's local copies"
    )
    clean.add_argument("jobs", metavar="JOB", nargs="+", help="jobs or groups")
    clean.add_argument("--json", action="store_true", help="print what happened to each file")
    _handler(clean, "clean:run")

    for command, help_text, handler in (
        ("forget", "remove ended jobs from the registry (not from the provider)", "forget"),
        ("archive", "hide ended jobs from the default views (jobs --all shows them)", "archive"),
    ):
        sub = commands.add_parser(command, help=help_text)
        sub.add_argument("jobs", metavar="JOB", nargs="*", help="jobs or groups")
        sub.add_argument(
            "--older-than", metavar="D", help="every ended job created more than D ago (90d)"
        )
        sub.add_argument(
            "--status",
            metavar="S",
            action="append",
            default=[],
            help="with --older-than: only these statuses (repeatable)",
        )
        if command == "forget":
            sub.add_argument("--yes", action="store_true", help="do not ask (for scripts)")
        else:
            sub.add_argument("--undo", action="store_true", help="show the jobs again")
        sub.add_argument("--json", action="store_true", help="print the ids as JSON")
        _handler(sub, f"housekeeping:{handler}")


def _add_unattended_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--notify",
        action="store_true",
        help="announce each job that ends: bell and desktop notification ([notify] settings)",
    )
    parser.add_argument(
        "--exec",
        metavar="CMD",
        help="run CMD once per job that ends, its JSON on stdin, BATCHTUI_JOB_ID and "
        "BATCHTUI_STATUS in the environment",
    )
    parser.add_argument("--quiet", action="store_true", help="print only errors (for cron)")


def _add_results_at_scale(commands: argparse._SubParsersAction) -> None:
    retry = commands.add_parser(
        "retry", help="run a finished job's failed and unfinished requests again, as a child job"
    )
    retry.add_argument("job", metavar="JOB", help="a job (or group: one child job per shard)")
    retry.add_argument(
        "--dry-run", action="store_true", help="write the retry input and report, submit nothing"
    )
    retry.add_argument("--json", action="store_true", help="print the report and jobs as JSON")
    _handler(retry, "retry:run")

    export = commands.add_parser(
        "export", help="one row per request (with retries merged) as JSON Lines or CSV"
    )
    export.add_argument("job", metavar="JOB")
    export.add_argument(
        "--format", metavar="F", choices=("jsonl", "csv"), default="jsonl", help="jsonl or csv"
    )
    export.add_argument(
        "--join-input", action="store_true", help="add each request's prompt from the input"
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="file to write, `-` for stdout (default: export.<format> in the job's download dir)",
    )
    export.add_argument(
        "--json", action="store_true", help="print the summary as JSON (not with -o -)"
    )
    _handler(export, "export:run")


def _add_compose(commands: argparse._SubParsersAction) -> None:
    compose = commands.add_parser(
        "compose", help="build a batch input file (JSONL) from a dataset and a prompt template"
    )
    compose.add_argument("dataset", metavar="DATASET", help="CSV, TSV, JSONL records or text")
    compose.add_argument(
        "--template", metavar="T", required=True, help="user prompt with {column} placeholders"
    )
    compose.add_argument("--system", metavar="S", default="", help="system prompt (template too)")
    compose.add_argument("--model", metavar="M", help="model of every request (default: profile's)")
    compose.add_argument("--profile", metavar="P", help="take the model and limits from P")
    compose.add_argument(
        "--id-column", metavar="C", default="", help="column giving custom_id (default: row number)"
    )
    compose.add_argument(
        "--endpoint", metavar="E", default="/v1/chat/completions", help="(/v1/chat/completions)"
    )
    compose.add_argument("--max-tokens", metavar="N", type=int, help="output cap per request")
    compose.add_argument("--temperature", metavar="X", type=float)
    compose.add_argument(
        "--format", metavar="F", choices=("csv", "tsv", "jsonl", "text"), help="dataset format"
    )
    compose.add_argument("-o", "--output", metavar="OUT", help="default: DATASET.requests.jsonl")
    compose.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    compose.add_argument("--json", action="store_true", help="print the result as JSON")
    _handler(compose, "compose:run")


def _add_convert(commands: argparse._SubParsersAction) -> None:
    convert = commands.add_parser(
        "convert", help="convert a batch input between OpenAI, Gemini and Vertex AI formats"
    )
    convert.add_argument("file", metavar="FILE")
    convert.add_argument(
        "--to", metavar="F", required=True, choices=("openai", "gemini", "vertex"), help="target"
    )
    convert.add_argument("-o", "--output", metavar="OUT", help="default: FILE.<format>.jsonl")
    convert.add_argument("--model", metavar="M", help="model of every request (needed for openai)")
    convert.add_argument(
        "--no-request-id",
        action="store_true",
        help="Vertex: keep the custom_id in labels only, no top-level requestId",
    )
    convert.add_argument("--json", action="store_true", help="print the report as JSON")
    _handler(convert, "convert:run")


def _add_kind_flags(add: argparse.ArgumentParser) -> None:
    """One flag per kind setting (`providers.kinds`), grouped as the kinds ask."""
    from batchtui.core.providers.kinds import flag_settings

    groups: dict[str, argparse._ArgumentGroup] = {}
    for owners in flag_settings().values():
        kind, setting = owners[0]
        title = kind.help_group or f"kind {kind.name}"
        group = groups.get(title) or groups.setdefault(title, add.add_argument_group(title))
        group.add_argument(
            setting.flag,
            metavar=setting.metavar,
            type=setting.value_type,
            help="; ".join(setting.help for _kind, setting in reversed(owners)),
            **({"action": "append"} if setting.repeat else {}),
        )


def _add_profile(commands: argparse._SubParsersAction, *, kind_flags: bool) -> None:
    profile = commands.add_parser("profile", help="add, list, show, remove or test profiles")
    actions = profile.add_subparsers(dest="profile_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a profile to config.toml")
    add.add_argument("name", metavar="NAME")
    kinds = "see `batchtui help providers`"
    if kind_flags:
        from batchtui.core.providers.kinds import provider_kinds

        kinds = ", ".join(provider_kinds())
    add.add_argument("--kind", metavar="K", required=True, help=f"provider kind: {kinds}")
    add.add_argument("--base-url", metavar="URL")
    add.add_argument("--api-key-env", metavar="VAR", help="environment variable with the key")
    add.add_argument(
        "--header", metavar="K=V", action="append", default=[], help="extra HTTP header"
    )
    add.add_argument(
        "--extra-body",
        metavar="K=V",
        action="append",
        default=[],
        help="extra field in create-batch bodies (V parsed as JSON when it is JSON)",
    )
    add.add_argument("--model", metavar="M")
    add.add_argument("--timeout", metavar="S", type=float, help="HTTP timeout in seconds")
    if kind_flags:
        _add_kind_flags(add)
    add.add_argument("--replace", action="store_true", help="overwrite a profile of this name")
    add.add_argument("--json", action="store_true", help="print the saved profile as JSON")
    _handler(add, "profile:add")

    listing = actions.add_parser("list", help="list profiles")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    _handler(listing, "profile:list_profiles")

    for action, help_text in (
        ("show", "show a profile (secrets redacted)"),
        ("remove", "remove a profile from config.toml"),
        ("test", "make a cheap authenticated call with a profile"),
    ):
        sub = actions.add_parser(action, help=help_text)
        sub.add_argument("name", metavar="NAME")
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        _handler(sub, f"profile:{action}")
