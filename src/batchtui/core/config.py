"""config.toml: profiles and settings.

Read with tomllib (fast, stdlib); written with tomlkit so the user's comments and
layout survive `profile add` and `profile remove`. API keys are read from the
environment; a key written in the file is honoured only when the file is private.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic_core import PydanticCustomError

from batchtui.core.config_file import read_config_file
from batchtui.core.errors import ConfigError, UsageError
from batchtui.core.paths import config_path
from batchtui.core.prices import (
    Price,
    PriceTable,
    context_windows_from_config,
    prices_from_config,
)
from batchtui.core.providers import netpolicy
from batchtui.core.terminal_text import inert

# The network I/O policy's settings (see `providers.netpolicy` and the README).
NETWORK_FIELDS = (
    "deadline",
    "max_answer_bytes",
    "max_inflation",
    "max_inflated_bytes",
    "min_progress_bytes",
    "max_attempts",
    "max_retry_after",
    "announce_wait",
    "max_list_pages",
)

# Settings every profile has; each kind adds its own (`providers.kinds`).
COMMON_PROFILE_FIELDS = (
    "kind",
    "base_url",
    "api_key_env",
    "api_key",
    "headers",
    "extra_body",
    "model",
    "timeout",
    *NETWORK_FIELDS,
    "poll_interval",
    "enqueued_token_limit",
)


# Header names that carry credentials whatever they are called; any other name holding one
# of SECRET_HEADER_WORDS (in any case) is a secret too. "portkey" is the gateway's brand in
# its `x-portkey-*` names, not a key (`x-portkey-provider` is a slug, `x-portkey-api-key` is
# still a secret by its `key`).
SECRET_HEADER_NAMES = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-portkey-config",
        "x-portkey-vertex-service-account-json",
    }
)
SECRET_HEADER_WORDS = ("key", "token", "secret", "password", "credential")


def is_secret_header(name: str) -> bool:
    """Whether a header named `name` carries a credential (its value is kept like `api_key`:
    only in a private config file, never shown by `profile show` or `--debug`)."""
    lowered = name.strip().lower()
    if lowered in SECRET_HEADER_NAMES:
        return True
    meaningful = lowered.replace("portkey", "")
    return any(word in meaningful for word in SECRET_HEADER_WORDS)


def secret_header_values(headers: dict[str, str]) -> list[str]:
    """The values of the secret headers in `headers` (for redaction by value)."""
    return [value for name, value in headers.items() if value and is_secret_header(name)]


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e\t]*")


class ProfileBase(BaseModel):
    """The settings every `[profiles.NAME]` table has; `Profile` adds the kinds' own."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str = "openai"
    base_url: str | None = None
    api_key_env: str | None = None
    api_key: SecretStr | None = Field(default=None, repr=False)
    headers: dict[str, str] = Field(default_factory=dict)
    extra_body: dict[str, Any] = Field(default_factory=dict)
    model: str | None = None
    timeout: float = Field(default=60.0, gt=0)
    # Network I/O bounds (`providers.netpolicy.NetworkPolicy` says what each one bounds).
    deadline: float | None = Field(default=None, gt=0)  # None: 4x timeout
    max_answer_bytes: int = Field(default=netpolicy.DEFAULT_MAX_ANSWER_BYTES, gt=0)
    max_inflation: float = Field(default=netpolicy.DEFAULT_MAX_INFLATION, ge=1)
    max_inflated_bytes: int = Field(default=netpolicy.DEFAULT_MAX_INFLATED_BYTES, gt=0)
    min_progress_bytes: int = Field(default=netpolicy.DEFAULT_MIN_PROGRESS_BYTES, ge=0)
    max_attempts: int = Field(default=netpolicy.DEFAULT_MAX_ATTEMPTS, ge=1)
    max_retry_after: float = Field(default=netpolicy.DEFAULT_MAX_RETRY_AFTER, ge=0)
    announce_wait: float = Field(default=netpolicy.DEFAULT_ANNOUNCE_WAIT, ge=0)
    max_list_pages: int = Field(default=netpolicy.DEFAULT_MAX_LIST_PAGES, ge=1)
    # Seconds between provider polls of one running job (the TUI backs off from here).
    poll_interval: float = Field(default=30.0, ge=1)
    # Input tokens the provider lets this account queue per model across running batches
    # (OpenAI's "enqueued token limit"): one number for every model, or a table by model
    # (names match like prices: exact, else longest prefix). None: not checked.
    enqueued_token_limit: int | dict[str, int] | None = None
    # Where the config came from, for messages.
    source: Path | None = Field(default=None, exclude=True, repr=False)

    @field_validator("headers")
    @classmethod
    def _sendable_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        # HTTP sends header names and values as ASCII; a control character (a CR or LF
        # above all) would end the header early. The value is never echoed: it may be a key.
        for name, value in headers.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {inert(name, single_line=True)!r} is not a token")
            if not _HEADER_VALUE.fullmatch(value):
                raise ValueError(
                    f"header {name!r}: the value holds a control or non-ASCII character"
                )
        return headers

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return _strip_slash(value)

    @property
    def effective_base_url(self) -> str:
        from batchtui.core.providers.kinds import default_base_url

        url = self.base_url or default_base_url(self)
        if not url:
            raise ConfigError(f"profile {self.name!r}: base_url is required for kind {self.kind}")
        return url

    @property
    def key_env_names(self) -> tuple[str, ...]:
        if self.api_key_env:
            return (self.api_key_env,)
        from batchtui.core.providers.kinds import get_kind

        return get_kind(self.kind, profile_name=self.name).default_key_envs

    def resolve_api_key(self, *, required: bool = True) -> str | None:
        """The key from the environment variable, else from the (private) file."""
        for env_name in self.key_env_names:
            value = os.environ.get(env_name)
            if value:
                return value
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        if not required:
            return None
        names = " or ".join(self.key_env_names)
        where = f" in {self.source}" if self.source else ""
        empty = any(os.environ.get(name) == "" for name in self.key_env_names)
        raise ConfigError(
            f"profile {self.name!r}: environment variable {names} is "
            f"{'empty' if empty else 'not set'} "
            f"(export it, or set api_key_env in [profiles.{self.name}]{where})"
        )


