"""`batchtui doctor`: what matters over SSH, in one screen.

The terminal (TERM, colours, locale, the theme the TUI will pick), tmux's clipboard
settings for OSC 52 copies, the proxy and certificate variables, and where batchtui keeps
its config, registry, logs and downloads (and whether the registry sits on NFS). It reads
and reports; it changes nothing and never prints a key. It exits 2 (a config error) when
config.toml cannot be read or used, after naming the file and line, and when a `[keys]`
entry cannot be applied (each named by file, table and entry; checked without Textual).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from batchtui import __version__
from batchtui.cli.terminal import Glyphs, glyphs_for
from batchtui.core.terminal_text import inert, supports_unicode

if TYPE_CHECKING:
    from batchtui.core.config import Config
    from batchtui.core.errors import ConfigError

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY")
NETWORK_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "lustre", "gpfs", "beegfs", "fuse.sshfs")


@dataclass
class Finding:
    section: str
    name: str
    value: str
    advice: str = ""  # non-empty when something is worth changing


def colour_system(environ: Mapping[str, str]) -> str:
    """What Textual will use: its override, NO_COLOR, else COLORTERM and TERM."""
    forced = environ.get("TEXTUAL_COLOR_SYSTEM", "").lower()
    if forced and forced != "auto":
        return forced
    if "NO_COLOR" in environ:
        return "none (NO_COLOR is set)"
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return "truecolor"
    term = environ.get("TERM", "").lower()
    if term in ("", "dumb", "unknown"):
        return "none"
    if "256" in term or "direct" in term:
        return "256"
    return "16 (standard)"


def redact_url(value: str) -> str:
    """A proxy URL without its password."""
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", value)


def terminal_findings(
    environ: Mapping[str, str], configured_theme: str | None = None
) -> list[Finding]:
    from batchtui.core.themes import ANSI_THEME, choose_theme

    term = environ.get("TERM", "")
    colours = colour_system(environ)
    theme = choose_theme(environ, configured_theme)
    palette = " (terminal palette)" if theme == ANSI_THEME else ""
    findings = [
        Finding("terminal", "TERM", term or "(not set)"),
        Finding("terminal", "COLORTERM", environ.get("COLORTERM", "") or "(not set)"),
        Finding(
            "terminal",
            "colours",
            colours,
            "16 colours only: the TUI uses the ANSI theme; in tmux, "
            "`set -g default-terminal tmux-256color` gives 256"
            if colours.startswith("16")
            else "",
        ),
        Finding("terminal", "TUI theme", theme + palette),
        Finding(
            "terminal",
            "UTF-8 glyphs",
            "yes" if supports_unicode() else "no: ASCII status marks",
            "" if supports_unicode() else "export LANG=C.UTF-8 (or en_US.UTF-8) for glyphs",
        ),
    ]
    ssh = environ.get("SSH_CONNECTION", "").split()
    findings.append(Finding("terminal", "SSH", f"from {ssh[0]}" if ssh else "not over SSH"))
    if environ.get("TEXTUAL_FPS"):
        findings.append(Finding("terminal", "TEXTUAL_FPS", environ["TEXTUAL_FPS"]))
    elif ssh:
        findings.append(
            Finding("terminal", "TEXTUAL_FPS", "60 (default)", "on a slow link: TEXTUAL_FPS=15")
        )
    return findings


def tmux_findings(environ: Mapping[str, str]) -> list[Finding]:
    if not environ.get("TMUX"):
        return [Finding("tmux", "tmux", "not inside tmux")]
    findings = [Finding("tmux", "tmux", "inside tmux")]
    wanted = {"set-clipboard": ("on", "external"), "allow-passthrough": ("on", "all")}
    for option, good in wanted.items():
        value = _tmux_option(option)
        advice = ""
        if value is not None and value not in good:
            purpose = (
                "for `c` (copy id) and job-end notifications (--notify) to reach your terminal"
                if option == "allow-passthrough"
                else "for `c` (copy id) to reach your clipboard"
            )
            advice = f"{purpose}: tmux set -g {option} on"
        findings.append(Finding("tmux", option, value or "(unknown)", advice))
    return findings


def _tmux_option(option: str) -> str | None:
    tmux = shutil.which("tmux")
    if tmux is None:
        return None
    try:
        done = subprocess.run(
            [tmux, "show-options", "-gv", option], capture_output=True, text=True, timeout=2
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def network_findings(environ: Mapping[str, str]) -> list[Finding]:
    findings = []
    for name in PROXY_VARIABLES:
        value = environ.get(name) or environ.get(name.lower())
        findings.append(Finding("network", name, redact_url(value) if value else "(not set)"))
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        value = environ.get(name)
        if not value:
            findings.append(Finding("network", name, "(not set: certifi's public CAs)"))
        elif not Path(value).exists():
            findings.append(Finding("network", name, value, f"{value} does not exist"))
        else:
            findings.append(Finding("network", name, value))
    return findings


def filesystem_of(path: Path) -> str | None:
    """The filesystem type of the mount holding `path` (Linux), or None."""
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    resolved = str(path.resolve())
    best, kind = "", None
    for line in mounts:
        parts = line.split()
        if len(parts) >= 3:
            mount_point = parts[1].replace("\\040", " ")
            inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
            if inside and len(mount_point) > len(best):
                best, kind = mount_point, parts[2]
    return kind


def path_findings() -> list[Finding]:
    from batchtui.core.paths import config_path, data_dir, registry_path, state_dir

    findings = []
    config = config_path()
    findings.append(Finding("paths", "config", _describe_path(config)))
    data = data_dir()
    registry = registry_path()
    kind = filesystem_of(data if data.exists() else data.parent) or "unknown"
    advice = ""
    if kind in NETWORK_FILESYSTEMS:
        advice = (
            f"the registry is on {kind}: safe while the server's file locks work "
            "(see the README's NFS note); else set BATCHTUI_DATA_DIR to a local disk"
        )
    findings.append(Finding("paths", "registry", f"{_describe_path(registry)}, on {kind}", advice))
    findings.append(Finding("paths", "logs", _describe_path(state_dir())))
    return findings


def _describe_path(path: Path) -> str:
    if not path.exists():
        return f"{path} (not created yet)"
    mode = path.stat().st_mode & 0o777
    return f"{path} ({oct(mode)[2:]})"


def profile_findings(config: Config | None, error: ConfigError | None) -> list[Finding]:
    if config is None:
        return [Finding("profiles", "profiles", "unknown: config.toml is unreadable")]
    if not config.profiles:
        return [Finding("profiles", "profiles", "none", "batchtui profile add NAME --kind openai")]
    from batchtui.core.providers.kinds import describe_credentials

    findings = []
    for profile in config.profiles.values():
        names = profile.key_env_names
        found = next((name for name in names if os.environ.get(name)), None)
        credentials = describe_credentials(profile)
        if credentials is not None:
            key = credentials
        elif found:
            key = f"key in ${found}"
        elif profile.api_key is not None:
            key = "key in the config file"
        else:
            key = "no key: " + " or ".join(f"${name}" for name in names) + " unset"
        findings.append(Finding("profiles", profile.name, f"{profile.kind}, {key}"))
    return findings


def config_findings(config: Config | None, error: ConfigError | None) -> list[Finding]:
    """The config file's problems: the one that stops it loading, or each warning."""
    if config is None:
        return [Finding("config", "config.toml", "unreadable", str(error))]
    return [Finding("config", "warning", "config.toml", warning) for warning in config.warnings]


