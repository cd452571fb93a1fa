"""The real service for tests: the tools' harness with test settings and a few ways to call it."""

from __future__ import annotations

import json
import secrets
import signal
import socket
from pathlib import Path

from nllb.tools.harness import RedisServer, Response, Service, free_port, request

__all__ = ["ADMIN_TOKEN", "RedisServer", "Response", "Server", "free_port", "request", "send_raw"]

ADMIN_TOKEN = "test-admin-" + secrets.token_urlsafe(24)


def send_raw(port: int, head: bytes, body: bytes, timeout: float = 30) -> Response:
    """Send a request even if the server answers and closes before the body is sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    header_block, _, payload = raw.partition(b"\r\n\r\n")
    lines = header_block.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return Response(int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, payload)


class Server(Service):
    """Two workers of four threads, float32 on one CPU thread: small, and the same on every machine."""

    def __init__(self, model_path: Path, log_path: Path, **env: str):
        super().__init__(model_path, log_path, {
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "WORKERS": "2",
            "THREADS": "4",
            "COMPUTE_TYPE": "float32",
            "INTRA_THREADS": "1",
            "GRACEFUL_TIMEOUT": "10",
            **env,
        })

    def start(self, ready: bool = True, token: bool = True, timeout: float = 60) -> "Server":
        super().start(ready, token, timeout)
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        return super().stop(sig, timeout)

    def workers(self) -> list[int]:
        return self.pids("worker")

    def engines(self) -> list[int]:
        return self.pids("engine")

    def get(self, path: str, timeout: float = 60, headers: dict | None = None) -> Response:
        return request(self.port, "GET", path, headers=headers, timeout=timeout)

    def post(self, path: str, payload=None, raw: bytes | None = None,
             headers: dict | None = None, timeout: float = 60, token: str | None = "default") -> Response:
        """POST as the test token unless `token` names another (None: no Authorization)."""
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        auth = {}
        bearer = self.token if token == "default" else token
        if bearer:
            auth["Authorization"] = f"Bearer {bearer}"
        return request(self.port, "POST", path, body=body,
                       headers={"Content-Type": "application/json", **auth, **(headers or {})}, timeout=timeout)

    def translation(self, text, source: str | None, target: str):
        """What our own /translate answers for a text or a list; `source` None: identified."""
        payload = {"text": text, "target_lang": target, **({"source_lang": source} if source else {})}
        return self.post("/translate", payload).json["translation"]

    def translate(self, text, source="eng_Latn", target="fra_Latn", quality=None, **kw) -> Response:
        payload = {"text": text, "source_lang": source, "target_lang": target}
        if quality:
            payload["quality"] = quality
        return self.post("/translate", payload, **kw)