def _strip_slash(value: str | None) -> str | None:
    return value.rstrip("/") if value else value


def _kind_fields() -> dict[str, Any]:
    """The settings the provider kinds add to a profile, as pydantic fields (all optional)."""
    from batchtui.core.providers.kinds import profile_settings

    fields: dict[str, Any] = {}
    for setting in profile_settings():
        annotation: Any = (
            list[setting.value_type] | None  # type: ignore[name-defined]
            if setting.repeat
            else setting.value_type | None
        )
        if setting.url:
            annotation = Annotated[annotation, AfterValidator(_strip_slash)]
        fields[setting.name] = (annotation, None)
    return fields


class Profile(create_model("KindSettings", __base__=ProfileBase, **_kind_fields())):  # type: ignore[misc]
    """One `[profiles.NAME]` table: the common settings and every kind's own (e.g. Vertex
    AI's project, location, bucket, credentials, storage_url), read from `providers.kinds`."""


PROFILE_FIELDS: tuple[str, ...] = (
    *COMMON_PROFILE_FIELDS,
    *(name for name in Profile.model_fields if name not in ProfileBase.model_fields),
)


class Settings(BaseModel):
    """The optional `[settings]` table."""

    model_config = ConfigDict(extra="forbid")

    default_profile: str | None = None
    registry_refresh_seconds: float = Field(default=2.0, gt=0)
    # TUI theme name (e.g. "ansi-dark" for 16-colour terminals); BATCHTUI_THEME overrides.
    theme: str | None = None
    # Where results are downloaded, one `batchtui-<id>/` folder a job (`~` and $VARS
    # expanded; HPC homes are small: e.g. "/scratch/$USER/batchtui"). None: the current dir.
    download_dir: str | None = None
    # The most the job registry keeps of one string a provider sent (characters: a model
    # name, an error message; the cut marked with `…`) and of one object it sent (bytes of
    # JSON: a job's errors, metadata or usage), so a hostile answer cannot bloat it.
    stored_string_limit: int = Field(default=4 * 1024, ge=64)
    stored_object_limit: int = Field(default=256 * 1024, ge=1024)


