"""Request descriptors on a pipe: one pipe per worker, read by the engine.

A descriptor is a small fixed-size record, far under PIPE_BUF, so the kernel
writes it atomically: a worker killed by SIGKILL mid-request leaves either a
whole descriptor or none, and never wedges the pipes of other workers.
"""

from __future__ import annotations

import dataclasses
import os
import struct

_RECORD = struct.Struct("<HHIqIIHxxxxxxd32s")


@dataclasses.dataclass(frozen=True)
class Descriptor:
    request_slot: int
    epoch: int
    generation: int
    segments: int
    target_token: int
    beam_size: int
    deadline: float  # time.monotonic(), which is system-wide on Linux
    request_id: str

    size = _RECORD.size

    def pack(self) -> bytes:
        return _RECORD.pack(
            self.request_slot, 0, self.epoch, self.generation, self.segments,
            self.target_token, self.beam_size, self.deadline,
            self.request_id.encode("ascii", "replace")[:32],
        )

    @classmethod
    def unpack_many(cls, data: bytes) -> list["Descriptor"]:
        return [
            cls(slot, epoch, generation, segments, target, beam, deadline,
                rid.rstrip(b"\0").decode("ascii", "replace"))
            for slot, _, epoch, generation, segments, target, beam, deadline, rid in _RECORD.iter_unpack(data)
        ]


class ChannelReader:
    """The engine's end: non-blocking reads of whole descriptors."""

    def __init__(self, fd: int):
        self.fd = fd
        os.set_blocking(fd, False)
        self._partial = b""

    def read(self) -> list[Descriptor]:
        try:
            data = os.read(self.fd, Descriptor.size * 512)
        except BlockingIOError:
            return []
        data = self._partial + data
        whole = len(data) - len(data) % Descriptor.size
        self._partial = data[whole:]
        return Descriptor.unpack_many(data[:whole])
