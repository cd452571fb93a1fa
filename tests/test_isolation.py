"""A failing batch is split until only the poisoned segments fail."""

import pytest

from nllb.config import Settings
from nllb.engine.isolation import translate_isolating
from nllb.engine.model import DeviceFault, Model


class Device:
    def __init__(self, poison=(), broken=False):
        self.poison = set(poison)
        self.broken = broken
        self.calls = 0

    def __call__(self, part):
        self.calls += 1
        if self.broken or self.poison & set(part):
            raise DeviceFault("RuntimeError: CUDA error: an illegal memory access was encountered")
        return [f"t({x})" for x in part]


def test_a_healthy_batch_is_translated_in_one_call():
    device = Device()
    result = translate_isolating(device, list(range(8)))
    assert result.translated == [(i, f"t({i})") for i in range(8)]
    assert device.calls == 1 and result.device_error is None


def test_only_the_poisoned_segment_fails_and_the_rest_succeed():
    device = Device(poison={13})
    result = translate_isolating(device, list(range(64)))
    assert result.untranslatable == [13]
    assert sorted(x for x, _ in result.translated) == [i for i in range(64) if i != 13]
    assert result.device_error is None
    assert device.calls <= 2 * 7 + 1


def test_several_poisoned_segments_are_each_isolated():
    result = translate_isolating(Device(poison={0, 31, 63}), list(range(64)))
    assert sorted(result.untranslatable) == [0, 31, 63]
    assert len(result.translated) == 61 and result.device_error is None


def test_a_broken_device_fails_the_batch_quickly_and_is_blamed():
    device = Device(broken=True)
    result = translate_isolating(device, list(range(256)))
    assert result.device_error is not None
    assert sorted(result.unfinished) == list(range(256)) and not result.untranslatable
    assert device.calls <= 10


def test_a_batch_that_fails_once_and_then_in_parts_succeeds_keeps_what_went_wrong():
    calls = []

    def out_of_memory_once(part):
        calls.append(len(part))
        if len(calls) == 1:
            raise DeviceFault("RuntimeError: CUDA failed with error out of memory", out_of_memory=True)
        return [f"t({x})" for x in part]

    result = translate_isolating(out_of_memory_once, list(range(8)))
    assert sorted(result.translated) == [(i, f"t({i})") for i in range(8)]
    assert calls == [8, 4, 4] and result.errors == 1 and not result.untranslatable and result.device_error is None
    assert result.first_fault.out_of_memory and "out of memory" in str(result.first_fault)


def test_a_lone_segment_that_fails_counts_against_the_device():
    result = translate_isolating(Device(poison={7}), [7])
    assert result.device_error is not None and result.unfinished == [7]


def test_a_bug_in_the_engine_is_not_blamed_on_inputs_or_the_device():
    def buggy(part):
        raise TypeError("translate_batch() got an unexpected keyword argument")

    with pytest.raises(TypeError):
        translate_isolating(buggy, list(range(8)))


def test_what_ctranslate2_raises_is_a_device_fault(model_directory):
    model = Model(model_directory, Settings.from_env({"COMPUTE_TYPE": "float32", "INTRA_THREADS": "1"}))
    with pytest.raises(DeviceFault, match="beam size"):
        model.translate([["▁Hello", "</s>"]], [["fra_Latn"]], beam_size=0, limit=8)


@pytest.mark.parametrize("raised, out_of_memory", [
    (RuntimeError("CUDA failed with error out of memory"), True),
    (RuntimeError("HIP failed with error hipErrorOutOfMemory"), True),
    (MemoryError("std::bad_alloc"), True),
    (RuntimeError("mkl_malloc: failed to allocate memory"), True),
    (RuntimeError("CUDA failed with error an illegal memory access was encountered"), False),
])
def test_a_device_that_ran_out_of_memory_is_told_apart_from_other_faults(model_directory, raised, out_of_memory):
    model = Model(model_directory, Settings.from_env({"COMPUTE_TYPE": "float32", "INTRA_THREADS": "1"}))

    class Translator:
        def translate_batch(self, *args, **kwargs):
            raise raised

    model._translator = Translator()
    with pytest.raises(DeviceFault) as fault:
        model.translate([["▁Hello", "</s>"]], [["fra_Latn"]], beam_size=1, limit=8)
    assert fault.value.out_of_memory is out_of_memory
