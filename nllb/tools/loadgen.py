"""A closed-loop HTTP/1.1 load generator: keep-alive connections on one selector, no threads.

When a batch answers 256 clients at once, each load-generator process must
read its share of the answers and send the next requests before the burst
is back in the engine, so its cost per request is part of the burst transit
the benchmarks measure. A thread per connection with http.client cost ~0.4 ms
of CPU per request on the development VM (header parsing through the email
package, GIL hand-offs between threads); one thread writing prebuilt
requests and reading replies as sockets become readable costs ~0.2 ms.

It speaks only what the benchmarks need from the service: POST with a
Content-Length body, answers with a Content-Length, keep-alive unless the
server says `Connection: close`.
"""

from __future__ import annotations

import collections
import dataclasses
import selectors
import socket
import time

_HEAD_END = b"\r\n\r\n"
# A reply not complete after this long counts as an error (what http.client's timeout did).
REPLY_TIMEOUT_SECONDS = 120.0


@dataclasses.dataclass
class Tally:
    """What one process saw: latency of every good answer, the server's own time where it said, and failures
    by kind ("status 503", "closed" without a reply, "timeout")."""

    latencies: list[float] = dataclasses.field(default_factory=list)
    server_ms: list[float] = dataclasses.field(default_factory=list)
    failures: collections.Counter = dataclasses.field(default_factory=collections.Counter)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())


def encode_post(path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
            .encode("latin-1") + body)


class _Connection:
    def __init__(self, port: int):
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.started = 0.0

    def send(self, request: bytes) -> None:
        self.buffer = b""
        self.started = time.perf_counter()
        self.sock.sendall(request)

    def read(self) -> bytes:
        """What arrived, added to the buffer; b"" once the server closed the connection (or it failed)."""
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            return b""
        self.buffer += chunk
        return chunk

    def answer(self) -> tuple[int, dict[bytes, bytes]] | None:
        """Status and headers (names in lower case) once the whole reply is in; None while it is not."""
        end = self.buffer.find(_HEAD_END)
        if end < 0:
            return None
        lines = self.buffer[:end].split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if len(self.buffer) < end + 4 + int(headers.get(b"content-length", b"0")):
            return None
        return int(lines[0].split(b" ", 2)[1]), headers


def closed_loop(port: int, connections: int, duration: float, requests: list[bytes]) -> Tally:
    """`connections` keep-alive connections, each sending its next request as soon as one is answered."""
    tally = Tally()
    stop_at = time.monotonic() + duration
    selector = selectors.DefaultSelector()
    sent = 0

    def start(conn: _Connection) -> None:
        nonlocal sent
        conn.send(requests[sent % len(requests)])
        sent += 1
        selector.register(conn.sock, selectors.EVENT_READ, conn)

    for _ in range(connections):
        start(_Connection(port))
    while selector.get_map():
        ready = selector.select(timeout=1.0)
        if not ready:  # nothing moved for a second: give up on replies that are overdue
            overdue = time.perf_counter() - REPLY_TIMEOUT_SECONDS
            for key in list(selector.get_map().values()):
                if key.data.started < overdue:
                    selector.unregister(key.fileobj)
                    key.data.sock.close()
                    tally.failures["timeout"] += 1
        for key, _ in ready:
            conn: _Connection = key.data
            chunk = conn.read()
            reply = conn.answer() if chunk else None
            if chunk and reply is None:
                continue  # more of this reply to come
            selector.unregister(conn.sock)
            if reply is not None and reply[0] == 200:
                tally.latencies.append(time.perf_counter() - conn.started)
                if took := reply[1].get(b"x-response-time"):
                    tally.server_ms.append(float(took.removesuffix(b"ms")))
            else:
                tally.failures["closed" if reply is None else f"status {reply[0]}"] += 1
            reusable = reply is not None and reply[1].get(b"connection") != b"close"
            if not reusable or time.monotonic() >= stop_at:
                conn.sock.close()
            if time.monotonic() < stop_at:
                start(conn if reusable else _Connection(port))
    return tally
