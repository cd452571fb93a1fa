"""GET /metrics: every process's metrics merged, plus live state from shared memory."""

from __future__ import annotations

import falcon
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from nllb.ipc import CircuitBreaker, EngineState, EngineStatus


class LiveStateCollector:
    """Values that are current at scrape time, read from shared memory rather than files."""

    def __init__(self, state: EngineState, breaker: CircuitBreaker, queue_limit: int):
        self.state = state
        self.breaker = breaker
        self.queue_limit = queue_limit

    def collect(self):
        yield GaugeMetricFamily("circuit_breaker_state", "0 closed, 1 open, 2 half-open.", value=int(self.breaker.state))
        yield GaugeMetricFamily("translation_queue_depth", "Segments waiting in the engine.", value=self.state.queue_depth)
        yield GaugeMetricFamily("translation_queue_limit", "MAX_QUEUE_SIZE.", value=self.queue_limit)
        yield GaugeMetricFamily("model_loaded", "1 when the engine has the model loaded and serves.",
                                value=1 if self.state.status == EngineStatus.READY else 0)
        yield CounterMetricFamily("engine_restarts", "Engine processes started after the first.", value=self.state.restarts)
        yield CounterMetricFamily("circuit_breaker_opened", "Times the circuit breaker opened.",
                                  value=self.breaker.status()["times_opened"])


class MetricsResource:
    def __init__(self, state: EngineState, breaker: CircuitBreaker, queue_limit: int, auth: str):
        self.live = LiveStateCollector(state, breaker, queue_limit)
        if auth == "admin":
            self.auth = "admin"

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(self.live)
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = generate_latest(registry)