class NotifySettings(BaseModel):
    """The optional `[notify]` table: how `watch --notify` and the TUI announce ended jobs."""

    model_config = ConfigDict(extra="forbid")

    # Ring the terminal bell when a job ends.
    bell: bool = True
    # Desktop notification sequence: "osc9" (iTerm2, WezTerm, Windows Terminal, kitty, foot),
    # "osc777" (urxvt, Ghostty, VTE terminals) or "off".
    desktop: Literal["osc9", "osc777", "off"] = "osc9"
    # A shell command run once per job that ends, the job's JSON on stdin and
    # BATCHTUI_JOB_ID / BATCHTUI_STATUS in its environment. Runs only when config.toml is
    # writable by you alone.
    exec: str | None = None


class SubmitSettings(BaseModel):
    """The optional `[submit]` table."""

    model_config = ConfigDict(extra="forbid")

    # Warn when the same file (same sha256) went to the same profile this recently, naming
    # the earlier job (`submit` on stderr; the TUI asks). "off" never warns.
    duplicate_window: str = "7d"

    @field_validator("duplicate_window")
    @classmethod
    def _duration_or_off(cls, value: str) -> str:
        if value.strip().lower() != "off":
            from batchtui.core.durations import parse_duration

            try:
                parse_duration(value, setting="duplicate_window")
            except UsageError as exc:
                raise PydanticCustomError("duration", exc.message) from None
        return value

    def duplicate_seconds(self) -> float | None:
        """The window in seconds; None when the check is off."""
        from batchtui.core.durations import parse_duration

        if self.duplicate_window.strip().lower() == "off":
            return None
        return parse_duration(self.duplicate_window, setting="submit.duplicate_window")


class UiSettings(BaseModel):
    """The optional `[ui]` table: how the TUI lays out what it shows."""

    model_config = ConfigDict(extra="forbid")

    # The job list's columns (of name, id, status, progress, eta, elapsed, created, profile,
    # model, cost); None: all, those that fit the width. id and status always show.
    columns: list[str] | None = None

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: list[str] | None) -> list[str] | None:
        from batchtui.core.jobview import JOB_LIST_COLUMNS

        for name in columns or ():
            if name not in JOB_LIST_COLUMNS:
                raise ValueError(
                    f"unknown column {name!r} (columns: {', '.join(JOB_LIST_COLUMNS)})"
                )
        return columns


