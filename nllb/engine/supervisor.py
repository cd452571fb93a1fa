"""Keeps one engine process running, from a thread of the gunicorn master.

The engine is a fresh interpreter, not a fork: the master never loads
CTranslate2, and no multiprocessing bookkeeping is inherited by workers, so a
recycled worker can never terminate the engine (gunicorn #1391, #2919).

It is started with posix_spawn rather than subprocess.Popen: Popen waits on a
pipe until the child has exec'd, and a worker that gunicorn forks from the main
thread at that moment inherits the pipe's write end and blocks the supervisor
for the worker's whole life. Its death is seen through a pidfd, which works
even when gunicorn's own waitpid(-1) reaps the engine first.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from nllb.ipc.exchange import Exchange

log = logging.getLogger("nllb.supervisor")

FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 60.0
# An engine that served this long has earned a fresh back-off.
STABLE_SECONDS = 60.0


class EngineSupervisor:
    def __init__(self, exchange: Exchange, model_path: Path, clean_exit_delay: float,
                 on_exit: Callable[[int], None] = lambda pid: None):
        self.exchange = exchange
        self.on_exit = on_exit
        self.model_path = model_path
        self.clean_exit_delay = clean_exit_delay
        self._stopping = threading.Event()
        self._pid: int | None = None
        self._thread = threading.Thread(target=self._supervise, name="nllb-engine-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """SIGTERM the engine, let its batches finish, then SIGKILL what is left."""
        self._stopping.set()
        pid = self._pid
        if pid is not None:
            try:
                pidfd = os.pidfd_open(pid)
            except ProcessLookupError:
                pidfd = None
            if pidfd is not None:
                try:
                    os.kill(pid, signal.SIGTERM)
                    if not _exited(pidfd, timeout):
                        log.warning("engine did not stop within %.0f s; killing it", timeout)
                        os.kill(pid, signal.SIGKILL)
                        _exited(pidfd, 5)
                finally:
                    _reap(pidfd)
                    os.close(pidfd)
        self._thread.join(timeout=5)

    def _supervise(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        while not self._stopping.is_set():
            started = time.monotonic()
            pid = self._spawn()
            code, stall = self._wait_for_exit(pid)
            self.on_exit(pid)
            if self._stopping.is_set():
                return
            state = self.exchange.state
            if stall:
                reason = f"engine replaced: {stall}"
            elif state.reason.startswith("model failed"):
                reason = state.reason
            else:
                reason = _describe_exit(code)
            state.set_down(reason)
            if time.monotonic() - started > STABLE_SECONDS:
                backoff = FIRST_BACKOFF_SECONDS
            if code == 0:
                # A clean exit means the engine was sent SIGTERM, usually with
                # the whole process group as the service stops (a process
                # manager that signals the group, `kill -- -PGID`, GNU timeout):
                # give the master its graceful timeout to say so before loading
                # the model again, and call it a failure only if it does not.
                delay = max(backoff, self.clean_exit_delay)
                log.info("engine (pid %d) exited after SIGTERM; unless the service is stopping, "
                         "a new one starts in %.0f s", pid, delay)
                if self._stopping.wait(delay):
                    return
                log.error("engine (pid %d) stopped: %s, and the service did not; restarting", pid, reason)
            else:
                log.error("engine (pid %d) stopped: %s; restarting in %.0f s", pid, reason, backoff)
                if self._stopping.wait(backoff):
                    return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _spawn(self) -> int:
        state = self.exchange.state
        epoch = state.begin_epoch()
        description = dict(self.exchange.describe(), epoch=epoch, model_path=str(self.model_path))
        self._pid = os.posix_spawn(
            sys.executable, [sys.executable, "-m", "nllb.engine", json.dumps(description)], os.environ
        )
        log.info("engine started (pid %d, epoch %d)", self._pid, epoch)
        return self._pid

    def _wait_for_exit(self, pid: int) -> tuple[int | None, str | None]:
        """Block until the engine exits (or we stop): its exit code if we reaped it, and why we killed it.

        A wedged engine (stopped, deadlocked, or stuck on a hung device) is
        killed: SIGKILL works on a stopped process and needs no cooperation.
        """
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return None, None  # already gone, and reaped
        stall = None
        try:
            while not self._stopping.is_set():
                if _exited(pidfd, 0.5):
                    return _reap(pidfd), stall
                if stall is None and (stall := self.exchange.state.stall()):
                    log.error("engine (pid %d) is wedged: %s; killing it", pid, stall)
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            return None, stall
        finally:
            os.close(pidfd)


def _exited(pidfd: int, timeout: float) -> bool:
    """Whether the process exits within `timeout` seconds. poll(), not select(): the master holds an eventfd
    per worker thread, so its pidfd's number is in the thousands, past what select() can watch."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _reap(pidfd: int) -> int | None:
    try:
        result = os.waitid(os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
    except ChildProcessError:
        return None  # reaped by gunicorn's waitpid(-1): the status is lost
    if result is None:
        return None
    return -result.si_status if result.si_code in (os.CLD_KILLED, os.CLD_DUMPED) else result.si_status


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "engine exited"
    if code < 0:
        return f"engine killed by signal {-code}"
    return f"engine exited with code {code}"