def keys_findings(config: Config | None) -> list[Finding]:
    """Each `[keys]` entry the TUI would skip or that takes another binding's key, checked
    against the bindings written down in `core.binding_table` (no Textual on this path)."""
    if config is None or not config.keys:
        return []
    from batchtui.core.keymap_check import check_keymap, table_bindings

    _good, problems = check_keymap(config.keys, table_bindings(), where=str(config.path))
    return [Finding("config", "[keys]", "config.toml", problem) for problem in problems]


def _usable_theme(config: Config | None) -> str | None:
    from batchtui.core.themes import KNOWN_THEMES

    theme = config.settings.theme if config else None
    return theme if theme in KNOWN_THEMES else None  # the TUI ignores an unknown one too


def load() -> tuple[Config | None, ConfigError | None]:
    from batchtui.core.config import load_config
    from batchtui.core.errors import ConfigError

    try:
        return load_config(), None
    except ConfigError as exc:
        return None, exc


def collect(
    environ: Mapping[str, str] | None = None,
    loaded: tuple[Config | None, ConfigError | None] | None = None,
) -> list[Finding]:
    env = os.environ if environ is None else environ
    config, error = loaded or load()
    return [
        Finding("batchtui", "version", f"{__version__} on Python {sys.version.split()[0]}"),
        *terminal_findings(env, _usable_theme(config)),
        *tmux_findings(env),
        *network_findings(env),
        *path_findings(),
        *config_findings(config, error),
        *keys_findings(config),
        *profile_findings(config, error),
    ]


def run(args: argparse.Namespace) -> int:
    """Every finding, then the config error's code (2) when config.toml cannot be used: every
    other command would refuse it too, so a script's `batchtui doctor` check must fail."""
    from batchtui.core.errors import ConfigError

    loaded = load()
    findings = collect(loaded=loaded)
    error = loaded[1]
    status = error.exit_code if error is not None else 0
    if error is not None:
        print(f"batchtui: error: {inert(str(error), single_line=True)}", file=sys.stderr)
    bad_keys = sum(finding.name == "[keys]" for finding in findings)
    if bad_keys and loaded[0] is not None:
        status = ConfigError.exit_code
        print(
            f"batchtui: error: {inert(str(loaded[0].path), single_line=True)}: {bad_keys} "
            "[keys] entr" + ("y" if bad_keys == 1 else "ies") + " the TUI cannot apply "
            "(each named under config)",
            file=sys.stderr,
        )
    if args.json:
        print(json.dumps([asdict(finding) for finding in findings], indent=2))
        return status
    mark = {Glyphs.UNICODE: "⚠", Glyphs.ASCII: "!", Glyphs.NONE: "advice:"}[glyphs_for()]
    section = None
    for finding in findings:
        if finding.section != section:
            section = finding.section
            print(f"{section}")
        print(f"  {finding.name:<18} {inert(finding.value, single_line=True)}")
        if finding.advice:
            print(f"  {'':<18} {mark} {inert(finding.advice, single_line=True)}")
    return status