class Config(BaseModel):
    path: Path
    exists: bool = False
    profiles: dict[str, Profile] = Field(default_factory=dict)
    settings: Settings = Field(default_factory=Settings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    submit: SubmitSettings = Field(default_factory=SubmitSettings)
    # `[keys]`: TUI binding id -> key(s), checked against the bindings by the TUI.
    keys: dict[str, str] = Field(default_factory=dict)
    # `[prices."MODEL"]` overrides of the shipped batch prices (US dollars per 1M tokens).
    prices: dict[str, Price] = Field(default_factory=dict)
    # `context_window = N` in the same tables: overrides of the shipped context windows.
    context_windows: dict[str, int] = Field(default_factory=dict)
    # Problems that do not stop the file loading (a profile name from before the naming
    # rule, an unknown theme, a default profile that is gone): one line each, naming the
    # file and the setting, for the TUI's status line and `doctor`.
    warnings: list[str] = Field(default_factory=list)

    def price_table(self) -> PriceTable:
        return PriceTable(self.prices, self.context_windows)

    def meant_profile(self, given: str | None = None) -> str | None:
        """The profile a command means: `given` (checked), else `settings.default_profile`,
        else the only profile configured; None when that leaves a choice to make."""
        if given:
            self.profile(given)  # unknown profile: ConfigError naming the known ones
            return given
        if self.settings.default_profile:
            # A default naming no profile means nothing (`default_profile_problem` says why);
            # falling back to the only profile would hide that the setting is wrong.
            if self.settings.default_profile in self.profiles:
                return self.settings.default_profile
            return None
        if len(self.profiles) == 1:
            return next(iter(self.profiles))
        return None

    def default_profile_problem(self) -> str | None:
        """One line naming the setting and the file when `default_profile` names no profile."""
        name = self.settings.default_profile
        if not name or name in self.profiles:
            return None
        known = ", ".join(sorted(self.profiles)) or "none configured"
        hint = difflib.get_close_matches(name, list(self.profiles), n=1)
        did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
        return (
            f"{self.path}: settings.default_profile = {inert(name, single_line=True)!r} names "
            f"no profile in [profiles] (known: {known}){did_you_mean}"
        )

    def profile(self, name: str) -> Profile:
        try:
            return self.profiles[name]
        except KeyError:
            known = ", ".join(sorted(self.profiles)) or "none configured"
            hint = difflib.get_close_matches(name, list(self.profiles), n=1)
            did_you_mean = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"unknown profile {name!r} (known: {known}){did_you_mean} "
                f"- add one with `batchtui profile add {name} --kind openai`"
            ) from None


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    read = read_config_file(path)
    if read is None:
        return Config(path=path)
    data, text = read
    try:
        return parse_config(data, path)
    except SettingError as exc:
        line = line_of_setting(text, exc.setting)
        if line is None or not exc.message.startswith(f"{path}: "):
            raise
        rest = exc.message[len(f"{path}: ") :]
        raise SettingError(f"{path}, line {line}: {rest}", exc.setting) from None


class SettingError(ConfigError):
    """A config.toml error about one setting (its key path), so its line can be named."""

    def __init__(self, message: str, setting: tuple[str, ...]) -> None:
        super().__init__(message)
        self.setting = setting


