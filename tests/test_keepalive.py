"""Keep-alive connections: the thread that answered a request serves the connection's next one when it comes
at once, and a next request that comes slowly is the main loop's to collect, as on a new connection."""

import json
import select
import socket
import threading
import time

from support import request

from nllb.tools.loadgen import encode_post

HEADER_TIMEOUT = 3


def post_bytes(token: str, text: str, request_id: str) -> bytes:
    body = json.dumps({"text": text, "source_lang": "eng_Latn", "target_lang": "fra_Latn"}).encode()
    return encode_post("/translate", body, {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                                            "X-Request-ID": request_id})


class Reader:
    """HTTP/1.1 responses, one after another, from one socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = b""

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
        length = int(headers.get("content-length", 0))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(lines[0].split()[1]), headers, body

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        self.buffer += chunk


def test_requests_back_to_back_and_pipelined_on_one_connection_each_get_their_own_answer(server):
    texts = [f"Sentence number {i} of this connection." for i in range(12)]
    alone = {text: server.translation(text, "eng_Latn", "fra_Latn") for text in texts}
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        reader = Reader(sock)
        for i, text in enumerate(texts[:6]):
            sock.sendall(post_bytes(server.token, text, f"seq-{i}"))
            status, headers, body = reader.response()
            assert (status, headers["x-request-id"]) == (200, f"seq-{i}")
            assert json.loads(body)["translation"] == alone[text]
        # Three requests in one write: the parser reads ahead into the next ones.
        sock.sendall(b"".join(post_bytes(server.token, text, f"pipe-{i}") for i, text in enumerate(texts[6:9])))
        for i, text in enumerate(texts[6:9]):
            status, headers, body = reader.response()
            assert (status, headers["x-request-id"]) == (200, f"pipe-{i}")
            assert json.loads(body)["translation"] == alone[text]
        for i, text in enumerate(texts[9:]):
            time.sleep(0.05)  # past the answering thread's wait: back through the main loop
            sock.sendall(post_bytes(server.token, text, f"late-{i}"))
            status, headers, body = reader.response()
            assert (status, headers["x-request-id"]) == (200, f"late-{i}")
            assert json.loads(body)["translation"] == alone[text]


def test_a_next_request_sent_a_byte_at_a_time_holds_up_nobody_and_times_out(make_server):
    srv = make_server(WORKERS="1", THREADS="4", HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT)).start()
    answers: dict[int, tuple[bytes, float]] = {}

    def slow_next_request(n: int) -> None:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as sock:
            reader = Reader(sock)
            sock.sendall(post_bytes(srv.token, "Hello.", f"first-{n}"))
            assert reader.response()[0] == 200
            started = time.monotonic()
            for byte in post_bytes(srv.token, "Hello again.", f"next-{n}"):
                sock.sendall(bytes([byte]))
                if select.select([sock], [], [], 0.2)[0] or time.monotonic() - started > 30:
                    break
            answers[n] = (sock.recv(4096), time.monotonic() - started)

    slow = [threading.Thread(target=slow_next_request, args=(n,)) for n in range(8)]
    for client in slow:
        client.start()
    try:
        time.sleep(1)
        for _ in range(5):
            started = time.monotonic()
            resp = request(srv.port, "GET", "/health/live", timeout=30)
            assert resp.status == 200 and time.monotonic() - started < 1
    finally:
        for client in slow:
            client.join()
    assert len(answers) == 8
    for answer, took in answers.values():
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert took < HEADER_TIMEOUT + 1.5
