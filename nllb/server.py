"""The gunicorn hooks: what the master sets up, lends, reclaims and tears down.

State lives here, in the master, from `on_starting` to `on_exit`; workers
inherit it through fork and each takes the worker slot the master lent it.
"""

from __future__ import annotations

import atexit
import logging
import os
import resource
import subprocess
import sys
from pathlib import Path

import setproctitle

from nllb import logs, metrics_files
from nllb.access.admin import resolve_admin_token
from nllb.access.ratelimit import LocalLimiter
from nllb.config import ConfigError, Settings
from nllb.engine.supervisor import EngineSupervisor
from nllb.ipc import ConnectionBoard
from nllb.ipc.exchange import Exchange
from nllb.ipc.slots import SlotLayout
from nllb.modeldir import ModelDirectory, ModelDirectoryError
from nllb.translation.detection import DetectionModelError, LanguageDetector

log = logging.getLogger("nllb.server")


class Runtime:
    def __init__(self, settings: Settings, model: ModelDirectory, admin_token: str, metrics_dir: Path,
                 detector: LanguageDetector | None):
        self.settings = settings
        self.model = model
        # Loaded here, before the fork: every worker reads the same pages (nllb.translation.detection).
        self.detector = detector
        self.admin_token = admin_token
        self.metrics_dir = metrics_dir
        self.limits = LocalLimiter.create("nllb-ratelimit")
        self.exchange = Exchange.create(settings.slot_count, settings.threads, SlotLayout())
        self.connections = ConnectionBoard.create(settings.slot_count)
        # In the state record, so workers, probes and the supervisor judge a wedged engine alike.
        self.exchange.state.set_stall_limits(settings.engine_stall_seconds, settings.batch_stall_seconds)
        self.supervisor = EngineSupervisor(
            self.exchange, model.path, settings.graceful_timeout_seconds + 5,
            on_exit=lambda pid: metrics_files.archive_dead(metrics_dir, pid),
        )
        self.free_slots = list(range(settings.slot_count))
        self.worker_slot: int | None = None
        self.worker_cores = _worker_cores(settings)

    def core_of(self, slot: int) -> int | None:
        """The core a worker in this slot runs on, or None when workers are not pinned."""
        return self.worker_cores[slot % len(self.worker_cores)] if self.worker_cores else None

    def lend_slot(self) -> int | None:
        return self.free_slots.pop(0) if self.free_slots else None

    def reclaim_slot(self, slot: int | None) -> None:
        if slot is not None:
            self.exchange.reclaim(slot)
            self.connections.clear(slot)
            self.free_slots.append(slot)
            self.free_slots.sort()


_runtime: Runtime | None = None


def _worker_cores(settings: Settings) -> list[int]:
    """The cores workers are pinned to, one each (none: they move freely); the log says which, and why.

    A burst of answers wakes every worker at once, and one that wakes on
    whichever core is free finds that core's caches holding another process's
    work: on an H200 box (16 cores, 16 workers, 256 requests in flight) a
    request cost its worker 1.44-1.56 ms of CPU, and 0.99-1.00 ms with each
    worker on a core of its own (docs/PERFORMANCE.md). `auto` pins only when
    the workers are as many as the cores this process may use, which nllb
    then has to itself: on a larger machine other services, or a second nllb
    whose workers would take the same first cores, may share them, so there
    the operator asks for it (`true`). With fewer cores than workers, pinned
    workers could not move off a busy core, so none is pinned.
    """
    cores = sorted(os.sched_getaffinity(0))
    if settings.pin_workers == "false":
        log.info("workers are not pinned to cores (PIN_WORKERS=false)")
        return []
    if settings.workers > len(cores):
        log.info("workers are not pinned to cores: WORKERS=%d exceeds the %d cores this process may use",
                 settings.workers, len(cores))
        return []
    if settings.pin_workers == "auto" and settings.workers < len(cores):
        log.info("workers are not pinned to cores: WORKERS=%d of the %d cores this process may use "
                 "(PIN_WORKERS=auto pins them when they are as many; set PIN_WORKERS=true when nothing else "
                 "runs on these cores)", settings.workers, len(cores))
        return []
    log.info("each worker runs on a core of its own (PIN_WORKERS=%s)", settings.pin_workers)
    return cores


def start(server) -> None:
    """on_starting: before any worker forks."""
    global _runtime
    _use_nllb_process_titles()
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise SystemExit(f"nllb: {exc}") from None
    logs.configure(settings)
    _refuse_unsupported_gunicorn_settings(server.cfg, settings)
    # Before anything imports prometheus_client: it picks its storage then.
    metrics_dir = metrics_files.prepare(str(settings.metrics_dir) if settings.metrics_dir else None)
    try:
        _raise_open_file_limit(settings)
        admin_token = resolve_admin_token(settings)
        model = ModelDirectory.open(settings.model_path or _synthetic_model(settings.data_dir))
        detector = _language_detector(settings, model)
        _prepare_token_store(settings)
    except BaseException as exc:
        metrics_files.remove(metrics_dir, created=settings.metrics_dir is None)
        if isinstance(exc, (ConfigError, ModelDirectoryError, DetectionModelError)):
            raise SystemExit(f"nllb: {exc}") from None
        raise
    if model.synthetic:
        log.warning(
            "SYNTHETIC MODEL (%s) at %s: random weights, translations are GIBBERISH. "
            "Set MODEL_PATH to a CTranslate2 NLLB model to translate for real.", model.synthetic, model.path,
        )
    _runtime = Runtime(settings, model, admin_token, metrics_dir, detector)
    _runtime.supervisor.start()


