"""Shared memory backed by memfd rather than /dev/shm.

An anonymous memory file has no name, so there is nothing to unlink and nothing
to leak: it is freed when the last process holding it exits, even when the
master is killed with SIGKILL. Workers inherit the mapping through fork; the
engine, a fresh interpreter, receives the descriptor. It also escapes the small
/dev/shm that containers get by default, and multiprocessing's resource tracker
never sees it.
"""

from __future__ import annotations

import mmap
import os


class SharedMemory:
    def __init__(self, fd: int, size: int):
        self.fd = fd
        self.size = size
        self.buffer = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    @classmethod
    def create(cls, name: str, size: int) -> "SharedMemory":
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
        os.ftruncate(fd, size)
        return cls(fd, size)
