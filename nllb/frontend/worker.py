"""The gunicorn worker class: gthread that never lets a client pin a thread, nor queues what it cannot serve.

Slow clients: gthread hands a connection to a thread as soon as its first
byte arrives, and the thread then blocks reading the rest of the request
head; 64 clients sending their headers a byte a second held every thread,
and nobody else was answered. Here the main loop collects each request head
without blocking, alongside gthread's other connections, and only a complete
head goes to a thread; a head not complete within `HEADER_TIMEOUT_SECONDS` is
answered 408.

Overload: gthread's thread pool has an unbounded queue: when every thread
waits on slow work, requests wait there for minutes, past every deadline, and
are answered after their clients have left. Here, once the request that has
waited longest for a thread has waited `THREAD_WAIT_SECONDS`, the queue is
not draining, and new requests are answered 503 `overloaded` at once; a
burst of quick requests still queues and passes. The app learns when each
request arrived (`environ["nllb.arrived"]`), so its deadline runs from then,
not from when a thread got to it.

Both refusals are written by the main loop, which then lingers on the
connection — draining what the client still sends until it closes, so no
reset destroys the answer — without holding any thread.

Keep-alive: a thread that has answered a request waits up to 10 ms for the
same connection's next request and, once its head has arrived whole, serves
it without going back through the main loop — but only while no request
waits for a thread and another thread is free, so a waiting thread never
keeps a request from being served. A head that is not whole goes back to the
main loop like any other.

Balance: a worker holding more connections than the mean stops accepting
(nllb.ipc.connections), and looks again every 10 ms. So that
a stuck worker below the mean cannot leave new clients waiting, a worker that
has held back for `_BALANCE_PATIENCE_SECONDS` takes one connection anyway.
"""

from __future__ import annotations

import collections
import errno
import select
import selectors
import socket
import threading
import time
import uuid
from functools import partial

import ujson
from gunicorn import util
from gunicorn.workers import gthread

from nllb.ipc import ConnectionBoard

_HEAD_END = b"\r\n\r\n"
_LINGER_SECONDS = 2.0
_BALANCE_RECHECK_SECONDS = 0.01
_BALANCE_PATIENCE_SECONDS = 0.1
# How long a thread that has just answered a keep-alive request waits for the
# next request on that connection before handing it back to the main loop.
# A client in a loop (a batch's answered cohort, a cached-request client) is
# back within a few milliseconds; caught here, its request skips the main
# loop's hand-offs — readable event, recv, thread-pool queue, wake-up — and
# the thread's GIL contention with the main loop.
_NEXT_REQUEST_WAIT_MS = 10


