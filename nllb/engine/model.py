"""CTranslate2 behind one small interface: load once, translate a batch of token lists."""

from __future__ import annotations

import dataclasses

from nllb.config import Settings
from nllb.modeldir import ModelDirectory


class ModelLoadError(RuntimeError):
    """The model could not be loaded; the message says what a person can do about it."""


@dataclasses.dataclass(frozen=True)
class Placement:
    device: str  # "cuda" or "cpu"; ROCm builds of CTranslate2 also say "cuda"
    device_index: tuple[int, ...]
    compute_type: str

    @property
    def name(self) -> str:
        if self.device == "cpu":
            return "cpu"
        return "cuda:" + ",".join(str(i) for i in self.device_index)


def place(settings: Settings) -> Placement:
    import ctranslate2

    device = settings.device
    gpus = ctranslate2.get_cuda_device_count()
    if device == "auto":
        device = "cuda" if gpus else "cpu"
    if device == "cuda":
        if not gpus:
            raise ModelLoadError("DEVICE=cuda but CTranslate2 sees no GPU (is this a CUDA or ROCm build of ctranslate2?)")
        missing = [i for i in settings.device_index if i >= gpus]
        if missing:
            raise ModelLoadError(f"DEVICE_INDEX names GPU {missing[0]}, but only {gpus} GPU(s) are visible")
    supported = ctranslate2.get_supported_compute_types(device)
    compute_type = settings.compute_type
    if compute_type == "auto":
        preferred = ("float16", "float32") if device == "cuda" else ("int8", "float32")
        compute_type = next(t for t in preferred if t in supported)
    elif compute_type not in supported and compute_type != "default":
        raise ModelLoadError(
            f"COMPUTE_TYPE={compute_type} is not supported on {device}; "
            f"this device supports: {', '.join(sorted(supported))}"
        )
    index = settings.device_index if device == "cuda" else (0,)
    return Placement(device, index, compute_type)


class DeviceFault(Exception):
    """CTranslate2 failed a batch: a device error, or an input it cannot translate (isolation tells which)."""

    def __init__(self, message: str, out_of_memory: bool = False):
        super().__init__(message)
        self.out_of_memory = out_of_memory


# What pybind11 turns CTranslate2's C++ exceptions into: std::runtime_error and
# CUDA/HIP errors, std::invalid_argument and friends, std::out_of_range,
# std::overflow_error, std::bad_alloc. A TypeError or AttributeError is a bug in
# the call itself, and is let through to crash the engine instead.
_CTRANSLATE2_ERRORS = (RuntimeError, ValueError, IndexError, OverflowError, MemoryError)


class Model:
    def __init__(self, directory: ModelDirectory, settings: Settings):
        import ctranslate2

        self.placement = place(settings)
        self.replicas = len(self.placement.device_index) * settings.inter_threads
        try:
            self._translator = ctranslate2.Translator(
                str(directory.path),
                device=self.placement.device,
                device_index=list(self.placement.device_index),
                compute_type=self.placement.compute_type,
                inter_threads=settings.inter_threads,
                intra_threads=settings.intra_threads,
            )
        except (RuntimeError, ValueError) as exc:
            raise ModelLoadError(f"CTranslate2 could not load {directory.path}: {exc}") from exc

    def warm_up(self, language: str) -> None:
        """A few short translations on every replica, before the engine says it is ready: the device's
        start-up (15 s on a fresh H100, for CUDA's libraries and kernels) is paid here, not by the first
        requests — nor taught to the cost model as the price of a batch."""
        rows = 4
        self._translator.translate_batch(
            [[language, "</s>"]] * (rows * self.replicas), target_prefix=[[language]] * (rows * self.replicas),
            beam_size=1, max_decoding_length=8, max_batch_size=rows,
        )

    def translate(
        self, sources: list[list[str]], prefixes: list[list[str]], beam_size: int, limit: int
    ) -> list[list[str]]:
        """Translate one batch; each hypothesis comes back without its language prefix."""
        try:
            results = self._translator.translate_batch(
                sources,
                target_prefix=prefixes,
                beam_size=beam_size,
                # The target-language prefix counts towards CTranslate2's length.
                max_decoding_length=limit + 1,
                max_batch_size=0,
            )
        except _CTRANSLATE2_ERRORS as exc:
            raise DeviceFault(f"{type(exc).__name__}: {exc}", out_of_memory=_out_of_memory(exc)) from exc
        return [result.hypotheses[0][1:] for result in results]


def _out_of_memory(exc: Exception) -> bool:
    """Whether the device (or the host, on a CPU) ran out of memory: CUDA says "CUDA failed with error out of
    memory", HIP's own name for it is hipErrorOutOfMemory; on a CPU an allocation raises std::bad_alloc, or
    "mkl_malloc: failed to allocate memory" where CTranslate2 allocates through MKL."""
    said = str(exc).lower().replace(" ", "")
    return isinstance(exc, MemoryError) or "outofmemory" in said or "failedtoallocate" in said
