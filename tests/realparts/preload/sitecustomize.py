"""Loaded by a gateway's Python at start (it is on the gateway's PYTHONPATH, nowhere else).

Two jobs, configured from the environment by `tls_front.python_preload_env`:

- `BATCHTUI_TEST_REDIRECT` (JSON: `suffixes`, `names`, `ports`): `socket.getaddrinfo` answers
  127.0.0.1 and the mapped port for those hostnames (Google's fixed names), so the gateway
  reaches the test's TLS front instead of the internet.
- `BATCHTUI_TEST_CONNECTIONS_LOG`: every connection attempt to an address outside
  127.0.0.0/8 (and ::1) is appended to that file and refused, so a test can assert that the
  gateway went nowhere else.

Only the standard library is used: this runs before the gateway imports anything.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import threading

_REDIRECT = json.loads(os.environ.get("BATCHTUI_TEST_REDIRECT") or "{}")
_SUFFIXES = tuple(str(suffix).lower() for suffix in _REDIRECT.get("suffixes", ()))
_NAMES = frozenset(str(name).lower() for name in _REDIRECT.get("names", ()))
_PORTS = {int(port): int(target) for port, target in _REDIRECT.get("ports", {}).items()}
_LOG = os.environ.get("BATCHTUI_TEST_CONNECTIONS_LOG")
_LOG_LOCK = threading.Lock()
_LOOPBACK = ipaddress.ip_network("127.0.0.0/8")

_original_getaddrinfo = socket.getaddrinfo
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _redirected(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.lower().rstrip(".")
    return name in _NAMES or name.endswith(_SUFFIXES)


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    if _redirected(host):
        number = int(port) if port not in (None, "") else 443
        if isinstance(port, str) and not port.isdigit():
            number = socket.getservbyname(port)
        target = _PORTS.get(number, number)
        socktype = type or socket.SOCK_STREAM
        return [(socket.AF_INET, socktype, proto or 6, "", ("127.0.0.1", target))]
    return _original_getaddrinfo(host, port, family, type, proto, flags)


def _is_local(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like
    try:
        ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
    except ValueError:
        return False  # a name given straight to connect(): not resolved by us, so not local
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip == ipaddress.IPv6Address("::1"):
            return True
    return ip in _LOOPBACK


def _record(sock: socket.socket, address: object) -> None:
    if _LOG is None:
        return
    line = json.dumps({"pid": os.getpid(), "family": int(sock.family), "address": repr(address)})
    with _LOG_LOCK, open(_LOG, "a") as log:
        log.write(line + "\n")


def _connect(self: socket.socket, address: object) -> None:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        _record(self, address)
        raise OSError(errno.ENETUNREACH, f"test preload: {address!r} is outside 127.0.0.0/8")
    return _original_connect(self, address)


def _connect_ex(self: socket.socket, address: object) -> int:
    if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
        _record(self, address)
        return errno.ENETUNREACH
    return _original_connect_ex(self, address)


socket.getaddrinfo = _getaddrinfo
socket.socket.connect = _connect  # type: ignore[method-assign]
socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
