"""A TCP relay between a client and the simulator that can slow the answers down.

A download through it takes as long as the test wants (`rate` bytes a second, changed at
any time), so a real `batchtui download` can be killed half-way. It forwards bytes as
they are, without looking at HTTP.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

CHUNK = 16 << 10


class Relay:
    def __init__(self, target_port: int, *, rate: float | None = None) -> None:
        self.target_port = target_port
        self.rate = rate  # bytes a second from the server to the client; None: full speed
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._closed = False
        self._count_lock = threading.Lock()
        self.to_client = 0  # bytes forwarded from the server to the client, headers included
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._closed:
                client.close()
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, slowed: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(CHUNK):
                rate = self.rate
                if slowed and rate:
                    time.sleep(len(data) / rate)
                sink.sendall(data)
                if slowed:
                    with self._count_lock:
                        self.to_client += len(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a pipe blocked on it: both ends see EOF
            with contextlib.suppress(OSError):
                sock.close()