def worker_class(threads: int) -> str:
    """gunicorn's worker class for THREADS: nllb's gthread (frontend/worker.py), or sync for one thread."""
    return "nllb.frontend.worker.ThreadWorker" if threads > 1 else "sync"


def _refuse_unsupported_gunicorn_settings(cfg, settings: Settings) -> None:
    if cfg.is_ssl and settings.threads > 1:
        # The worker's main loop reads each request head from the raw socket, before a thread
        # would do the TLS handshake (frontend/worker.py): every request would hang or fail.
        raise SystemExit(
            "nllb: TLS in gunicorn itself (certfile/keyfile, e.g. in GUNICORN_CMD_ARGS) is not supported by "
            "nllb's worker: terminate TLS in front of it, in nginx for instance (conf/nginx/nllb.conf)"
        )
    # GUNICORN_CMD_ARGS (or a command line) outranks the config file. The shared memory is sized from
    # nllb's settings: threads beyond THREADS wait on a request slot with no deadline, a worker beyond
    # WORKER_SLOTS gets no slot, and the sync worker loses the head collector behind HEADER_TIMEOUT_SECONDS.
    ours = worker_class(settings.threads)
    theirs = cfg.settings["worker_class"].get()
    mismatches = [
        (f"--workers {cfg.workers}", cfg.workers != settings.workers, f"WORKERS={settings.workers}"),
        (f"--threads {cfg.threads}", cfg.threads != settings.threads, f"THREADS={settings.threads}"),
        (f"--worker-class {theirs}", theirs != ours, f"THREADS={settings.threads} (worker class {ours})"),
    ]
    for argument, differs, setting in mismatches:
        if differs:
            raise SystemExit(
                f"nllb: gunicorn's {argument} (from GUNICORN_CMD_ARGS or the command line) overrides {setting}, "
                "which sizes nllb's shared memory and request slots: size the service with nllb's settings instead"
            )


def lend_slot(server, worker) -> None:
    """pre_fork: the master picks the new worker's slot."""
    worker.nllb_slot = _runtime.lend_slot()
    if worker.nllb_slot is None:
        # More workers than slots (TTIN, or a reload with WORKER_SLOTS below twice WORKERS): this one
        # leaves as it starts (enter_worker), since a worker failing to boot would halt the service.
        log.error("no free worker slot, so no new worker: raise WORKER_SLOTS above the number of workers")


def enter_worker(server, worker) -> None:
    """post_fork: in the new worker."""
    import gunicorn.util

    from nllb.frontend.errors import write_gunicorn_error

    if worker.nllb_slot is None:
        sys.exit(0)
    setproctitle.setproctitle("nllb: worker")
    _runtime.worker_slot = worker.nllb_slot
    core = _runtime.core_of(worker.nllb_slot)
    if core is not None:
        pin_to_core(core)  # before the worker starts its threads, which inherit it
    worker.connections = (_runtime.connections, worker.nllb_slot)
    gunicorn.util.write_error = write_gunicorn_error


def pin_to_core(core: int) -> bool:
    """Run the calling thread, and threads it starts, on `core` alone; False (logged) when the kernel refuses.

    The cores were read when the master started; a container's cpuset can
    shrink since (`docker update --cpuset-cpus`), and a worker that raised
    here would fail to boot, which halts gunicorn. It serves unpinned instead.
    """
    try:
        os.sched_setaffinity(0, {core})
    except OSError as exc:
        log.warning("worker not pinned to core %d: %s", core, exc.strerror or exc)
        return False
    return True


def reclaim_slot(server, worker) -> None:
    """child_exit: a worker died or was retired; its slots and metric files are put away."""
    slot = getattr(worker, "nllb_slot", None)
    if slot is None:
        # The arbiter would fork it again at once. Never below WORKERS, though: after a reload
        # the slotless ones stand for workers that must come back once the old ones free their slots.
        server.num_workers = max(server.num_workers - 1, server.cfg.workers)
    _runtime.reclaim_slot(slot)
    metrics_files.archive_dead(_runtime.metrics_dir, worker.pid)


def refuse_reexec(server) -> None:
    """pre_exec: USR2 would start a second master, and with it a second engine on the same GPU."""
    log.error("USR2 (binary upgrade) is not supported: it would load the model a second time. "
              "Use HUP to replace the workers, or restart the service.")
    os._exit(0)


