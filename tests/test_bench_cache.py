"""`nllb bench-cache`: what its baseline runs (the bare app alone), and how the two are paired."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

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


def test_each_level_takes_turns_between_the_service_and_the_baseline_and_reports_the_median_ratio(tmp_path):
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, "-m", "nllb", "bench-cache", "--concurrency", "2", "--duration", "1.5", "--rounds", "3",
         "--workers", "1", "--threads", "2", "--clients", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == 0, result.stderr
    [level] = json.loads(out.read_text())["runs"]
    served, baseline = level["rounds"]["service"], level["rounds"]["bare_falcon"]
    assert len(served) == len(baseline) == 3
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in served + baseline)
    ratios = [s["requests_per_s"] / b["requests_per_s"] for s, b in zip(served, baseline)]
    assert level["ratios"] == pytest.approx(ratios)
    assert level["ratio"] == pytest.approx(sorted(ratios)[1])
    assert level["service"]["requests"] == sum(r["requests"] for r in served)
    assert level["service"]["requests_per_s"] == pytest.approx(level["service"]["requests"] / 1.5)
    assert " in 3 rounds taking turns" in result.stdout
    assert " / ".join(f"{r:.2f}" for r in ratios) in result.stdout
