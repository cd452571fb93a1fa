"""How workers and the engine talk: shared memory for text, pipes for descriptors.

Everything here is created by the gunicorn master before any worker forks;
workers inherit it through fork and the engine receives it as file
descriptors. The rest of the service sees only what this module exports: the
engine's state and the circuit breaker (records every process reads), the
exchange the master creates, the worker's client, and the board on which
workers share how many connections each holds. Slots, descriptors and
the engine's inbox are this package's own business.
"""

from nllb.ipc.breaker import BreakerState, CircuitBreaker
from nllb.ipc.client import EngineClient
from nllb.ipc.connections import ConnectionBoard
from nllb.ipc.exchange import Exchange
from nllb.ipc.state import EngineState, EngineStatus

__all__ = [
    "BreakerState", "CircuitBreaker", "ConnectionBoard", "EngineClient", "EngineState", "EngineStatus", "Exchange",
]
