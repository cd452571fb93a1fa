"""Every Prometheus metric of the service, in multiprocess mode.

Import this module only after PROMETHEUS_MULTIPROC_DIR is set (the master sets
it in on_starting): prometheus_client picks its storage when first imported.
Workers and the engine each write their own files; /metrics merges them.
Label values are bounded: languages the model does not know become "other".
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

# Workers.
requests_total = Counter(
    "translation_requests_total", "Translation requests answered, by outcome.",
    ["status", "source_lang", "target_lang", "cached"],
)
latency = Histogram(
    "translation_latency_seconds", "Time to answer a translation request.",
    ["source_lang", "target_lang", "quality"], buckets=_LATENCY,
)
segments_total = Counter("translation_segments_total", "Segments (sentences or their pieces) translated.")
characters_total = Counter("translation_characters_total", "Characters of source text translated.")
cache_hits = Counter("cache_hits_total", "Segments answered from the cache.")
cache_misses = Counter("cache_misses_total", "Segments not found in the cache.")
detections = Counter("language_detections_total", "Texts whose language was identified, by language.", ["language"])
detection_refusals = Counter("language_detection_refusals_total",
                             "Texts refused because no language was identified with enough confidence.")
rate_limited = Counter("rate_limit_exceeded_total", "Requests refused by a rate limit.", ["token_name"])

# The engine.
batch_size = Histogram("batch_size", "Segments per device batch.", buckets=_SIZES)
batch_tokens = Histogram("batch_source_tokens", "Source tokens per device batch.",
                         buckets=(16, 64, 256, 1024, 2048, 4096, 8192, 16384, 32768))
device_seconds = Histogram("batch_device_seconds", "Device time per batch (translate_batch).", buckets=_LATENCY)
queue_wait = Histogram("queue_wait_seconds", "Time a segment waits in the engine before its batch starts.",
                       buckets=_LATENCY)
source_tokens = Counter("source_tokens_total", "Source tokens sent to the device.")
target_tokens = Counter("target_tokens_total", "Target tokens produced by the device.")
batch_failures = Counter("batch_failures_total", "Batches the device failed, by who was blamed.", ["cause"])
device_out_of_memory = Counter("device_out_of_memory_total",
                                "Device calls that ran out of memory (batches after them are kept smaller).")
cohort_return = Histogram(
    "cohort_return_seconds", "From a batch's end until as many requests as it answered have arrived again "
    "(how long the clients it answered take to come back).", buckets=_LATENCY)