def error_response(status: str, code: str, message: str, retry_after: int | None = None) -> bytes:
    """A complete HTTP response in nllb's JSON error shape, for answers given before the app sees a request."""
    body = ujson.dumps({"error": code, "message": message, "request_id": uuid.uuid4().hex}).encode()
    retry = f"Retry-After: {retry_after}\r\n" if retry_after is not None else ""
    head = (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{retry}"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


_OVERLOADED = error_response("503 Service Unavailable", "overloaded",
                             "Too many requests wait for this server; retry shortly.", retry_after=1)
_HEAD_TOO_SLOW = error_response("408 Request Timeout", "request_timeout", "The request head did not arrive in time.")


class ThreadWorker(gthread.ThreadWorker):
    # After the fork, nllb.server puts here the board of connections per worker and this worker's slot on it.
    connections: tuple[ConnectionBoard, int] | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from nllb.config import Settings

        settings = Settings.from_env()
        self.patience = settings.thread_wait_seconds
        self.header_timeout = settings.header_timeout_seconds
        self.max_head = self.cfg.limit_request_line + self.cfg.limit_request_fields * (
            self.cfg.limit_request_field_size + 2) + len(_HEAD_END)
        # Connections in the main loop's care, each oldest first: heads still
        # arriving, and refused connections lingering until their client closes.
        self._heads: collections.deque = collections.deque()
        self._lingering: collections.deque = collections.deque()
        # Arrival times of requests handed to the thread pool and not yet started (its queue is FIFO).
        self._waiting: collections.deque[float] = collections.deque()
        self._waiting_lock = threading.Lock()
        self._busy_threads = 0
        self._arrival = threading.local()
        self._holding_back_since: float | None = None

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app, arrival = self.wsgi, self._arrival

        def stamped(environ, start_response):
            environ["nllb.arrived"] = arrival.when
            return app(environ, start_response)

        self.wsgi = stamped

    # Main thread: balance, heads, dispatch, refusals.

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled and self._within_share())

    def accept(self, listener) -> None:
        super().accept(listener)
        self.set_accept_enabled(self.nr_conns < self.worker_connections)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        if self.connections is not None:
            board, slot = self.connections
            board.publish(slot, self.nr_conns)
        if self._holding_back_since is not None:
            timeout = min(timeout, _BALANCE_RECHECK_SECONDS)  # gthread's loop calls set_accept_enabled again
        super().wait_for_and_dispatch_events(timeout)

    def _within_share(self) -> bool:
        """Whether to accept: at or below the mean of connections per worker, or held back too long."""
        if self.connections is None:
            return True
        board, slot = self.connections
        board.publish(slot, self.nr_conns)
        if not board.above_mean(slot):
            self._holding_back_since = None
            return True
        now = time.monotonic()
        if self._holding_back_since is None:
            self._holding_back_since = now
        elif now - self._holding_back_since >= _BALANCE_PATIENCE_SECONDS:
            self._holding_back_since = now
            return True
        return False

    def enqueue_req(self, conn) -> None:
        """gthread's hand-off of a readable connection: collect its request head first, then dispatch."""
        if conn.initialized and conn.parser.unreader.buf.getvalue():
            self._dispatch(conn)  # the parser already read ahead into the next request
            return
        conn.nllb_head = b""
        conn.nllb_deadline = time.monotonic() + self.header_timeout
        conn.sock.setblocking(False)
        outcome = self._collect(conn)
        if outcome is None:
            self._watch(self._heads, conn, self._on_head_readable)
        else:
            self._after_head(conn, outcome)

    def _on_head_readable(self, conn, _sock) -> None:
        outcome = self._collect(conn)
        if outcome is not None:
            self._unwatch(self._heads, conn)
            self._after_head(conn, outcome)

    def _collect(self, conn) -> str | None:
        """Read what has arrived: "complete", "closed", or None while the head is still coming."""
        data = _receive(conn.sock)
        if data is None:
            return None
        if not data:
            return "closed"
        conn.nllb_head += data
        if _HEAD_END in conn.nllb_head or len(conn.nllb_head) > self.max_head:
            return "complete"  # an over-long head goes on too: the parser refuses it with its own error
        return None

    def _after_head(self, conn, outcome: str) -> None:
        if outcome == "closed":
            self._drop(conn)
        else:
            self._dispatch(conn)

    def _dispatch(self, conn) -> None:
        conn.nllb_arrived = now = time.monotonic()
        with self._waiting_lock:
            stuck = bool(self._waiting) and now - self._waiting[0] > self.patience
            if not stuck:
                self._waiting.append(now)
        if stuck:
            self._refuse(conn, _OVERLOADED)
        else:
            super().enqueue_req(conn)

    def _refuse(self, conn, response: bytes) -> None:
        """Answer without reading (more of) the request, then linger until the client closes."""
        try:
            conn.sock.send(response)  # a few hundred bytes: the send buffer takes them whole
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._drop(conn)
            return
        conn.nllb_deadline = time.monotonic() + _LINGER_SECONDS
        self._watch(self._lingering, conn, self._on_linger_readable)

    def _on_linger_readable(self, conn, _sock) -> None:
        if _receive(conn.sock) == b"":
            self._unwatch(self._lingering, conn)
            self._drop(conn)

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        while self._heads and self._heads[0].nllb_deadline <= now:
            conn = self._heads[0]
            self._unwatch(self._heads, conn)
            self._refuse(conn, _HEAD_TOO_SLOW)
        while self._lingering and self._lingering[0].nllb_deadline <= now:
            conn = self._lingering[0]
            self._unwatch(self._lingering, conn)
            self._drop(conn)

    def _watch(self, queue: collections.deque, conn, callback) -> None:
        queue.append(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(callback, conn))

    def _unwatch(self, queue: collections.deque, conn) -> None:
        queue.remove(conn)
        self.poller.unregister(conn.sock)

    def _drop(self, conn) -> None:
        self.nr_conns -= 1
        util.close(conn.sock)

    # Pool threads.

    def handle(self, conn):
        with self._waiting_lock:
            self._waiting.popleft()
            self._busy_threads += 1
        try:
            self._arrival.when = conn.nllb_arrived
            head, conn.nllb_head = getattr(conn, "nllb_head", b""), b""
            if head:
                conn.sock.setblocking(True)
                conn.init()
                conn.parser.unreader.unread(head)
                conn.data_ready = True
            keepalive = super().handle(conn)
            while keepalive is True and self.alive and self._may_wait_for_next() and _next_request_ready(conn):
                self._arrival.when = conn.nllb_arrived = time.monotonic()
                keepalive = super().handle(conn)
            return keepalive
        finally:
            with self._waiting_lock:
                self._busy_threads -= 1

    def _may_wait_for_next(self) -> bool:
        """No request waits for a thread, and another thread is free for one that comes."""
        with self._waiting_lock:
            return not self._waiting and self._busy_threads < self.cfg.threads


def _next_request_ready(conn) -> bool:
    """Whether the parser read ahead into the next request, or its whole head arrives within
    _NEXT_REQUEST_WAIT_MS (left in the socket for the parser)."""
    if conn.parser.unreader.buf.getvalue():
        return True
    sock = conn.sock
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    if not poller.poll(_NEXT_REQUEST_WAIT_MS):
        return False
    try:
        return _HEAD_END in sock.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return False


def _receive(sock: socket.socket) -> bytes | None:
    """What a non-blocking socket holds: b"" once the peer closed (or failed), None when nothing is there yet."""
    try:
        return sock.recv(65536)
    except OSError as exc:
        return None if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK) else b""
