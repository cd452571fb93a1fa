"""The gunicorn worker class: gthread that refuses work it cannot start soon, instead of queueing it.

gthread hands every readable connection to its thread pool, whose queue has
no bound: when every thread waits on slow work, requests wait there for
minutes, past every deadline, and are answered after their clients have left.
Here, once the request that has waited longest for a thread has waited
`THREAD_WAIT_SECONDS`, the queue is not draining, and new connections are
answered 503 `overloaded` at once by a small pool of their own; a burst of
quick requests still queues and passes. The app learns when each request
arrived (`environ["nllb.arrived"]`), so its deadline runs from then, not from
when a thread got to it.
"""

from __future__ import annotations

import collections
import threading
import time
import uuid
from concurrent import futures

import ujson
from gunicorn import util
from gunicorn.workers import gthread

# Written before the request is read: a client still sending sees it once it
# reads, and lingering on close drains what it sent, so no reset loses the answer.
_SHED_LINGER_SECONDS = 1.0
_SHED_THREADS = 2


def overloaded_response() -> bytes:
    body = ujson.dumps({
        "error": "overloaded",
        "message": "Too many requests wait for this server; retry shortly.",
        "request_id": uuid.uuid4().hex,
    }).encode()
    head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
            f"Connection: close\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


class SheddingThreadWorker(gthread.ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from nllb.config import Settings

        self.patience = Settings.from_env().thread_wait_seconds
        # Arrival times of the connections handed to the pool and not yet started, oldest first (its queue is FIFO).
        self._waiting: collections.deque[float] = collections.deque()
        self._waiting_lock = threading.Lock()
        self._shedding: futures.ThreadPoolExecutor | None = None
        self._arrival = threading.local()

    def init_process(self) -> None:
        self._shedding = futures.ThreadPoolExecutor(_SHED_THREADS, thread_name_prefix="nllb-shed")
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app, arrival = self.wsgi, self._arrival

        def stamped(environ, start_response):
            environ["nllb.arrived"] = arrival.when
            return app(environ, start_response)

        self.wsgi = stamped

    def enqueue_req(self, conn) -> None:
        conn.nllb_arrived = now = time.monotonic()
        with self._waiting_lock:
            stuck = bool(self._waiting) and now - self._waiting[0] > self.patience
            if not stuck:
                self._waiting.append(now)
        if not stuck:
            super().enqueue_req(conn)
            return
        done = self._shedding.submit(self._shed, conn)
        done.add_done_callback(lambda fut: self.method_queue.defer(self.finish_request, conn, fut))

    def handle(self, conn):
        with self._waiting_lock:
            self._waiting.popleft()
        self._arrival.when = conn.nllb_arrived
        return super().handle(conn)

    @staticmethod
    def _shed(conn) -> bool:
        """Answer 503 without reading the request; False: the connection is closed after."""
        try:
            conn.sock.setblocking(True)
            conn.sock.sendall(overloaded_response())
            util.close_graceful(conn.sock, timeout=_SHED_LINGER_SECONDS)
        except OSError:
            pass
        return False
