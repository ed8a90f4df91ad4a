"""Running the SLURM client commands (sbatch, squeue, scontrol, scancel, sacct) from asyncio."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass

from batchtui.core.errors import ProviderError, ProviderUnreachable

# slurmctld answers in well under a second; a busy one may take a while, a dead one never.
COMMAND_TIMEOUT = 60.0
CLIENT_COMMANDS = ("sbatch", "squeue", "scontrol", "scancel")


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str

    @property
    def message(self) -> str:
        """The command's own complaint, on one line."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return text[-1].strip() if text else f"exit code {self.returncode}"


def missing_commands() -> list[str]:
    """The SLURM client commands this machine lacks (batchtui runs on a login node)."""
    return [name for name in CLIENT_COMMANDS if shutil.which(name) is None]


async def run_command(
    *args: str, label: str, timeout: float = COMMAND_TIMEOUT, env: dict[str, str] | None = None
) -> CommandResult:
    """Run a client command; a missing command or a hung controller is a ProviderError."""
    name = args[0]
    if shutil.which(name) is None:
        raise ProviderError(
            f"{label}: `{name}` is not on PATH (run batchtui on a login node of the cluster)",
            provider=label,
            call=name,
        )
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ProviderUnreachable(
            f"{label}: `{name}` did not answer within {timeout:.0f}s (is slurmctld up?)",
            provider=label,
            call=name,
            retryable=True,
        ) from None
    except asyncio.CancelledError:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return CommandResult(
        process.returncode or 0,
        stdout.decode("utf-8", errors="replace"),
        stderr.decode("utf-8", errors="replace"),
    )


async def checked(*args: str, label: str) -> str:
    """`run_command`, with a non-zero exit a ProviderError naming the command."""
    result = await run_command(*args, label=label)
    if result.returncode != 0:
        raise ProviderError(
            f"{label}: `{' '.join(args[:2])}` failed: {result.message}",
            provider=label,
            call=args[0],
        )
    return result.stdout
