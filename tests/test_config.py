"""Settings come from the environment, and a bad value is refused with a clear message."""

import os
from pathlib import Path

import pytest

from nllb import config
from nllb.config import ConfigError, Settings


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert s.model_path is None and s.device == "auto" and s.device_index == (0,)
    assert s.max_texts == 128 and s.max_text_chars == 20_000
    assert s.slot_count == 2 * s.workers


def test_values_are_parsed():
    s = Settings.from_env({
        "MODEL_PATH": "/models/nllb", "DEVICE": "CUDA", "DEVICE_INDEX": "0,1",
        "MAX_BATCH_SIZE": "64", "BATCH_TIMEOUT_MS": "2.5", "HOST": "::1", "PORT": "9000",
    })
    assert s.model_path == Path("/models/nllb")
    assert s.device == "cuda" and s.device_index == (0, 1)
    assert s.max_batch_size == 64 and s.batch_timeout_ms == 2.5
    assert s.bind == "[::1]:9000"


@pytest.mark.parametrize("value, meaning", [("AUTO", "auto"), ("yes", "true"), ("0", "false"), ("", "auto")])
def test_pin_workers_is_auto_unless_told_true_or_false(value, meaning):
    assert Settings.from_env({"PIN_WORKERS": value}).pin_workers == meaning


@pytest.mark.parametrize("name, value, message", [
    ("DEVICE", "tpu", "DEVICE='tpu' is not valid: expected one of auto, cuda, cpu"),
    ("MAX_BATCH_SIZE", "0", "MAX_BATCH_SIZE='0' is not valid: expected at least 1"),
    ("WORKERS", "two", "WORKERS='two' is not valid: expected a whole number"),
    ("DEVICE_INDEX", "0,0", "DEVICE_INDEX='0,0' is not valid: expected distinct device numbers"),
    ("BATCH_TIMEOUT_MS", "nan", "BATCH_TIMEOUT_MS='nan' is not valid"),
    ("PORT", "70000", "PORT='70000' is not valid: expected a number from 1 to 65535"),
    ("PIN_WORKERS", "sometimes", "PIN_WORKERS='sometimes' is not valid: expected auto, true or false"),
])
def test_bad_values_name_the_variable_and_what_it_accepts(name, value, message):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({name: value})
    assert str(caught.value).startswith(message)


def test_on_a_gpu_box_a_worker_per_core_counts_the_cores_this_process_may_use(monkeypatch, tmp_path):
    device = tmp_path / "nvidiactl"
    device.touch()
    monkeypatch.setattr(config, "_GPU_DEVICE_FILES", (str(device),))
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        settings = Settings.from_env({})
    finally:
        os.sched_setaffinity(0, before)
    assert (settings.workers, settings.threads) == (1, 256)


def test_fewer_worker_slots_than_workers_is_refused():
    with pytest.raises(ConfigError, match="WORKER_SLOTS=2 is fewer than WORKERS=4"):
        Settings.from_env({"WORKERS": "4", "WORKER_SLOTS": "2"})


def test_every_setting_is_read_from_a_variable():
    import dataclasses

    from nllb.config import _VARIABLES

    assert {f.name for f in dataclasses.fields(Settings)} == set(_VARIABLES)


def test_secrets_are_not_shown_in_errors_or_reprs():
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"REDIS_URL": "http://user:hunter2@host"})
    assert "hunter2" not in str(caught.value)
    assert "s3cret-admin" not in repr(Settings.from_env({"ADMIN_TOKEN": "s3cret-admin-token-value-long"}))
