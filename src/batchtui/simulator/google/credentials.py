"""Service accounts the token endpoint trusts, and the simulator's own one.

A service-account key file is Google's JSON (`type`, `project_id`, `private_key_id`,
`private_key`, `client_email`, `token_uri`...). The token endpoint verifies a JWT from
`client_email` against the public half of `private_key`.

The simulator makes its own account on first use (`own_account_file`) in
`<data dir>/google/auth/service-account.json`, with `token_uri` pointing at this simulator, so
`google-auth` (or any client) can use it as it is. The key survives restarts; `token_uri` is
rewritten when the port changes. RSA key generation takes a noticeable fraction of a second,
so it happens only when asked for (`batchtui simulate` does at start, before printing its URL;
an in-thread simulator when `SimulatorHandle.google_credentials()` is called).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from batchtui.core.fsutil import atomic_write_bytes
from batchtui.core.paths import ensure_private_dir

OWN_ACCOUNT_FILE = "service-account.json"
OWN_ACCOUNT_NAME = "batchtui-sim"


class CredentialsFileError(ValueError):
    """A --gcp-service-account file that is not a usable service-account key."""


@dataclass(frozen=True)
class ServiceAccount:
    email: str
    key_id: str
    public_key: rsa.RSAPublicKey


def read_service_account(path: Path) -> ServiceAccount:
    """The account of a service-account key file; CredentialsFileError naming the problem."""
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CredentialsFileError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(info, dict) or not all(
        isinstance(info.get(field), str) for field in ("client_email", "private_key")
    ):
        raise CredentialsFileError(f"{path}: needs 'client_email' and 'private_key' strings")
    try:
        private_key = serialization.load_pem_private_key(info["private_key"].encode(), None)
    except (ValueError, TypeError) as error:
        raise CredentialsFileError(f"{path}: 'private_key' is not a PEM key ({error})") from None
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise CredentialsFileError(f"{path}: 'private_key' must be an RSA key")
    return ServiceAccount(
        info["client_email"], str(info.get("private_key_id", "")), private_key.public_key()
    )


def service_account_info(
    private_key: rsa.RSAPrivateKey, *, email: str, key_id: str, project: str, token_uri: str
) -> dict[str, Any]:
    """A key file's JSON, as the Cloud console writes it."""
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }


class AccountRegistry:
    """The accounts the token endpoint accepts: `--gcp-service-account` files and our own."""

    def __init__(self, directory: Path, project: str, extra_files: tuple[Path, ...]) -> None:
        self.directory = directory
        self.project = project
        self._lock = threading.Lock()
        self._accounts = {
            account.email: account for account in map(read_service_account, extra_files)
        }

    @property
    def own_path(self) -> Path:
        return self.directory / OWN_ACCOUNT_FILE

    def own_account_file(self, token_uri: str) -> Path:
        """The simulator's own key file (made on first call), naming `token_uri`."""
        with self._lock:
            path = self.own_path
            info: dict[str, Any] | None = None
            if path.is_file():
                info = json.loads(path.read_text())
                if info.get("token_uri") == token_uri:
                    return path
                info["token_uri"] = token_uri
            else:
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                info = service_account_info(
                    key,
                    email=f"{OWN_ACCOUNT_NAME}@{self.project}.iam.gserviceaccount.com",
                    key_id=key.public_key().public_numbers().n.to_bytes(256, "big")[:20].hex(),
                    project=self.project,
                    token_uri=token_uri,
                )
            ensure_private_dir(self.directory)
            atomic_write_bytes(path, json.dumps(info, indent=2).encode(), mode=0o600)
            return path

    def find(self, email: str) -> ServiceAccount | None:
        with self._lock:
            account = self._accounts.get(email)
            if account is None and self.own_path.is_file():
                own = read_service_account(self.own_path)
                self._accounts[own.email] = own
                account = self._accounts.get(email)
            return account
