"""`nllb bench-cache`'s baseline: what it runs must be the bare app alone."""

import time
from pathlib import Path

from nllb.tools.bench_cache import BareFalcon
from nllb.tools.harness import process_table, request


def test_the_baseline_is_stock_gunicorn_without_nllbs_configuration(tmp_path, monkeypatch):
    # Run from a checkout of nllb, as the benchmarks are: gunicorn reads ./gunicorn.conf.py unless told otherwise,
    # and nllb's hooks then started an engine beside the baseline while it was being measured.
    monkeypatch.chdir(Path(__file__).parent.parent)
    bare = BareFalcon(workers=2, threads=4, log=tmp_path / "bare.log")
    try:
        assert request(bare.port, "POST", "/translate", body=b"{}").status == 200
        end = time.monotonic() + 10
        # A new worker shows its master's title until it sets its own, a moment after the fork: wait for that,
        # and for nothing else to be there (an engine beside them would be a third kind).
        while (roles := sorted(row["title"].split(" ")[1] for row in process_table(bare.process.pid).values())) != [
                "master", "worker", "worker"]:
            assert time.monotonic() < end, roles
            time.sleep(0.1)
    finally:
        bare.stop()
