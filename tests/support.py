"""Run the real service (nllb serve → gunicorn → workers + engine) and talk to it."""

from __future__ import annotations

import dataclasses
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from nllb import metrics_files


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None, timeout: float = 60) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


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


def process_children(pid: int) -> dict[int, str]:
    """Direct children of a process, by pid, with their titles."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            children[int(entry.name)] = cmdline
    return children


ADMIN_TOKEN = "test-admin-" + secrets.token_urlsafe(24)


class Server:
    def __init__(self, model_path: Path, log_path: Path, **env: str):
        self.port = free_port()
        self.log_path = log_path
        self.token: str | None = None
        self.env = {
            **os.environ,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "DATA_DIR": str(log_path.parent / f"data-{log_path.stem}"),
            "MODEL_PATH": str(model_path),
            "PORT": str(self.port),
            "HOST": "127.0.0.1",
            "WORKERS": "2",
            "THREADS": "4",
            "COMPUTE_TYPE": "float32",
            "INTRA_THREADS": "1",
            "GRACEFUL_TIMEOUT": "10",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self, ready: bool = True, token: bool = True) -> "Server":
        """Start; with `token`, also create an API token with limits far above any test's needs."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nllb", "serve"], env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if ready:
            self.wait_ready()
            if token:
                self.token = self.create_token(
                    "tests", rate_limit={"requests": 10**9, "window_seconds": 60},
                    char_limit={"characters": 10**12, "window_seconds": 60},
                ).json["token"]
        return self

    def admin(self, method: str, path: str, payload=None) -> Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
        body = json.dumps(payload).encode() if payload is not None else None
        return request(self.port, method, path, body=body, headers=headers)

    def create_token(self, name: str, **fields) -> Response:
        resp = self.admin("POST", "/admin/tokens", {"name": name, **fields})
        assert resp.status == 201, resp.body
        return resp

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if self.get("/health/ready", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"server not ready within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            metrics_files.remove_stale(Path(tempfile.gettempdir()))  # a killed master cleans up nothing
            self._log.close()
        return code

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    def children(self) -> dict[int, str]:
        return process_children(self.pid)

    def workers(self) -> list[int]:
        return [pid for pid, title in self.children().items() if title.startswith("nllb: worker")]

    def engines(self) -> list[int]:
        return [pid for pid, title in self.children().items() if title.startswith("nllb: engine")]

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

    def translate(self, text, source="eng_Latn", target="fra_Latn", quality=None, **kw) -> Response:
        payload = {"text": text, "source_lang": source, "target_lang": target}
        if quality:
            payload["quality"] = quality
        return self.post("/translate", payload, **kw)


class RedisServer:
    """A private redis-server on a free port, without persistence."""

    def __init__(self, directory: Path, password: str | None = None):
        self.port = free_port()
        self.directory = directory
        self.password = password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `python3 quickstart.py test` installs it")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), *(["--requirepass", self.password] if self.password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        end = time.monotonic() + 10
        while time.monotonic() < end:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                        return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
