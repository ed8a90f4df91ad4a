"""Errors that carry their own one-line message and CLI exit code.

Every message names what it is about (a file and line, a setting, a provider call),
and none ever contains an API key: build messages from redacted values only.
"""

from __future__ import annotations


class BatchtuiError(Exception):
    """Base class: `str(error)` is the one line shown to the user."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(BatchtuiError):
    """Bad arguments: exit code 2."""

    exit_code = 2


class ConfigError(BatchtuiError):
    """The config file or a profile is wrong or incomplete (names the setting): exit 2."""

    exit_code = 2


class JobNotFound(UsageError):
    """No job in the registry matches the given local or remote id."""


class RegistryError(BatchtuiError):
    """The registry could not be read or written (names the file)."""


class InputFileError(BatchtuiError):
    """A local input file is unreadable or invalid (names the file and line)."""


class ProviderError(BatchtuiError):
    """A provider answered with an error, or with an answer of the wrong shape.

    `call` names the operation (``create batch``, ``GET /batches/{id}``...).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        call: str = "",
        status_code: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.call = call
        self.status_code = status_code
        self.code = code
        self.retryable = retryable
        # Seconds the server asked us to wait (Retry-After), when it said.
        self.retry_after = retry_after


class AuthenticationError(ProviderError):
    """401/403: the key is missing, wrong or not allowed."""


class NotFoundError(ProviderError):
    """404: the batch or file does not exist (or no longer exists)."""


class ProviderUnreachable(ProviderError):
    """Connection refused, DNS failure, timeout or a dropped connection."""


class AmbiguousSubmitError(ProviderError):
    """Create failed in a way that may or may not have created the batch.

    The job stays in `submitting`; reconciliation looks for its tag before any retry.
    """
