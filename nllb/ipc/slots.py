"""Request slots: fixed regions of shared memory that carry one request's tokens.

Each worker owns a group of slots, one per thread. A slot holds the source
token ids of a wave of segments and room for their translations; its header
carries two generation numbers. The worker bumps `generation` before it writes
a new request, the engine writes results only while the header still shows the
generation it was asked for, then sets `answered`. So a late answer to an
abandoned request is dropped, never read as the answer to the next one.
"""

from __future__ import annotations

import ctypes
import dataclasses


class SlotHeader(ctypes.Structure):
    _fields_ = [
        ("generation", ctypes.c_int64),
        ("answered", ctypes.c_int64),
        ("status", ctypes.c_int64),
    ]


class SlotStatus:
    OK = 0
    INVALID = 1  # the engine could not read the request (a bug, or a killed writer)
    UNTRANSLATABLE = 2  # a segment failed on its own while the rest of its batch succeeded
    DEVICE_FAILED = 3  # the device failed the whole batch
    CIRCUIT_OPEN = 4  # refused while the circuit breaker is open
    OVERLOADED = 5  # the engine's queue was full
    DEADLINE = 6  # the engine expected to finish after the request's deadline, and did not start it


@dataclasses.dataclass(frozen=True)
class SlotLayout:
    max_segments: int = 1024
    input_tokens: int = 16384
    output_tokens: int = 32768

    @property
    def _arrays(self) -> tuple[tuple[str, int], ...]:
        s = self.max_segments
        return (
            ("source_lengths", s),
            ("output_limits", s),
            ("output_lengths", s),
            ("source_ids", self.input_tokens),
            ("output_ids", self.output_tokens),
        )

    @property
    def nbytes(self) -> int:
        return ctypes.sizeof(SlotHeader) + 4 * sum(n for _, n in self._arrays)


class RequestSlot:
    """Live views over one slot, as C ints; writes are seen by every process at once.

    Memoryviews rather than numpy arrays: a request's few dozen numbers go in
    and out as `array("i")` and `tolist()`, which costs a worker less code per
    request than numpy's dispatch (docs/PERFORMANCE.md, session 28).
    """

    def __init__(self, buffer, offset: int, layout: SlotLayout):
        self.layout = layout
        self.header = SlotHeader.from_buffer(buffer, offset)
        offset += ctypes.sizeof(SlotHeader)
        memory = memoryview(buffer)
        for name, count in layout._arrays:
            setattr(self, name, memory[offset: offset + 4 * count].cast("i"))
            offset += 4 * count