def stop(server) -> None:
    """on_exit: workers are gone; stop the engine. Shared memory dies with the last holder."""
    if _runtime is not None:
        _runtime.supervisor.stop(timeout=_runtime.settings.graceful_timeout_seconds)
        metrics_files.remove(_runtime.metrics_dir, created=_runtime.settings.metrics_dir is None)


def worker_app():
    """The WSGI app of this worker; only valid under nllb's gunicorn configuration."""
    from nllb.access import open_store
    from nllb.access.gate import AccessGate
    from nllb.access.ratelimit import Limiter
    from nllb.frontend.app import create_app
    from nllb.ipc.breaker import CircuitBreaker
    from nllb.ipc.client import EngineClient
    from nllb.redisconn import connect
    from nllb.translation.cache import TranslationCache
    from nllb.translation.service import TranslationService

    if _runtime is None:
        # gunicorn's --preload builds the app in the master, before on_starting has run.
        raise RuntimeError(
            "nllb's app is built in each worker after it forks, under nllb's gunicorn configuration: "
            "start it with `nllb serve` or `gunicorn -c gunicorn.conf.py`, without --preload"
        )
    settings = _runtime.settings
    breaker = CircuitBreaker(_runtime.exchange.breaker_memory, settings)
    client = EngineClient(_runtime.exchange, _runtime.worker_slot, breaker, settings.max_queue_size)
    redis_client = connect(settings.redis_url) if settings.redis_url else None
    cache = None
    if redis_client is not None and settings.cache_enabled:
        decoding = f"l{settings.max_decoding_length}i{settings.max_input_tokens}"
        cache = TranslationCache(redis_client, _runtime.model.fingerprint, settings.cache_ttl_seconds, decoding)
    service = TranslationService(settings, _runtime.model, client, cache, _runtime.detector)
    gate = AccessGate(settings, _runtime.admin_token, open_store(settings, create=False), Limiter(_runtime.limits, redis_client))
    gate.start_usage_flusher()
    atexit.register(gate.flush_usage)
    return create_app(settings, service, _runtime.exchange.state, gate, breaker, _runtime.model)


def _language_detector(settings: Settings, model: ModelDirectory) -> LanguageDetector | None:
    if settings.lid_model_path is None:
        log.info("no LID_MODEL_PATH: source_lang \"auto\" and /detect are refused")
        return None
    if not settings.lid_model_path.is_file():
        raise ConfigError(f"LID_MODEL_PATH={settings.lid_model_path} is not a file")
    detector = LanguageDetector(settings.lid_model_path, model.languages)
    log.info("language identification model %s loaded: %d labels, %d of the %d languages of the translation model",
             detector.path, detector.labels, len(detector.known), len(model.languages))
    return detector


def _prepare_token_store(settings: Settings) -> None:
    """Create or migrate the token database before workers use it; fail early if it cannot be."""
    if settings.token_store != "sqlite":
        return
    from nllb.access.store import SqliteTokenStore

    store = SqliteTokenStore(settings.database)
    try:
        store.list()
    except Exception as exc:
        raise ConfigError(f"the token database {settings.database} cannot be used: {exc}") from None
    finally:
        store.close()


def _synthetic_model(data_dir: Path) -> Path:
    path = data_dir / "synthetic-tiny"
    if not (path / "model.bin").is_file():
        log.warning("MODEL_PATH is not set: writing a tiny synthetic model to %s", path)
        # In a child process: the master never imports CTranslate2.
        subprocess.run([sys.executable, "-m", "nllb", "model", "synth", "--size", "tiny", str(path)], check=True)
    return path


# Besides the exchange's: the listening socket, the model's files, logs, and
# the connections to Redis and the token database.
_OTHER_OPEN_FILES = 256


def _raise_open_file_limit(settings: Settings) -> None:
    """Each worker slot holds a pipe and an eventfd per thread, and every process holds them all (the engine
    uses them, workers inherit them): the soft limit goes up to the hard one, and a start that needs more than
    that is refused here, not by a failing os.eventfd()."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    need = Exchange.descriptors(settings.slot_count, settings.threads) + _OTHER_OPEN_FILES
    if hard != resource.RLIM_INFINITY and hard < need:
        raise ConfigError(
            f"{settings.slot_count} worker slots (WORKER_SLOTS; twice WORKERS={settings.workers} unless set) of "
            f"THREADS={settings.threads} need {need:,} open files, and this process may open {hard:,} "
            "(ulimit -n; LimitNOFILE= under systemd; --ulimit nofile= under Docker), besides one per client "
            "connection: lower THREADS or WORKERS, or raise the limit"
        )


def _use_nllb_process_titles() -> None:
    # gunicorn titles its processes "gunicorn: master [name]" and resets the
    # master's title after every hook has run; `ps` and systemd show "nllb: …".
    import gunicorn.util

    def title(name: str) -> None:
        setproctitle.setproctitle("nllb: " + name.split(" ")[0])

    gunicorn.util._setproctitle = title
