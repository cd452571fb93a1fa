"""The engine's main loop: read descriptors from every worker, batch, translate, answer.

The main thread takes requests in; one device thread per model replica takes
batches out of its own lane of the batcher; one answer thread writes results
into the slots. CTranslate2 releases the GIL while it translates, so intake
goes on during device work, the next batch is ready when the device is free,
and a device never waits while the answers of its last batch are written.
When nothing waits, the device thread writes its answers itself.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import signal
import sys
import threading
import time
from functools import partial

import setproctitle

from nllb import logs, metrics
from nllb.config import ConfigError, Settings
from nllb.engine.batcher import Batcher, Example
from nllb.engine.isolation import translate_isolating
from nllb.engine.model import DeviceFault, Model, ModelLoadError
from nllb.ipc.breaker import CircuitBreaker
from nllb.ipc.exchange import Exchange
from nllb.ipc.inbox import InboundRequest, Inbox
from nllb.ipc.slots import SlotStatus
from nllb.modeldir import ModelDirectory, ModelDirectoryError

log = logging.getLogger("nllb.engine")

# gunicorn halts the whole server when a child exits with 3 or 4 (its worker
# boot and app load errors), so the engine uses neither.
EXIT_LOAD_FAILED = 1
EXIT_CRASHED = 70
# After SIGTERM, how long workers must stay quiet before the engine exits.
_QUIET_SECONDS = 0.5


class Engine:
    def __init__(self, exchange: Exchange, model: Model, vocabulary: list[str], settings: Settings, epoch: int):
        self.exchange = exchange
        self.model = model
        self.epoch = epoch
        self.vocabulary = vocabulary
        self.token_ids = {token: i for i, token in enumerate(vocabulary)}
        self.unknown = self.token_ids["<unk>"]
        self.inbox = Inbox(exchange, epoch, len(vocabulary))
        self.batcher = Batcher(settings.max_batch_size, settings.max_batch_tokens, settings.batch_timeout_ms / 1000,
                               settings.max_batch_seconds, on_return=metrics.cohort_return.observe,
                               lanes=model.replicas)
        self._answers: queue.SimpleQueue = queue.SimpleQueue()  # finished batches, for the answer thread
        self._busy_lock = threading.Lock()
        self._breaker_lock = threading.Lock()
        self.breaker = CircuitBreaker(exchange.breaker_memory, settings)
        self.max_queue = settings.max_queue_size
        self._stopping = threading.Event()
        self._busy_devices = 0
        self._batch_started: dict[int, float] = {}  # device thread → when its running batch started
        self._parent = os.getppid()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        devices = [
            threading.Thread(target=_or_exit(partial(self._device_loop, i)), name=f"device-{i}", daemon=True)
            for i in range(self.model.replicas)
        ]
        answering = threading.Thread(target=_or_exit(self._answer_loop), name="answers", daemon=True)
        for thread in [*devices, answering]:
            thread.start()
        poller = select.poll()
        for fd in self.inbox.fds:
            poller.register(fd, select.POLLIN)
        last_intake = time.monotonic()
        state = self.exchange.state
        while os.getppid() == self._parent and not self._drained(last_intake):
            for fd, _ in poller.poll(200):
                for request in self.inbox.receive(fd):
                    last_intake = time.monotonic()
                    self._admit(request)
            state.queue_depth = len(self.batcher)
            # The heartbeat the master and workers watch: this loop runs at
            # least every 200 ms, and says since when the oldest batch runs.
            state.beat(min(self._batch_started.values(), default=0.0))
        self.batcher.close()
        for thread in devices:
            thread.join()
        self._answers.put(None)
        answering.join()

    def _drained(self, last_intake: float) -> bool:
        """After SIGTERM: true once nothing waits, nothing runs and workers went quiet.

        systemd and terminals signal the whole process group, so SIGTERM may
        reach the engine while workers still finish their last requests; the
        engine serves those before it exits.
        """
        return (
            self._stopping.is_set()
            and not len(self.batcher)
            and not self._busy_devices
            and time.monotonic() - last_intake > _QUIET_SECONDS
        )

    def _admit(self, request: InboundRequest) -> None:
        if len(self.batcher) + len(request.sources) > self.max_queue:
            self.inbox.finish(request, SlotStatus.OVERLOADED)
            return
        vocabulary = self.vocabulary
        target = vocabulary[request.target_token]
        self.batcher.put([
            Example(request, index, [vocabulary[i] for i in ids], target, request.beam_size, limit)
            for index, (ids, limit) in enumerate(zip(request.sources, request.output_limits))
        ])

    def _device_loop(self, lane: int) -> None:
        me = threading.get_ident()
        while (batch := self.batcher.take(lane)) is not None:
            self.exchange.state.queue_depth = len(self.batcher)
            with self._busy_lock:
                self._busy_devices += 1  # until its answers are written
            self._batch_started[me] = time.monotonic()
            # An exception here ends the engine (_or_exit): no cleanup on that path.
            finished = self._run_batch(batch, lane)
            del self._batch_started[me]
            if finished is not None and len(self.batcher):
                self._answers.put(finished)
                continue
            if finished is not None:
                # Nothing waits for this device: answering here spares the
                # hand-off to the answer thread, a wake-up on every lone request.
                self._deliver(*finished)
            with self._busy_lock:
                self._busy_devices -= 1

    def _answer_loop(self) -> None:
        while (finished := self._answers.get()) is not None:
            self._deliver(*finished)
            with self._busy_lock:
                self._busy_devices -= 1

    def _run_batch(self, batch: list[Example], lane: int) -> tuple | None:
        """Device work and the breaker's verdict; what to deliver, or None when nothing ran."""
        now = time.monotonic()
        batch = [e for e in batch if self._wanted(e, now)]
        # Device time spent on an answer that would come after its deadline is lost to everyone.
        self._fail(self.batcher.too_late(batch), SlotStatus.DEADLINE)
        batch = [e for e in batch if not e.request.finished]
        if not batch:
            return None
        with self._breaker_lock:
            admitted = self.breaker.admit()
        if not admitted:
            self._fail(batch, SlotStatus.CIRCUIT_OPEN)
            return None
        # Greedy batches mix length limits: decode to the longest, cut each at its own.
        limit = max(e.limit for e in batch)
        started = time.monotonic()
        result = translate_isolating(partial(self._translate, beam_size=batch[0].beam_size, limit=limit), batch)
        elapsed = time.monotonic() - started
        self.batcher.record(batch, elapsed, lane)
        if result.errors and result.device_error is None and not result.untranslatable:
            # No request saw it, so say it here: a device that fails now and then is worth knowing about.
            log.warning("a batch of %d segments failed on the device %d time(s) and was translated in parts; "
                        "the first failure: %s", len(batch), result.errors, result.first_fault)
        with self._breaker_lock:
            if result.device_error is None:
                self.breaker.succeeded()
            else:
                metrics.batch_failures.labels("device").inc()
                reason = str(result.device_error)
                log.error("device failure on a batch of %d segments: %s", len(batch), reason)
                self.breaker.failed(reason)
        return batch, result, started, elapsed, limit, lane

    def _translate(self, part: list[Example], beam_size: int, limit: int) -> list[list[str]]:
        try:
            return self.model.translate([e.tokens for e in part], [[e.target] for e in part], beam_size, limit)
        except DeviceFault as fault:
            if fault.out_of_memory:
                metrics.device_out_of_memory.inc()
                lowered = self.batcher.ran_out_of_memory(part)
                if lowered is not None:
                    log.warning("the device ran out of memory on a batch of %d segments (retried in parts); later "
                                "batches stay under %d hypothesis-positions (hypotheses x (longest source + steps))",
                                len(part), lowered)
            raise

    def _deliver(self, batch: list[Example], result, started: float, elapsed: float, limit: int, lane: int) -> None:
        """The answer thread: results into the slots, failures to their requests, then the books."""
        for example, output in result.translated:
            self.inbox.answer(example.request, example.index,
                              [self.token_ids.get(token, self.unknown) for token in output])
        for example in result.untranslatable:
            log.warning("request %s: a segment failed to translate on its own; the rest of its batch succeeded",
                        example.request.request_id)
        self._fail(result.untranslatable, SlotStatus.UNTRANSLATABLE)
        if result.untranslatable:
            metrics.batch_failures.labels("input").inc()
        self._fail(result.unfinished, SlotStatus.DEVICE_FAILED)
        self._observe(batch, result.translated, started, elapsed)
        log.info(
            "batch of %d segments", len(batch),
            extra={"fields": {
                "event": "batch", "segments": len(batch), "beam": batch[0].beam_size, "limit": limit,
                "device_ms": round(elapsed * 1000, 2), "replica": lane,
                "request_ids": sorted({e.request.request_id for e in batch}),
            }},
        )

    @staticmethod
    def _observe(batch: list[Example], translated: list, started: float, elapsed: float) -> None:
        metrics.batch_size.observe(len(batch))
        source = sum(len(e.tokens) for e in batch)
        metrics.batch_tokens.observe(source)
        metrics.device_seconds.observe(elapsed)
        for example in batch:
            metrics.queue_wait.observe(max(0.0, started - example.enqueued_at))
        metrics.source_tokens.inc(source)
        metrics.target_tokens.inc(sum(len(output) for _, output in translated))

    def _wanted(self, example: Example, now: float) -> bool:
        """Still awaited, and not expired."""
        return example.request.deadline > now and self.inbox.awaited(example.request)

    def _fail(self, examples: list[Example], status: int) -> None:
        for request in {id(e.request): e.request for e in examples}.values():
            self.inbox.finish(request, status)


