"""The master's care of PROMETHEUS_MULTIPROC_DIR: a clean start, and the dead put away.

Every process writes its own files (`counter_<pid>.db`, …). When a worker or an
engine dies, its counters and histograms are added into one archive file per
type and its files removed, so totals never go backwards and files do not
pile up as workers are recycled; its live gauges are dropped.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
# A private directory is named after its master, so one left by a master that
# was killed (SIGKILL leaves no chance to clean up) is known for stale later.
_PRIVATE_PREFIX = "nllb-metrics-"


def prepare(configured: str | None) -> Path:
    """Set PROMETHEUS_MULTIPROC_DIR to an empty directory, private unless one is configured."""
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for entry in path.glob("*.db"):
            entry.unlink()
    else:
        remove_stale(Path(tempfile.gettempdir()))
        path = Path(tempfile.mkdtemp(prefix=f"{_PRIVATE_PREFIX}{os.getpid()}-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def remove_stale(parent: Path) -> None:
    """Remove the private directories of masters that are no longer running."""
    for entry in parent.glob(f"{_PRIVATE_PREFIX}*-*"):
        pid = entry.name[len(_PRIVATE_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and entry.is_dir() and entry.stat().st_uid == os.getuid() and not _alive(int(pid)):
            shutil.rmtree(entry, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove(path: Path, created: bool) -> None:
    if created:
        shutil.rmtree(path, ignore_errors=True)


def archive_dead(path: Path, pid: int) -> None:
    """Fold a dead process's counters and histograms into the archive; drop its gauges."""
    from prometheus_client import multiprocess
    from prometheus_client.mmap_dict import MmapedDict

    with _lock:
        for kind in ("counter", "histogram"):
            dead = path / f"{kind}_{pid}.db"
            if not dead.exists():
                continue
            archive = path / f"{kind}_archive.db"
            totals: dict[str, float] = {}
            for source in (archive, dead):
                if source.exists():
                    for key, value, _, _ in MmapedDict.read_all_values_from_file(str(source)):
                        totals[key] = totals.get(key, 0.0) + value
            # Written aside and swapped in whole: a scrape never sees half of it.
            staging = path / f".{kind}_archive.tmp"
            merged = MmapedDict(str(staging))
            for key, value in totals.items():
                merged.write_value(key, value, 0.0)
            merged.close()
            os.replace(staging, archive)
            dead.unlink()
        multiprocess.mark_process_dead(pid, str(path))
