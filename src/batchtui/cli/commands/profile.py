"""`batchtui profile add|list|show|remove|test`."""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from batchtui.cli.context import CommandContext, run_async
from batchtui.cli.output import render_table
from batchtui.core.errors import ConfigError, UsageError
from batchtui.core.terminal_text import inert, supports_unicode


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


# `profile add` shortcuts: (flag, kind it belongs to, where it goes, name there).
GATEWAY_FLAGS = (
    ("provider", "portkey", "headers", "x-portkey-provider"),
    ("bucket", "portkey", "headers", "x-portkey-vertex-storage-bucket-name"),
    ("provider_model", "portkey", "headers", "x-portkey-provider-model"),
    ("custom_llm_provider", "litellm", "extra_body", "custom_llm_provider"),
)


# `profile add` options that are settings of kind vertex profiles (`--bucket` also serves
# portkey, as a header).
VERTEX_FLAGS = ("project", "location", "bucket", "credentials", "storage_url")


def apply_gateway_flags(args: argparse.Namespace, fields: dict[str, Any]) -> None:
    """Put the gateway shortcuts where the gateway reads them; refuse them on other kinds."""
    for flag, kind, target, name in GATEWAY_FLAGS:
        value = getattr(args, flag, None)
        if value is None or (flag in VERTEX_FLAGS and args.kind == "vertex"):
            continue
        if args.kind != kind:
            option = "--" + flag.replace("_", "-")
            raise UsageError(f"{option} is for profiles of kind {kind}, not {args.kind}")
        fields[target][name] = value


def apply_vertex_flags(args: argparse.Namespace, fields: dict[str, Any]) -> None:
    """Vertex settings; the credentials file must exist and be private (its path is stored)."""
    gateway_flags = {flag for flag, *_rest in GATEWAY_FLAGS}
    for flag in VERTEX_FLAGS:
        value = getattr(args, flag, None)
        if value is None:
            continue
        if args.kind != "vertex":
            if flag in gateway_flags:
                continue  # checked with the gateway shortcuts
            option = "--" + flag.replace("_", "-")
            raise UsageError(f"{option} is for profiles of kind vertex, not {args.kind}")
        if flag == "credentials":
            from batchtui.core.providers.google_auth import check_private_file

            path = Path(value).expanduser().resolve()
            check_private_file(path, setting="--credentials")
            value = str(path)
        fields[flag] = value


def add(args: argparse.Namespace) -> int:
    from batchtui.core.config import Profile, save_profile
    from batchtui.core.providers import get_kind

    with CommandContext(args) as context:
        config = context.config
        if args.name in config.profiles and not args.replace:
            raise UsageError(
                f"profile {args.name!r} already exists in {config.path} "
                "(pass --replace to overwrite it)"
            )
        get_kind(args.kind, profile_name=args.name)
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
        apply_gateway_flags(args, fields)
        apply_vertex_flags(args, fields)
        if args.timeout is not None:
            fields["timeout"] = args.timeout
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
    print(f"profile {args.name!r} saved in {path}")
    return 0


def list_profiles(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        config = context.config
        if not config.profiles:
            print(f"no profiles in {config.path}")
            print("add one with `batchtui profile add NAME --kind openai --base-url URL`")
            return 0
        unicode = supports_unicode()
        rows = []
        for profile in config.profiles.values():
            rows.append([profile.name, profile.kind, _base_url(profile), _key_state(profile)])
        print(
            render_table(
                ["NAME", "KIND", "BASE URL", "KEY"], rows, shrink_column=2, unicode=unicode
            )
        )
    return 0


def show(args: argparse.Namespace) -> int:
    with CommandContext(args) as context:
        profile = context.config.profile(args.name)
        rows = [
            ("name", profile.name),
            ("kind", profile.kind),
            ("base_url", _base_url(profile)),
            ("api key", _key_state(profile)),
            ("model", profile.model or "-"),
        ]
        rows += [
            (setting, str(getattr(profile, setting)))
            for setting in VERTEX_FLAGS
            if getattr(profile, setting) is not None
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
    print(f"profile {args.name!r} removed")
    return 0


def test(args: argparse.Namespace) -> int:
    """A cheap authenticated call (list one batch): proves the URL, the key and the proxy."""

    async def probe(context: CommandContext) -> float:
        async with context.service() as service:
            provider = await service.provider(args.name)
            started = time.perf_counter()
            async for _batch in provider.list_batches(limit=1):
                break
            return time.perf_counter() - started

    with CommandContext(args) as context:
        profile = context.config.profile(args.name)
        elapsed = run_async(probe(context))
    print(f"OK: profile {args.name!r} reached {_base_url(profile)} ({elapsed * 1000:.0f} ms)")
    return 0


def _base_url(profile: Any) -> str:
    try:
        return profile.effective_base_url
    except ConfigError:
        return "-"


def _key_state(profile: Any) -> str:
    if profile.kind == "vertex":
        if profile.credentials:
            return f"credentials {profile.credentials}"
        return "application default credentials"
    for name in profile.key_env_names:
        if os.environ.get(name):
            return f"${name} (set)"
    if profile.api_key is not None:
        return "in config file"
    return " or ".join(f"${name}" for name in profile.key_env_names) + " (unset)"


def _redacted_header(name: str, value: str) -> str:
    from batchtui.core.config import is_secret_header

    return "*** (redacted)" if is_secret_header(name) else value
