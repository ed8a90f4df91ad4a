"""Google's fixed hostnames served by the simulator, inside a gateway process only.

A gateway in front of Vertex AI talks to `https://<region>-aiplatform.googleapis.com`,
`https://storage.googleapis.com` and `https://oauth2.googleapis.com`: names it does not let
us configure. The tests point them at a `batchtui simulate` instance (plain HTTP) without
touching the machine's hosts file or the product:

- `TestCA`: a throwaway certificate authority (made with `cryptography`) and one leaf
  certificate for every Google name a gateway uses (`GOOGLE_HOSTNAMES`, and the wildcard).
- `TlsFront`: a TLS-terminating relay on 127.0.0.1 and a free port, which passes the
  decrypted bytes on to the simulator's port unchanged (the `Host` header included).
- `python_preload_env`: the environment for a Python gateway (LiteLLM): a `sitecustomize`
  on its PYTHONPATH (see `preload/sitecustomize.py`) resolves the Google names to the front
  (port 443) or the simulator itself (port 80), and records every connection attempt to an
  address outside 127.0.0.0/8 (refusing it); `SSL_CERT_FILE`/`REQUESTS_CA_BUNDLE` make the
  gateway trust the test CA. `outside_connections(log)` reads what was recorded: tests
  assert it is empty.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PRELOAD_DIR = Path(__file__).parent / "preload"
# The names gateways reach Google by; regional Vertex hosts are covered by the wildcard too.
GOOGLE_HOSTNAMES = (
    "aiplatform.googleapis.com",
    "us-central1-aiplatform.googleapis.com",
    "europe-west4-aiplatform.googleapis.com",
    "storage.googleapis.com",
    "oauth2.googleapis.com",
    "www.googleapis.com",
    "iamcredentials.googleapis.com",
)
GOOGLE_PATTERNS = ("*.googleapis.com", "googleapis.com")
RELAY_CHUNK = 64 * 1024


@dataclass(frozen=True)
class TestCA:
    """PEM files of a test CA and of a leaf certificate it signed for `hostnames`."""

    __test__ = False  # not a pytest test class

    ca_file: Path
    cert_file: Path
    key_file: Path

    @classmethod
    def create(
        cls,
        directory: Path,
        hostnames: tuple[str, ...] = GOOGLE_HOSTNAMES,
        patterns: tuple[str, ...] = GOOGLE_PATTERNS,
    ) -> TestCA:
        directory.mkdir(parents=True, exist_ok=True)
        now = datetime.datetime.now(datetime.UTC)
        valid_from, valid_to = now - datetime.timedelta(days=1), now + datetime.timedelta(days=7)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "batchtui test CA")])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(ca_name)
            .issuer_name(ca_name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_to)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        leaf_key = ec.generate_private_key(ec.SECP256R1())
        names = [*dict.fromkeys((*hostnames, *patterns))]
        leaf_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_name)
            .public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(valid_from)
            .not_valid_after(valid_to)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(name) for name in names]),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                critical=False,
            )
            .sign(ca_key, hashes.SHA256())
        )
        ca_file = directory / "test-ca.pem"
        cert_file = directory / "google-leaf.pem"
        key_file = directory / "google-leaf.key"
        ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        cert_file.write_bytes(leaf_cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            leaf_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cls(ca_file, cert_file, key_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


class TlsFront:
    """TLS on 127.0.0.1:`port` (a free one), relayed as plain bytes to 127.0.0.1:`upstream_port`."""

    def __init__(self, ca: TestCA, upstream_port: int) -> None:
        self.ca = ca
        self.upstream_port = upstream_port
        self.port = 0
        self.connections = 0  # accepted TLS connections, for tests that want to see traffic
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tls-front", daemon=True)

    def start(self) -> TlsFront:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the TLS front did not start within 10 s")
        if self._error is not None:
            raise RuntimeError(f"the TLS front did not start: {self._error}")
        return self

    def stop(self) -> None:
        if self._stopped is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(10)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()
        finally:
            self._loop.close()

    async def _serve(self) -> None:
        self._stopped = asyncio.Event()
        server = await asyncio.start_server(
            self._relay, "127.0.0.1", 0, ssl=self.ca.server_context()
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        async with server:
            await self._stopped.wait()
            server.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(RELAY_CHUNK):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
        pass
    finally:
        with suppress(OSError, RuntimeError):
            writer.close()


def python_preload_env(
    ca: TestCA, front: TlsFront, connections_log: Path, *, hostnames: tuple[str, ...] = ()
) -> dict[str, str]:
    """Environment entries that redirect a Python process's Google traffic to the front.

    Merge them into the gateway's environment (PYTHONPATH is replaced: the gateway has a
    venv of its own). Names ending in `.googleapis.com`, and `hostnames`, resolve to
    127.0.0.1: port 443 to the front, port 80 to the simulator's plain port.
    """
    connections_log.parent.mkdir(parents=True, exist_ok=True)
    connections_log.touch()
    redirect = {
        "suffixes": [".googleapis.com"],
        "names": [*GOOGLE_HOSTNAMES, *hostnames],
        "ports": {"443": front.port, "80": front.upstream_port},
    }
    return {
        "PYTHONPATH": str(PRELOAD_DIR),
        "BATCHTUI_TEST_REDIRECT": json.dumps(redirect),
        "BATCHTUI_TEST_CONNECTIONS_LOG": str(connections_log),
        "SSL_CERT_FILE": str(ca.ca_file),
        "REQUESTS_CA_BUNDLE": str(ca.ca_file),
        "CURL_CA_BUNDLE": str(ca.ca_file),
    }


def outside_connections(connections_log: Path) -> list[str]:
    """Connection attempts the preload saw to addresses outside 127.0.0.0/8, one per line."""
    if not connections_log.exists():
        return []
    return [line for line in connections_log.read_text().splitlines() if line.strip()]


@contextmanager
def google_front(directory: Path, simulator_port: int) -> Iterator[tuple[TestCA, TlsFront]]:
    """A test CA in `directory` and a started front relaying to the simulator's port."""
    ca = TestCA.create(directory)
    front = TlsFront(ca, simulator_port).start()
    try:
        yield ca, front
    finally:
        front.stop()
