"""The service at N in flight (closed loop), keeping its log: every batch line, for the gaps between batches."""
import os, shutil, sys, tempfile, time
from pathlib import Path
from nllb.tools.bench import drive, request_bodies
from nllb.tools.harness import Service



def main():
    model, out, concurrency = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    env = dict(a.split("=", 1) for a in sys.argv[4:])
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "service.log"
        service = Service(model, log, {"LOG_FORMAT": "json", "LOG_LEVEL": "info", **env})
        try:
            service.start()
            texts = int(os.environ.get("TEXTS", "1"))
            bodies = request_bodies(texts, "fast")
            drive(service.port, concurrency, 3.0, 8, bodies, service.headers, texts)
            mark = time.time()
            result = drive(service.port, concurrency, 8.0, 8, bodies, service.headers, texts)
            print(concurrency, "in flight:", round(result["sentences_per_s"], 1), "sentences/s; measured from", mark)
        finally:
            service.stop()
        shutil.copy(log, out)


if __name__ == "__main__":
    main()
