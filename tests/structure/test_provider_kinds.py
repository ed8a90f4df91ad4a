"""A provider kind is one row of `providers.kinds`: config, flags and form all follow from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from batchtui.cli.parser import build_parser
from batchtui.core.config import PROFILE_FIELDS, Profile
from batchtui.core.errors import UsageError
from batchtui.core.providers.kinds import KINDS, flag_settings, form_settings, limits_for_kind

SRC = Path(__file__).resolve().parents[2] / "src" / "batchtui"


def test_every_kind_setting_is_a_profile_field_or_a_shortcut() -> None:
    for kind in KINDS:
        for setting in kind.settings:
            if setting.into is None:
                assert setting.name in Profile.model_fields, (kind.name, setting.name)
                assert setting.name in PROFILE_FIELDS
            else:
                assert setting.into[0] in ("headers", "extra_body")
    assert "provider_model" not in Profile.model_fields  # a shortcut only


def test_every_kind_setting_is_a_profile_add_flag() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["profile", "add", "p", "--kind", "openai"]
        + [arg for name, owners in flag_settings().items() for arg in (owners[0][1].flag, "1")]
    )
    for name, owners in flag_settings().items():
        setting = owners[0][1]
        parsed = setting.value_type("1")
        assert getattr(args, name) == ([parsed] if setting.repeat else parsed)


def test_a_flag_of_another_kind_is_refused_naming_the_kinds() -> None:
    from batchtui.cli.commands.profile import apply_kind_settings

    args = build_parser().parse_args(["profile", "add", "p", "--kind", "gemini", "--bucket", "b"])
    with pytest.raises(
        UsageError, match="--bucket is for profiles of kind portkey or litellm or vertex"
    ):
        apply_kind_settings(args, {"headers": {}, "extra_body": {}})


def test_shortcuts_land_where_the_row_says() -> None:
    from batchtui.cli.commands.profile import apply_kind_settings

    args = build_parser().parse_args(
        ["profile", "add", "p", "--kind", "portkey", "--bucket", "b", "--provider", "@v"]
    )
    fields: dict = {"headers": {}, "extra_body": {}}
    apply_kind_settings(args, fields)
    assert fields["headers"] == {
        "x-portkey-vertex-storage-bucket-name": "b",
        "x-portkey-provider": "@v",
    }
    assert "bucket" not in fields


def test_the_form_rows_are_the_kinds_form_settings() -> None:
    assert set(form_settings()) == {
        *("project", "location", "bucket", "credentials"),
        *("work_dir", "partition", "account", "gres", "time", "cpus", "mem", "setup"),
    }
    assert [kind.name for kind, _setting in form_settings()["bucket"]] == ["vertex"]


def test_every_kind_names_limits_that_exist() -> None:
    for kind in KINDS:
        assert limits_for_kind(kind.name).name


def test_no_module_outside_the_kinds_table_compares_a_profile_kind_to_a_literal() -> None:
    """`profile.kind == "vertex"` anywhere but the providers is knowledge the row should own."""
    names = {kind.name for kind in KINDS}
    offenders = []
    for path in SRC.rglob("*.py"):
        if "simulator" in path.parts or path.parent.name == "providers":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            compares_kind = (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and node.left.attr == "kind"
            )
            if compares_kind and any(
                isinstance(c, ast.Constant) and c.value in names
                for c in node.comparators  # type: ignore[attr-defined]
            ):
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")  # type: ignore[attr-defined]
    assert not offenders
