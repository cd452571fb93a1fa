"""The benchmarks' load generator against a small HTTP server: every reply counted once, closes survived."""

import http.server
import threading

import pytest

from nllb.tools import loadgen


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = 503 if body == b"refuse" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.send_header("X-Response-Time", "1.50ms")
        if body == b"close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def requests(*bodies: bytes) -> list[bytes]:
    return [loadgen.encode_post("/translate", body, {"Content-Type": "application/json"}) for body in bodies]


def test_keep_alive_connections_count_every_reply_with_the_servers_own_time(server):
    tally = loadgen.closed_loop(server, connections=4, duration=0.3, requests=requests(b"{}"))
    assert tally.errors == 0 and len(tally.latencies) > 20
    assert tally.server_ms == [1.5] * len(tally.latencies)


def test_a_server_that_closes_after_a_reply_gets_a_new_connection_and_refusals_count_as_errors(server):
    tally = loadgen.closed_loop(server, connections=2, duration=0.3, requests=requests(b"close", b"refuse"))
    assert len(tally.latencies) > 5 and tally.errors > 5
    assert set(tally.failures) == {"status 503"}
    assert abs(len(tally.latencies) - tally.errors) <= 2  # the two kinds of request take turns
