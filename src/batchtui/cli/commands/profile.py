"""`batchtui profile add|list|show|remove|test`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import print_json, render_table
from batchtui.cli.terminal import glyphs_for
from batchtui.core.errors import ConfigError, UsageError
from batchtui.core.terminal_text import inert


def parse_pairs(values: list[str], flag: str) -> list[tuple[str, str]]:
    pairs = []
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{flag} {value!r}: expected KEY=VALUE")
        pairs.append((key.strip(), rest))
    return pairs


def json_or_string(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def apply_kind_settings(args: argparse.Namespace, fields: dict[str, Any]) -> None:
    """The kind's own flags, stored where its row says; refused on profiles of other kinds."""
    from batchtui.core.providers.kinds import flag_settings, get_kind, setting_value

    kind = get_kind(args.kind, profile_name=args.name)
    for name, owners in flag_settings().items():
        value = getattr(args, name, None)
        if value is None:
            continue
        setting = kind.setting(name)
        if setting is None:
            kinds = " or ".join(owner.name for owner, _setting in owners)
            flag = owners[0][1].flag
            raise UsageError(f"{flag} is for profiles of kind {kinds}, not {kind.name}")
        value = setting_value(setting, value, label=setting.flag)
        if setting.into is None:
            fields[name] = value
        else:
            target, key = setting.into
            fields[target][key] = value


def refuse_broken_rules(fields: dict[str, Any], *, saved_name: str | None = None) -> None:
    """The profile rules the TUI's form checks too, each named by its flag."""
    from batchtui.core.profile_rules import profile_problems

    problems = profile_problems(fields, saved_name=saved_name)
    if problems:
        problem = problems[0]
        where = "NAME" if problem.setting == "name" else "--" + problem.setting.replace("_", "-")
        raise UsageError(f"profile add: {where}: {problem.rule}")


def add(args: argparse.Namespace) -> int:
    from batchtui.core.config import Profile, save_profile

    with CommandContext(args) as context:
        config = context.config
        if args.name in config.profiles and not args.replace:
            raise UsageError(
                f"profile {args.name!r} already exists in {config.path} "
                "(pass --replace to overwrite it)"
            )
        fields: dict[str, Any] = {
            "name": args.name,
            "kind": args.kind,
            "base_url": args.base_url,
            "api_key_env": args.api_key_env,
            "headers": dict(parse_pairs(args.header, "--header")),
            "extra_body": {
                key: json_or_string(value)
                for key, value in parse_pairs(args.extra_body, "--extra-body")
            },
            "model": args.model,
        }
        apply_kind_settings(args, fields)
        if args.timeout is not None:
            fields["timeout"] = args.timeout
        # --replace of a profile named before the naming rule keeps its name.
        refuse_broken_rules(fields, saved_name=args.name if args.name in config.profiles else None)
        from pydantic import ValidationError

        try:
            profile = Profile(**fields)
        except ValidationError as error:
            first = error.errors()[0]
            setting = ".".join(str(part) for part in first["loc"])
            raise UsageError(
                f"profile {args.name!r}: --{setting.replace('_', '-')}: {first['msg']}"
            ) from None
        path = save_profile(profile, config.path)
    if args.json:
        print_json({**profile_json(profile), "config": str(path)})
        return 0
    print(f"profile {args.name!r} saved in {path}")
    return 0


def profile_json(profile: Any) -> dict[str, Any]:
    """The object `profile list --json` and `profile show --json` print (secrets redacted)."""
    from batchtui.core.providers.kinds import get_kind

    return {
        "name": profile.name,
        "kind": profile.kind,
        "base_url": _base_url(profile),
        "api_key": _key_state(profile),
        "model": profile.model,
        "timeout": profile.timeout,
        "poll_interval": profile.poll_interval,
        "headers": {name: _redacted_header(name, value) for name, value in profile.headers.items()},
        "extra_body": dict(profile.extra_body),
        **{
            setting.name: getattr(profile, setting.name)
            for setting in get_kind(profile.kind, profile_name=profile.name).settings
            if setting.into is None
        },
    }


def list_profiles(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        config = context.config
        if args.json:
            print_json([profile_json(profile) for profile in config.profiles.values()])
            return 0
        if not config.profiles:
            print(f"no profiles in {config.path}")
            print("add one with `batchtui profile add NAME --kind openai --base-url URL`")
            return 0
        rows = []
        for profile in config.profiles.values():
            rows.append([profile.name, profile.kind, _base_url(profile), _key_state(profile)])
        print(
            render_table(
                ["NAME", "KIND", "BASE URL", "KEY"], rows, shrink_column=2, glyphs=glyphs_for()
            )
        )
    return 0


def show(args: argparse.Namespace) -> int:
    from batchtui.core.providers.kinds import get_kind

    with CommandContext(args) as context:
        profile = context.config.profile(args.name)
        if args.json:
            print_json({**profile_json(profile), "config": str(context.config.path)})
            return 0
        rows = [
            ("name", profile.name),
            ("kind", profile.kind),
            ("base_url", _base_url(profile)),
            ("api key", _key_state(profile)),
            ("model", profile.model or "-"),
        ]
        rows += [
            (setting.name, str(getattr(profile, setting.name)))
            for setting in get_kind(profile.kind, profile_name=profile.name).settings
            if setting.into is None and getattr(profile, setting.name) is not None
        ]
        rows += [
            ("timeout", f"{profile.timeout:g} s"),
            ("poll_interval", f"{profile.poll_interval:g} s"),
        ]
        for name, value in profile.headers.items():
            rows.append((f"header {name}", _redacted_header(name, value)))
        for name, value in profile.extra_body.items():
            rows.append((f"extra_body {name}", json.dumps(value)))
        rows.append(("config", str(context.config.path)))
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {inert(value, single_line=True)}")
    return 0


def remove(args: argparse.Namespace) -> int:
    from batchtui.core.config import remove_profile

    with CommandContext(args) as context:
        context.config.profile(args.name)
        remove_profile(args.name, context.config.path)
    if args.json:
        print_json({"removed": args.name, "config": str(context.config.path)})
        return 0
    print(f"profile {args.name!r} removed")
    return 0


def test(args: argparse.Namespace) -> int:
    """A cheap authenticated call (list one batch): proves the URL, the key and the proxy."""

    async def probe(context: CommandContext) -> float:
        from batchtui.core.providers.probe import check_access

        async with context.service() as service:
            return await check_access(await service.provider(args.name))

    with CommandContext(args) as context:
        profile = context.config.profile(args.name)
        elapsed = run_async(probe(context))
    if args.json:
        print_json(
            {
                "profile": args.name,
                "base_url": _base_url(profile),
                "ok": True,
                "milliseconds": round(elapsed * 1000),
            }
        )
        return 0
    print(f"OK: profile {args.name!r} reached {_base_url(profile)} ({elapsed * 1000:.0f} ms)")
    return 0


def _base_url(profile: Any) -> str:
    try:
        return profile.effective_base_url
    except ConfigError:
        return "-"


def _key_state(profile: Any) -> str:
    from batchtui.core.providers.kinds import describe_access

    return describe_access(profile)


def _redacted_header(name: str, value: str) -> str:
    from batchtui.core.config import is_secret_header

    return "*** (redacted)" if is_secret_header(name) else value
