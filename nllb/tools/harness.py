"""The real service, driven from outside: `nllb serve` in a child process, a private Redis, the process tree.

One harness for everything that needs the whole service running — the
real-process tests (tests/support.py), `nllb bench`, `bench-cache`, `soak` and
`siege` — so that what the tests prove is what the benchmarks measure.
"""

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

# Far above what any test or benchmark sends: rate limiting stays on, and is paid for.
UNREACHABLE_LIMITS = {"rate_limit": {"requests": 10**12, "window_seconds": 60},
                      "char_limit": {"characters": 10**12, "window_seconds": 60}}


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]  # names in lower case
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
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def process_table(master: int) -> dict[str, dict]:
    """The master and its children, as `role:pid` → role, title, resident bytes and open descriptors."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            if int(stat[1]) != master and int(entry.name) != master:
                continue
            rss = int((entry / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            fds = len(os.listdir(entry / "fd"))
        except (OSError, IndexError, ValueError):
            continue
        if not rss:  # a zombie, already gone
            continue
        role = "master" if int(entry.name) == master else title.split(" ")[1] if title.startswith("nllb:") else title
        table[f"{role}:{entry.name}"] = {"role": role, "title": title, "rss": rss, "fds": fds}
    return table


def process_cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Service:
    """`nllb serve` in a child process (its own session), with the settings in `env` over this environment."""

    def __init__(self, model_path: Path, log_path: Path, env: dict[str, str] | None = None):
        env = env or {}
        self.port = free_port()
        self.log_path = log_path
        self.admin_token = env.get("ADMIN_TOKEN") or "admin-" + secrets.token_urlsafe(24)
        self.token: str | None = None
        self.env = {
            **os.environ,
            "ADMIN_TOKEN": self.admin_token,
            "DATA_DIR": str(log_path.parent / f"data-{log_path.stem}"),
            "MODEL_PATH": str(model_path),
            **env,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        self.process: subprocess.Popen | None = None
        self._log = None

    def start(self, ready: bool = True, token: bool = True, timeout: float = 600) -> "Service":
        """Start; with `ready`, wait until it is ready, and with `token`, make an API token that no limit stops."""
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nllb", "serve"], env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        if ready:
            self.wait_ready(timeout)
            if token:
                self.token = self.create_token("harness", **UNREACHABLE_LIMITS).json["token"]
        return self

    @property
    def headers(self) -> dict[str, str]:
        """Authorization with the service's API token."""
        return {"Authorization": f"Bearer {self.token}"}

    def admin(self, method: str, path: str, payload=None) -> Response:
        headers = {"Authorization": f"Bearer {self.admin_token}", "Content-Type": "application/json"}
        body = json.dumps(payload).encode() if payload is not None else None
        return request(self.port, method, path, body=body, headers=headers)

    def create_token(self, name: str, **fields) -> Response:
        resp = self.admin("POST", "/admin/tokens", {"name": name, **fields})
        if resp.status != 201:
            raise RuntimeError(f"could not create a token: {resp.status} {resp.body!r}")
        return resp

    def wait_ready(self, timeout: float = 600) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.process.poll() is not None:
                raise RuntimeError(f"the service exited with {self.process.returncode}:\n{self.log()}")
            try:
                if request(self.port, "GET", "/health/ready", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"the service was not ready within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60) -> int | None:
        """Signal the master and wait; whatever is left after `timeout` is killed. The master's exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            metrics_files.remove_stale(Path(tempfile.gettempdir()))  # a killed master cleans up nothing
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    def processes(self) -> dict[str, dict]:
        return process_table(self.pid)

    def children(self) -> dict[int, str]:
        """The master's live children: pid → process title."""
        return {int(name.split(":")[1]): row["title"] for name, row in self.processes().items()
                if row["role"] != "master"}

    def pids(self, role: str) -> list[int]:
        """The live children in this role: `worker` or `engine`."""
        return [int(name.split(":")[1]) for name, row in self.processes().items() if row["role"] == role]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the live workers, together, and the engine."""
        used = {"workers": 0.0, "engine": 0.0}
        for group, role in (("workers", "worker"), ("engine", "engine")):
            for pid in self.pids(role):
                try:
                    used[group] += process_cpu_seconds(pid)
                except OSError:
                    pass
        return used


class RedisServer:
    """A private redis-server on a free port (and, if asked, a Unix socket in `directory`), without persistence."""

    def __init__(self, directory: Path, password: str | None = None, unix_socket: bool = False):
        self.port = free_port()
        self.directory = directory
        self.password = password
        self.socket_path = directory / "redis.sock" if unix_socket else None
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    @property
    def socket_url(self) -> str:
        """The same server through its Unix socket (started with unix_socket=True)."""
        assert self.socket_path is not None, "started without a Unix socket"
        return f"unix://{self.socket_path}?db=0"

    @classmethod
    def if_installed(cls, directory: Path) -> "RedisServer | None":
        """A started one where redis-server is installed; None where it is not (the tools run without)."""
        return cls(directory).start() if shutil.which("redis-server") else None

    def start(self) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed; `python3 quickstart.py test` installs it")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory), *(["--requirepass", self.password] if self.password else []),
             *(["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"] if self.socket_path else [])],
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
        self.stop()
        raise TimeoutError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
