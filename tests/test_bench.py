"""`nllb bench`'s own measurements: what its raw ceiling runs, and how it times it."""

import json
import re
import subprocess
import sys

import pytest

from nllb import cli
from nllb.config import Settings
from nllb.tools.bench import SENTENCES, TARGET, RawCeiling


def test_the_raw_ceiling_leaves_the_first_call_at_each_batch_size_out_of_its_timing():
    ceiling = RawCeiling.__new__(RawCeiling)
    seen = set()

    def run(batch: int, first: int = 0) -> tuple[float, int]:
        """10 ms a call, but the first at a new size takes a second (caches growing)."""
        took = 0.01 if batch in seen else 1.0
        seen.add(batch)
        return took, batch

    ceiling.run, ceiling.warmed = run, set()
    assert ceiling.rate(8, seconds=0.05)["sentences_per_s"] == pytest.approx(800)
    assert ceiling.rate(1, seconds=0.05)["sentences_per_s"] == pytest.approx(100)
    assert ceiling.rate(8, seconds=0.05)["sentences_per_s"] == pytest.approx(800)


def test_no_lone_requests_is_refused_before_anything_starts(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["bench", "--model", "/nonexistent", "--lone-requests", "0"])
    assert exit_.value.code == 2
    assert "--lone-requests: must be at least 1" in capsys.readouterr().err


def test_the_raw_ceiling_decodes_the_rows_the_service_sends_its_engine_for_each_text(app, tiny_model):
    ceiling = RawCeiling(tiny_model, Settings(), "fast")
    vocabulary, token = app.model.vocabulary, app.create_token()
    for (language, text), rows in zip(SENTENCES, ceiling.rows):
        assert app.translate(token, text, source=language, target=TARGET).status_code == 200
        [job] = app.engine.jobs[-1:]
        assert [[vocabulary[i] for i in source] for source in job.sources] == [tokens for tokens, _ in rows]
        assert list(job.limits) == [limit for _, limit in rows]


def bench_report(tiny_model, *args: str) -> list[str]:
    """`nllb bench` on the tiny model for a second, one worker on the CPU: its report's lines."""
    result = subprocess.run(
        [sys.executable, "-m", "nllb", "bench", "--model", str(tiny_model), "--duration", "1", "--lone-requests", "1",
         "--workers", "1", "--set", "COMPUTE_TYPE=float32", "--set", "INTRA_THREADS=1",
         "--set", "MAX_DECODING_LENGTH=8", *args],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.parametrize("setting, said", [("true", "each on a core of its own"), ("false", "free to move between cores")])
def test_the_report_says_whether_the_workers_ran_on_cores_of_their_own(tiny_model, setting, said):
    lines = bench_report(tiny_model, "--concurrency", "1", "--threads", "2", "--set", f"PIN_WORKERS={setting}")
    assert f"1 workers x 2 threads ({said})" in lines[0]


def test_the_report_says_how_requests_failed(tiny_model):
    # A one-segment queue with eight clients: the engine refuses some requests as overloaded (503).
    lines = bench_report(tiny_model, "--concurrency", "8", "--threads", "8", "--set", "MAX_QUEUE_SIZE=1")
    [row] = [line for line in lines if line.startswith("| 8 |")]
    errors = row.rstrip(" |").rsplit("| ", 1)[1]
    assert re.fullmatch(r"(\d+) \(status 503: \1\)", errors), row


def test_a_lone_request_is_timed_against_its_own_device_call_too(tiny_model):
    lines = bench_report(tiny_model, "--concurrency", "1", "--lone-requests", "5")
    found = re.search(r"server p50 ([\d.]+) ms.*over its own device call \(([\d.]+) ms p50\) (-?[\d.]+) ms", lines[1])
    assert found, lines[1]
    served, device, overhead = map(float, found.groups())
    assert 0 < device < served and 0 < overhead < served


def test_without_the_engines_batch_lines_the_report_says_why_it_has_no_own_device_figure(tiny_model):
    lines = bench_report(tiny_model, "--concurrency", "1", "--set", "LOG_FORMAT=text")
    assert "over its own device call: not measured" in lines[1]


def test_each_level_takes_turns_between_the_raw_ceiling_and_the_service_and_reports_the_median_round(
        tiny_model, tmp_path):
    out = tmp_path / "bench.json"
    lines = bench_report(tiny_model, "--concurrency", "2", "--threads", "2", "--rounds", "3", "--out", str(out))
    [level] = json.loads(out.read_text())["server"]
    rounds = level["rounds"]
    assert [r["raw_first"] for r in rounds] == [True, False, True]
    ratios = [r["ratio_to_raw"] for r in rounds]
    assert level["ratio_to_raw"] == sorted(ratios)[1]
    median = rounds[ratios.index(level["ratio_to_raw"])]
    assert level["sentences_per_s"] == median["sentences_per_s"]
    [row] = [line for line in lines if line.startswith("| 2 |")]
    cells = [cell.strip() for cell in row.split("|")]
    assert float(cells[4]) == pytest.approx(median["raw_sentences_per_s"], abs=0.05)
    assert cells[5] == f"{level['ratio_to_raw']:.2f} ({' / '.join(f'{r:.2f}' for r in ratios)})"
    batch_ms, raw_call_ms = re.fullmatch(r"([\d.]+) \(([\d.]+)\)", cells[9]).groups()  # device ms a batch, raw's call
    assert float(batch_ms) == pytest.approx(level["batch_device_ms"], abs=0.05) and float(raw_call_ms) > 0
