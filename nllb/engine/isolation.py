"""Poison isolation: a failed batch is retried in halves until the culprits stand alone.

Only a DeviceFault, CTranslate2 failing a call, counts as a failure here:
anything else is a bug in the engine, which ends it (the master starts a new
one) instead of opening the circuit breaker. Only a segment that fails on its own while others of its batch succeed is
blamed on its input. When nothing succeeds within a few attempts — about one
per halving, plus one — the device is blamed, and the whole batch fails
quickly instead of being retried segment by segment.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from nllb.engine.model import DeviceFault

T = TypeVar("T")
R = TypeVar("R")


@dataclasses.dataclass
class Isolated(Generic[T, R]):
    translated: list[tuple[T, R]] = dataclasses.field(default_factory=list)
    untranslatable: list[T] = dataclasses.field(default_factory=list)
    unfinished: list[T] = dataclasses.field(default_factory=list)
    device_error: Exception | None = None
    errors: int = 0
    first_fault: DeviceFault | None = None


def translate_isolating(translate: Callable[[Sequence[T]], list[R]], batch: Sequence[T]) -> Isolated[T, R]:
    result: Isolated[T, R] = Isolated()
    budget = math.ceil(math.log2(len(batch))) + 2 if len(batch) > 1 else 1
    pending: list[Sequence[T]] = [batch]
    while pending:
        part = pending.pop()
        if result.device_error is not None:
            result.unfinished.extend(part)
            continue
        try:
            outputs = translate(part)
        except DeviceFault as exc:
            result.errors += 1
            result.first_fault = result.first_fault or exc
            if not result.translated and result.errors >= budget:
                result.device_error = exc
                result.unfinished.extend(part)
            elif len(part) == 1:
                result.untranslatable.append(part[0])
            else:
                middle = len(part) // 2
                pending += [part[middle:], part[:middle]]  # the first half is tried first
            continue
        result.translated.extend(zip(part, outputs))
    if result.untranslatable and not result.translated:
        # Nothing in this batch worked: that is the device's doing, not the inputs'.
        result.device_error = result.device_error or _LastResort("every segment of the batch failed")
        result.unfinished += result.untranslatable
        result.untranslatable = []
    return result


class _LastResort(DeviceFault):
    pass