_HEADER = re.compile(r"\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def _toml_keys(dotted: str) -> tuple[str, ...] | None:
    try:
        parsed = tomllib.loads(f"{dotted} = 0")
    except tomllib.TOMLDecodeError:
        return None
    keys: list[str] = []
    while isinstance(parsed, dict) and len(parsed) == 1:
        key, parsed = next(iter(parsed.items()))
        keys.append(key)
    return tuple(keys)


def line_of_setting(text: str, setting: tuple[str, ...]) -> int | None:
    """The 1-based line of `setting` (table names then a key) in config.toml `text`: the
    key's own line, else its table's header; None when neither can be told (dotted keys,
    inline tables)."""
    table: tuple[str, ...] = ()
    table_line = None
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _toml_keys(header.group(1)) or ()
            if table_line is None and table and table in (setting, setting[:-1]):
                table_line = number
            continue
        key = _KEY.match(line)
        if key and (*table, *(_toml_keys(key.group(1)) or ())) == setting:
            return number
    return table_line


TOP_LEVEL_TABLES = ("profiles", "settings", "notify", "ui", "submit", "keys", "prices")


def parse_config(data: dict[str, Any], path: Path) -> Config:
    """The config in `data` (a parsed config.toml); raises `ConfigError`, one line naming `path`."""
    try:
        return _parse_config(data, path)
    except SettingError as exc:
        raise SettingError(inert(exc.message, single_line=True), exc.setting) from None
    except ConfigError as exc:
        raise ConfigError(inert(exc.message, single_line=True)) from None
    except RecursionError:  # a value nested deeper than pydantic can walk
        raise ConfigError(f"{path}: a value is nested too deeply") from None


def _parse_config(data: dict[str, Any], path: Path) -> Config:
    unknown = set(data) - set(TOP_LEVEL_TABLES)
    if unknown:
        key = sorted(unknown)[0]
        raise SettingError(
            f"{path}: unknown table or key {key!r}{_suggest(key, TOP_LEVEL_TABLES)}", (key,)
        )
    profiles_data = data.get("profiles", {})
    if not isinstance(profiles_data, dict):
        raise ConfigError(f"{path}: `profiles` must be a table of [profiles.NAME] tables")
    profiles: dict[str, Profile] = {}
    for name, table in profiles_data.items():
        where = f"profiles.{name}"
        if not isinstance(table, dict):
            raise SettingError(f"{path}: [{where}] must be a table", ("profiles", name))
        for key in table:
            if key not in PROFILE_FIELDS:
                raise SettingError(
                    f"{path}: [{where}] unknown setting {key!r}{_suggest(key, PROFILE_FIELDS)}",
                    ("profiles", name, key),
                )
        try:
            profiles[name] = Profile(name=name, source=path, **table)
        except ValidationError as exc:
            raise SettingError(
                f"{path}: {_describe(exc, where)}", ("profiles", name, *_first_loc(exc))
            ) from None
        _check_kind(profiles[name], path)
    for profile in profiles.values():
        secret = "an api_key" if profile.api_key is not None else _secret_header_of(profile)
        if secret:
            _refuse_shared_key_file(path, secret)
            break
    try:
        settings = Settings(**data.get("settings", {}))
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise SettingError(
                f"{path}: {_describe(exc, 'settings')}", ("settings", *_first_loc(exc))
            ) from None
        raise ConfigError(f"{path}: {exc}") from None
    try:
        notify = NotifySettings(**data.get("notify", {}))
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise SettingError(
                f"{path}: {_describe(exc, 'notify')}", ("notify", *_first_loc(exc))
            ) from None
        raise ConfigError(f"{path}: {exc}") from None
    try:
        ui = UiSettings(**data.get("ui", {}))
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise SettingError(
                f"{path}: {_describe(exc, 'ui')}", ("ui", *_first_loc(exc))
            ) from None
        raise ConfigError(f"{path}: {exc}") from None
    try:
        submit = SubmitSettings(**data.get("submit", {}))
    except (ValidationError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise SettingError(
                f"{path}: {_describe(exc, 'submit')}", ("submit", *_first_loc(exc))
            ) from None
        raise ConfigError(f"{path}: {exc}") from None
    keys = _key_remaps(data.get("keys", {}), path)
    prices = prices_from_config(data, where=str(path))
    context_windows = context_windows_from_config(data, where=str(path))
    config = Config(
        path=path,
        exists=True,
        profiles=profiles,
        settings=settings,
        notify=notify,
        ui=ui,
        submit=submit,
        keys=keys,
        prices=prices,
        context_windows=context_windows,
    )
    config.warnings = _config_warnings(config, profiles_data)
    return config


def _config_warnings(config: Config, profiles_data: dict[str, Any]) -> list[str]:
    from batchtui.core.profile_rules import profile_problems
    from batchtui.core.themes import theme_problem

    path = config.path
    warnings = []
    for name, table in profiles_data.items():
        for problem in profile_problems({**table, "name": name}):
            shown = inert(name if len(name) <= 64 else name[:64] + "…", single_line=True)
            warnings.append(f"{path}: [profiles.{shown}] {problem}")
    problem = config.default_profile_problem()
    if problem:
        warnings.append(problem)
    if config.settings.theme:
        problem = theme_problem(config.settings.theme, setting=f"{path}: settings.theme")
        if problem:
            warnings.append(problem)
    return warnings


def _key_remaps(table: object, path: Path) -> dict[str, str]:
    if not isinstance(table, dict):
        raise SettingError(
            f'{path}: `keys` must be a table of BINDING_ID = "key" entries', ("keys",)
        )
    for binding_id, key in table.items():
        if not isinstance(key, str):
            raise SettingError(
                f'{path}: keys.{binding_id}: must be a string such as "ctrl+x"',
                ("keys", binding_id),
            )
    return dict(table)


def _check_kind(profile: Profile, path: Path) -> None:
    from batchtui.core.providers.kinds import PROVIDER_KINDS, provider_kinds

    if profile.kind not in PROVIDER_KINDS:
        raise SettingError(
            f"{path}: [profiles.{profile.name}] kind: unknown kind {profile.kind!r}"
            f"{_suggest(profile.kind, PROVIDER_KINDS)} (known: {', '.join(provider_kinds())})",
            ("profiles", profile.name, "kind"),
        )


def _secret_header_of(profile: Profile) -> str | None:
    for name in profile.headers:
        if is_secret_header(name):
            return f"a secret header {name!r} in [profiles.{profile.name}]"
    return None


def _refuse_shared_key_file(path: Path, secret: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigError(f"{path}: cannot check who may read it: {exc.strerror or exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path} holds {secret} but others can read it; refusing to use it: "
            f"run `chmod 600 {path}` (or move the key to an environment variable)"
        )


def _suggest(key: str, choices: Any) -> str:
    match = difflib.get_close_matches(key, list(choices), n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _first_loc(exc: ValidationError) -> tuple[str, ...]:
    # The setting's own key: pydantic adds the type tried for a union (`int`, `dict[str,int]`).
    loc = exc.errors()[0]["loc"]
    return (str(loc[0]),) if loc else ()


def _describe(exc: ValidationError, where: str) -> str:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    # Never echo the input value: it could be a key.
    return f"{where}.{field}: {first['msg']}"


# --- writing -----------------------------------------------------------------------------


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Add or replace `[profiles.NAME]`, keeping the rest of the file as written."""
    import tomlkit

    path = path or config_path()
    document = _read_document(path)
    profiles = document.setdefault("profiles", tomlkit.table(is_super_table=True))
    values = profile.model_dump(exclude={"name", "source"}, exclude_defaults=True)
    values["kind"] = profile.kind
    if profile.api_key is not None:
        values["api_key"] = profile.api_key.get_secret_value()
    wanted = {key: values[key] for key in PROFILE_FIELDS if values.get(key) not in (None, {}, [])}
    existing = profiles.get(profile.name)
    if existing is None:
        table = tomlkit.table()
        for key, value in wanted.items():
            table[key] = value
        profiles[profile.name] = table
    else:
        # Edit the table in place: the comments and layout around unchanged settings stay.
        for key in [key for key in existing if key not in wanted]:
            del existing[key]
        for key, value in wanted.items():
            if existing.get(key) != value:
                existing[key] = value
    _write_document(path, document)
    return path


def set_default_profile(name: str | None, path: Path | None = None) -> Path:
    """Write `default_profile` in `[settings]` (None: remove it), keeping the rest as written."""
    import tomlkit

    path = path or config_path()
    document = _read_document(path)
    settings = document.get("settings")
    if name is None:
        if settings is not None and "default_profile" in settings:
            del settings["default_profile"]
    else:
        if settings is None:
            settings = tomlkit.table()
            document["settings"] = settings
        settings["default_profile"] = name
    _write_document(path, document)
    return path


def remove_profile(name: str, path: Path | None = None) -> bool:
    path = path or config_path()
    if not path.exists():
        return False
    document = _read_document(path)
    profiles = document.get("profiles")
    if not profiles or name not in profiles:
        return False
    del profiles[name]
    # A default naming the removed profile would leave every command without a profile.
    settings = document.get("settings")
    if settings is not None and settings.get("default_profile") == name:
        del settings["default_profile"]
    _write_document(path, document)
    return True


def _read_document(path: Path) -> Any:
    import tomlkit

    try:
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return tomlkit.document()
    except Exception as exc:  # tomlkit raises its own ParseError subclasses
        raise ConfigError(f"{path}: invalid TOML, not changed: {exc}") from None


def _write_document(path: Path, document: Any) -> None:
    import tomlkit

    from batchtui.core.fsutil import atomic_write_text
    from batchtui.core.paths import ensure_private_dir

    ensure_private_dir(path.parent)
    atomic_write_text(path, tomlkit.dumps(document), mode=0o600)
