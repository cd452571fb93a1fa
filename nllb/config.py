"""Every setting of the service, read from the environment in one place.

Names of the original service are kept (`MODEL_PATH`, `MAX_BATCH_SIZE`,
`BATCH_TIMEOUT_MS`, ...). A bad value stops the start with a message that says
which variable is wrong and what it accepts.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path

DEVICES = ("auto", "cuda", "cpu")
# The quality levels a caller chooses from (DEFAULT_QUALITY is one), and the beam each searches with.
QUALITY_BEAMS = {"fast": 1, "balanced": 4, "best": 8}
QUALITIES = tuple(QUALITY_BEAMS)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclasses.dataclass(frozen=True)
class Settings:
    # Model and device (read by the engine).
    model_path: Path | None = None
    device: str = "auto"
    device_index: tuple[int, ...] = (0,)
    compute_type: str = "auto"
    inter_threads: int = 1
    intra_threads: int = 0
    # Batching.
    max_batch_size: int = 1024
    max_batch_tokens: int = 65536
    batch_timeout_ms: float = 100.0  # the longest wait for a batch's clients to come back
    max_batch_seconds: float = 2.0  # a batch grows only while its expected device time stays within this
    # The engine counts as wedged when its loop is silent this long, or one batch runs this long.
    engine_stall_seconds: float = 10.0
    batch_stall_seconds: float = 120.0
    # Request limits (enforced by the workers).
    max_texts: int = 128
    max_text_chars: int = 20_000
    max_body_bytes: int = 4 * 1024 * 1024
    max_input_tokens: int = 256
    max_decoding_length: int = 512
    request_timeout_seconds: float = 60.0
    default_quality: str = "balanced"
    # Language identification for `source_lang: "auto"` and /detect (a fastText model; none: both refused).
    lid_model_path: Path | None = None
    detection_threshold: float = 0.5  # below this confidence a text's language counts as not detected
    max_queue_size: int = 4096  # segments waiting for the engine
    # Circuit breaker.
    circuit_breaker_enabled: bool = True
    circuit_breaker_threshold: int = 5
    circuit_breaker_timeout_seconds: float = 30.0
    # Cache.
    cache_enabled: bool = True
    cache_ttl_seconds: int = 3600
    # Access.
    auth_enabled: bool = True
    admin_token: str | None = dataclasses.field(default=None, repr=False)
    admin_token_file: Path | None = None
    db_path: Path | None = None  # None: DATA_DIR/nllb.db
    token_store: str = "sqlite"
    redis_url: str | None = dataclasses.field(default=None, repr=False)
    rate_limit_enabled: bool = True
    rate_limit_requests: int = 100
    rate_limit_window_seconds: int = 60
    rate_limit_characters: int = 1_000_000
    auth_failure_limit: int = 20
    auth_failure_window_seconds: int = 300
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    # HTTP server.
    host: str = "127.0.0.1"
    port: int = 8000
    # Unset: sized to the machine (see _http_shape): a GPU needs hundreds of requests in flight.
    workers: int = 2
    threads: int = 8
    # Once a request has waited this long for a worker thread, new ones get 503 at once.
    thread_wait_seconds: float = 1.0
    header_timeout_seconds: float = 10.0  # a request head must arrive whole within this, or 408
    worker_slots: int = 0  # 0: twice the workers, so a graceful reload fits
    pin_workers: str = "auto"  # auto | true | false: each worker on a core of its own (server._worker_cores)
    timeout_seconds: int = 120
    graceful_timeout_seconds: int = 30
    # Absolute, so the CLI run from any directory and the service use one database.
    data_dir: Path = dataclasses.field(default_factory=lambda: _default_data_dir(os.environ))
    log_level: str = "info"
    log_format: str = "json"
    log_text: bool = False
    # Metrics.
    metrics_dir: Path | None = None  # PROMETHEUS_MULTIPROC_DIR; None: a private temporary one
    metrics_auth: str = "none"

    @property
    def bind(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def slot_count(self) -> int:
        return self.worker_slots or 2 * self.workers

    @property
    def database(self) -> Path:
        return self.db_path or self.data_dir / "nllb.db"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for name, (variable, parse) in _VARIABLES.items():
            raw = env.get(variable, "").strip()
            if raw:
                try:
                    values[name] = parse(raw)
                except ValueError as exc:
                    shown = "(hidden)" if name in _SECRETS else repr(raw)
                    raise ConfigError(f"{variable}={shown} is not valid: {exc}") from None
        values.setdefault("data_dir", _default_data_dir(env))
        workers, threads = _http_shape(values.get("device", "auto"))
        values.setdefault("workers", workers)
        values.setdefault("threads", threads)
        settings = cls(**values)
        if settings.worker_slots and settings.worker_slots < settings.workers:
            raise ConfigError(
                f"WORKER_SLOTS={settings.worker_slots} is fewer than WORKERS={settings.workers}; "
                "leave it unset (twice the workers) or raise it"
            )
        if settings.token_store == "redis" and not settings.redis_url:
            raise ConfigError("TOKEN_STORE=redis needs REDIS_URL")
        return settings


def _positive_int(raw: str) -> int:
    return _bounded_int(1, None)(raw)


def _non_negative_int(raw: str) -> int:
    return _bounded_int(0, None)(raw)


def _bounded_int(low: int, high: int | None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if value < low or (high is not None and value > high):
            raise ValueError(f"expected a number from {low} to {high}" if high else f"expected at least {low}")
        return value

    return parse


def _positive_float(raw: str) -> float:
    value = _non_negative_float(raw)
    if value == 0:
        raise ValueError("expected a number above 0")
    return value


def _non_negative_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("expected a number") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError("expected a finite number of at least 0")
    return value


def _fraction(raw: str) -> float:
    value = _non_negative_float(raw)
    if value > 1:
        raise ValueError("expected a number from 0 to 1")
    return value


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value

    return parse


def _index_list(raw: str) -> tuple[int, ...]:
    try:
        indices = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ValueError('expected device numbers such as "0" or "0,1"') from None
    if any(i < 0 for i in indices) or len(set(indices)) != len(indices):
        raise ValueError("expected distinct device numbers of at least 0")
    return indices


def _path(raw: str) -> Path:
    return Path(raw).expanduser().absolute()


# A GPU turns hundreds of requests into one batch at nearly the cost of one
# (on an H100, batch 1,024 is ~300x the throughput of batch 1), so a GPU box
# serves enough requests at once to fill those batches: a worker per core (up
# to 16) with 256 threads each. A worker's share of 1,024 in flight is 64, but
# the kernel deals connections to the workers unevenly, and traffic that
# arrives whatever the answers (open loop) holds more than 1,024 while a
# batch runs. Measured on an H200 (docs/PERFORMANCE.md, issue #12): with 64
# threads the workers dealt the most connections shed 2% of requests at 1,024
# in flight and 80% of the raw maximum offered open-loop was 79% served; with
# 128, 92% served; with 256, all of it, with no errors. Threads wait on the
# engine, not on a core. On a CPU, batching gains little and threads cost
# memory: 2 workers of 8 threads.
_GPU_DEVICE_FILES = ("/dev/nvidiactl", "/dev/kfd")


def _http_shape(device: str) -> tuple[int, int]:
    """Default (workers, threads): for a GPU when one is visible and DEVICE allows it.

    The cores are those this process may run on (a container's cpuset, taskset,
    systemd's CPUAffinity=), not the machine's: os.cpu_count() counts every core
    of the host.
    """
    if device != "cpu" and any(os.path.exists(path) for path in _GPU_DEVICE_FILES):
        return min(16, len(os.sched_getaffinity(0))), 256
    return 2, 8


def _default_data_dir(env: Mapping[str, str]) -> Path:
    """$XDG_DATA_HOME/nllb, or ~/.local/share/nllb."""
    base = env.get("XDG_DATA_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".local" / "share").absolute() / "nllb"


def _boolean(raw: str) -> bool:
    value = raw.lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _auto_or_boolean(raw: str) -> str:
    """"auto", "true" or "false", from auto or any spelling _boolean takes."""
    if raw.lower() == "auto":
        return "auto"
    try:
        return "true" if _boolean(raw) else "false"
    except ValueError:
        raise ValueError("expected auto, true or false") from None


def _address_list(raw: str) -> tuple[str, ...]:
    import ipaddress

    entries = tuple(part.strip() for part in raw.split(",") if part.strip())
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return entries


def _redis_url(raw: str) -> str:
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected a redis://, rediss:// or unix:// URL")
    return raw


_SECRETS = {"admin_token", "redis_url"}

# Field → (environment variable, parser); defaults are the dataclass's.
_VARIABLES: dict[str, tuple[str, Callable[[str], object]]] = {
    "model_path": ("MODEL_PATH", _path),
    "device": ("DEVICE", _choice(DEVICES)),
    "device_index": ("DEVICE_INDEX", _index_list),
    "compute_type": ("COMPUTE_TYPE", str.strip),
    "inter_threads": ("INTER_THREADS", _positive_int),
    "intra_threads": ("INTRA_THREADS", _non_negative_int),
    "max_batch_size": ("MAX_BATCH_SIZE", _positive_int),
    "max_batch_tokens": ("MAX_BATCH_TOKENS", _positive_int),
    "batch_timeout_ms": ("BATCH_TIMEOUT_MS", _non_negative_float),
    "max_batch_seconds": ("MAX_BATCH_SECONDS", _positive_float),
    "engine_stall_seconds": ("ENGINE_STALL_SECONDS", _positive_float),
    "batch_stall_seconds": ("BATCH_STALL_SECONDS", _positive_float),
    "max_texts": ("MAX_TEXTS", _positive_int),
    "max_text_chars": ("MAX_TEXT_CHARS", _positive_int),
    "max_body_bytes": ("MAX_BODY_BYTES", _positive_int),
    "max_input_tokens": ("MAX_INPUT_TOKENS", _bounded_int(8, 1022)),
    "max_decoding_length": ("MAX_DECODING_LENGTH", _bounded_int(8, 1024)),
    "request_timeout_seconds": ("REQUEST_TIMEOUT_SECONDS", _positive_float),
    "default_quality": ("DEFAULT_QUALITY", _choice(QUALITIES)),
    "lid_model_path": ("LID_MODEL_PATH", _path),
    "detection_threshold": ("DETECTION_THRESHOLD", _fraction),
    "max_queue_size": ("MAX_QUEUE_SIZE", _positive_int),
    "circuit_breaker_enabled": ("CIRCUIT_BREAKER_ENABLED", _boolean),
    "circuit_breaker_threshold": ("CIRCUIT_BREAKER_THRESHOLD", _positive_int),
    "circuit_breaker_timeout_seconds": ("CIRCUIT_BREAKER_TIMEOUT", _positive_float),
    "cache_enabled": ("CACHE_ENABLED", _boolean),
    "cache_ttl_seconds": ("CACHE_TTL_SECONDS", _positive_int),
    "auth_enabled": ("AUTH_ENABLED", _boolean),
    "admin_token": ("ADMIN_TOKEN", str),
    "admin_token_file": ("ADMIN_TOKEN_FILE", _path),
    "db_path": ("DB_PATH", _path),
    "token_store": ("TOKEN_STORE", _choice(("sqlite", "redis"))),
    "redis_url": ("REDIS_URL", _redis_url),
    "rate_limit_enabled": ("RATE_LIMIT_ENABLED", _boolean),
    "rate_limit_requests": ("RATE_LIMIT_REQUESTS", _positive_int),
    "rate_limit_window_seconds": ("RATE_LIMIT_WINDOW_SECONDS", _positive_int),
    "rate_limit_characters": ("RATE_LIMIT_CHARACTERS", _positive_int),
    "auth_failure_limit": ("AUTH_FAILURE_LIMIT", _positive_int),
    "auth_failure_window_seconds": ("AUTH_FAILURE_WINDOW_SECONDS", _positive_int),
    "trusted_proxies": ("TRUSTED_PROXIES", _address_list),
    "host": ("HOST", str.strip),
    "port": ("PORT", _bounded_int(1, 65535)),
    "workers": ("WORKERS", _positive_int),
    "threads": ("THREADS", _bounded_int(1, 256)),
    "thread_wait_seconds": ("THREAD_WAIT_SECONDS", _positive_float),
    "header_timeout_seconds": ("HEADER_TIMEOUT_SECONDS", _positive_float),
    "worker_slots": ("WORKER_SLOTS", _non_negative_int),
    "pin_workers": ("PIN_WORKERS", _auto_or_boolean),
    "timeout_seconds": ("TIMEOUT", _positive_int),
    "graceful_timeout_seconds": ("GRACEFUL_TIMEOUT", _positive_int),
    "data_dir": ("DATA_DIR", _path),
    "log_level": ("LOG_LEVEL", _choice(("debug", "info", "warning", "error"))),
    "log_format": ("LOG_FORMAT", _choice(("json", "text"))),
    "log_text": ("LOG_TEXT", _boolean),
    "metrics_dir": ("PROMETHEUS_MULTIPROC_DIR", _path),
    "metrics_auth": ("METRICS_AUTH", _choice(("none", "admin"))),
}
