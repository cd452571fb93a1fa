"""Uncached POST /translate through the worker's Falcon app in this process (EchoEngine, no Redis): median CPU per request (x n), after PAUSE_MS asleep."""
import cProfile, io, json, os, pstats, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, "tests")
import inprocess
from nllb.modeldir import ModelDirectory
from nllb.tools.bench import SENTENCES, TARGET

model = ModelDirectory.open(sys.argv[1]); n = int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tmp)
    app = inprocess.make_app(model, Path(tmp))
    token = app.create_token("p", rate_limit={"requests": 10**9, "window_seconds": 60})
    wsgi = app.client.app
    bodies = [json.dumps({"text": t, "source_lang": l, "target_lang": TARGET, "quality": "fast"}).encode()
              for l, t in SENTENCES]

    def environ(body):
        return {"REQUEST_METHOD": "POST", "PATH_INFO": "/translate", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
                "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
                "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
                "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
                "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
                "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_HOST": "127.0.0.1:8000",
                "HTTP_USER_AGENT": "bench", "HTTP_ACCEPT": "*/*", "nllb.arrived": time.monotonic()}

    status = []
    def start_response(s, headers, exc_info=None):
        status.append(s)

    pause = float(os.environ.get("PAUSE_MS", "0")) / 1000
    def run(k):
        each = []
        for i in range(k):
            if pause and os.environ.get("SPIN"):
                end = time.perf_counter() + pause
                while time.perf_counter() < end:
                    pass
            elif pause:
                time.sleep(pause)
            c = time.thread_time()
            b"".join(wsgi(environ(bodies[i % len(bodies)]), start_response))
            each.append(time.thread_time() - c)
        import statistics
        return statistics.median(each) * k
    run(300)
    import gc
    stats = {"n": [0, 0, 0], "t": [0.0, 0.0, 0.0]}
    began = {}
    def watch(phase, info):
        if phase == "start":
            began["t"] = time.perf_counter()
        else:
            g = info["generation"]; stats["n"][g] += 1; stats["t"][g] += time.perf_counter() - began["t"]
    gc.callbacks.append(watch)
    if os.environ.get("GC") == "freeze":
        gc.freeze()
    elif os.environ.get("GC") == "off":
        gc.disable()
    print("tracked objects", len(gc.get_objects()), "frozen", gc.get_freeze_count())
    assert status[-1].startswith("200"), status[-1]
    for _ in range(3):
        stats["n"], stats["t"] = [0, 0, 0], [0.0, 0.0, 0.0]
        print("CPU per request %.1f us" % (run(n) / n * 1e6), "collections", stats["n"], "gc us/request %.1f" % (sum(stats["t"]) / n * 1e6))
    if len(sys.argv) > 3:
        prof = cProfile.Profile(); prof.enable(); run(n); prof.disable()
        st = pstats.Stats(prof).sort_stats(sys.argv[3]); st.print_stats(int(sys.argv[4]) if len(sys.argv) > 4 else 50)
