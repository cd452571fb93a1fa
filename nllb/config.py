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
from typing import TypeVar

T = TypeVar("T")

DEVICES = ("auto", "cuda", "cpu")
QUALITIES = ("fast", "balanced", "best")


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
    max_batch_size: int = 256
    max_batch_tokens: int = 16384
    batch_timeout_ms: float = 0.0
    # Request limits (enforced by the workers).
    max_texts: int = 128
    max_text_chars: int = 20_000
    max_body_bytes: int = 4 * 1024 * 1024
    max_input_tokens: int = 256
    max_decoding_length: int = 512
    request_timeout_seconds: float = 60.0
    default_quality: str = "balanced"
    # HTTP server.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    threads: int = 8
    worker_slots: int = 0  # 0: twice the workers, so a graceful reload fits
    timeout_seconds: int = 120
    graceful_timeout_seconds: int = 30
    data_dir: Path = Path("data")
    log_level: str = "info"

    @property
    def bind(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def slot_count(self) -> int:
        return self.worker_slots or 2 * self.workers

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        env = os.environ if env is None else env
        read = _Reader(env)
        settings = cls(
            model_path=read("MODEL_PATH", _optional_path, None),
            device=read("DEVICE", _choice(DEVICES), "auto"),
            device_index=read("DEVICE_INDEX", _index_list, (0,)),
            compute_type=read("COMPUTE_TYPE", str.strip, "auto"),
            inter_threads=read("INTER_THREADS", _positive_int, 1),
            intra_threads=read("INTRA_THREADS", _non_negative_int, 0),
            max_batch_size=read("MAX_BATCH_SIZE", _positive_int, 256),
            max_batch_tokens=read("MAX_BATCH_TOKENS", _positive_int, 16384),
            batch_timeout_ms=read("BATCH_TIMEOUT_MS", _non_negative_float, 0.0),
            max_texts=read("MAX_TEXTS", _positive_int, 128),
            max_text_chars=read("MAX_TEXT_CHARS", _positive_int, 20_000),
            max_body_bytes=read("MAX_BODY_BYTES", _positive_int, 4 * 1024 * 1024),
            max_input_tokens=read("MAX_INPUT_TOKENS", _bounded_int(8, 1022), 256),
            max_decoding_length=read("MAX_DECODING_LENGTH", _bounded_int(8, 1024), 512),
            request_timeout_seconds=read("REQUEST_TIMEOUT_SECONDS", _positive_float, 60.0),
            default_quality=read("DEFAULT_QUALITY", _choice(QUALITIES), "balanced"),
            host=read("HOST", str.strip, "127.0.0.1"),
            port=read("PORT", _bounded_int(1, 65535), 8000),
            workers=read("WORKERS", _positive_int, 2),
            threads=read("THREADS", _bounded_int(1, 256), 8),
            worker_slots=read("WORKER_SLOTS", _non_negative_int, 0),
            timeout_seconds=read("TIMEOUT", _positive_int, 120),
            graceful_timeout_seconds=read("GRACEFUL_TIMEOUT", _positive_int, 30),
            data_dir=read("DATA_DIR", Path, Path("data")),
            log_level=read("LOG_LEVEL", _choice(("debug", "info", "warning", "error")), "info"),
        )
        if settings.worker_slots and settings.worker_slots < settings.workers:
            raise ConfigError(
                f"WORKER_SLOTS={settings.worker_slots} is fewer than WORKERS={settings.workers}; "
                "leave it unset (twice the workers) or raise it"
            )
        return settings

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


class _Reader:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def __call__(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not valid: {exc}") from None


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


def _optional_path(raw: str) -> Path:
    return Path(raw).expanduser()