def _or_exit(loop):
    """A device or answer loop that ends the engine if it fails: a silent dead thread would leave
    every later request waiting until its deadline, while a dead engine is replaced at once."""

    def run() -> None:
        try:
            loop()
        except BaseException:
            log.exception("engine thread %s crashed", threading.current_thread().name)
            logging.shutdown()
            os._exit(EXIT_CRASHED)

    return run


def main(argv: list[str]) -> int:
    """Entry point of `python -m nllb.engine DESCRIPTION`, started by the master."""
    # Ctrl-C in a terminal reaches the whole process group; the master decides
    # when the engine stops (SIGTERM), after the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    description = json.loads(argv[0])
    epoch = description["epoch"]
    exchange = Exchange.attach(description)
    state = exchange.state
    try:
        settings = Settings.from_env()
        logs.configure(settings)
        setproctitle.setproctitle("nllb: engine (loading)")
        directory = ModelDirectory.open(description["model_path"])
        model = Model(directory, settings)
    except (ConfigError, ModelDirectoryError, ModelLoadError) as exc:
        state.set_reason(f"model failed to load: {exc}")
        print(f"nllb engine: model failed to load: {exc}", file=sys.stderr, flush=True)
        return EXIT_LOAD_FAILED
    try:
        engine = Engine(exchange, model, directory.vocabulary, settings, epoch)
        signal.signal(signal.SIGTERM, lambda *_: engine.stop())
        placement = model.placement
        setproctitle.setproctitle(f"nllb: engine {placement.name}")
        warming = time.monotonic()
        model.warm_up(next(iter(directory.languages)).code)
        log.info("device warmed up in %.0f ms", (time.monotonic() - warming) * 1000)
        if state.epoch == epoch:
            state.set_ready(placement.name, placement.compute_type)
        log.info("model %s loaded on %s (%s), %d replica(s)", directory.path, placement.name, placement.compute_type, model.replicas)
        engine.run()
        return 0
    except Exception:
        log.exception("engine crashed")
        return EXIT_CRASHED
