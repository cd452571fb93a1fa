"""A request's log line through nllb's handler and JSON formatter (to /dev/null): CPU per line, with logging's
defaults and after logs.configure(); alternating, six rounds."""
import logging, os, time
from nllb import logs
from nllb.config import Settings

fd = os.open("/dev/null", os.O_WRONLY)
log = logging.getLogger("nllb.request")
fields = {"event": "request", "request_id": "a" * 32, "method": "POST", "path": "/translate", "status": 200,
          "latency_ms": 250.12, "token": "harness", "source_lang": "eng_Latn", "target_lang": "fra_Latn",
          "quality": "fast", "characters": 80, "segments": 1, "cached_segments": 0}
defaults = (logging._srcfile, logging.logThreads, logging.logMultiprocessing)

def measure(n=50000):
    c = time.thread_time()
    for _ in range(n):
        log.info("%s %s %d", "POST", "/translate", 200, extra={"fields": fields})
    return (time.thread_time() - c) / n * 1e6

for round in range(6):
    logging._srcfile, logging.logThreads, logging.logMultiprocessing = defaults
    root = logging.getLogger(); h = logs.LineHandler(fd); h.setFormatter(logs.JsonFormatter())
    root.handlers[:] = [h]; root.setLevel("INFO")
    before = measure()
    logs.configure(Settings.from_env({"LOG_FORMAT": "json"}))
    logging.getLogger().handlers[0].fd = fd
    after = measure()
    print(f"round {round + 1}: logging's defaults {before:.1f} us per line, after logs.configure {after:.1f} us")
