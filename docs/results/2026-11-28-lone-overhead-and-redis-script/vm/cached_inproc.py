"""Cached POST /translate through the worker's Falcon app in this process, wired as worker_app wires it (Redis limits
and cache on a private redis-server, EchoEngine): median wall and CPU per request; with a 3rd argument, a cProfile."""
import cProfile, io, json, os, pstats, statistics, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, "tests")
import inprocess
from nllb.access.gate import AccessGate
from nllb.access.ratelimit import Limiter, LocalLimiter
from nllb.access.store import SqliteTokenStore
from nllb.config import Settings
from nllb.frontend.app import create_app
from nllb.modeldir import ModelDirectory
from nllb.redisconn import connect
from nllb.tools.bench import SENTENCES, TARGET
from nllb.tools.harness import RedisServer
from nllb.translation.cache import TranslationCache
from nllb.translation.service import TranslationService

model = ModelDirectory.open(sys.argv[1]); n = int(sys.argv[2])
with tempfile.TemporaryDirectory() as tmp:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tmp)
    redis = RedisServer(Path(tmp)).start()
    try:
        base = inprocess.make_app(model, Path(tmp))
        settings = Settings.from_env({"ADMIN_TOKEN": inprocess.ADMIN_TOKEN, "DATA_DIR": tmp, "REDIS_URL": redis.url})
        client = connect(redis.url)
        cache = TranslationCache(client, model.fingerprint, settings.cache_ttl_seconds,
                                 f"l{settings.max_decoding_length}i{settings.max_input_tokens}")
        service = TranslationService(settings, model, base.engine, cache, None)
        gate = AccessGate(settings, inprocess.ADMIN_TOKEN, SqliteTokenStore(settings.database),
                          Limiter(LocalLimiter.create("cached-limits"), client))
        wsgi = create_app(settings, service, base.state, gate, base.breaker, model)
        import falcon.testing
        tc = falcon.testing.TestClient(wsgi)
        token = tc.simulate_post("/admin/tokens", json={"name": "p", "rate_limit": {"requests": 10**9, "window_seconds": 60}},
                                 headers=base.admin).json["token"]
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

        def run(k):
            wall, cpu = [], []
            for i in range(k):
                w, c = time.perf_counter(), time.thread_time()
                b"".join(wsgi(environ(bodies[i % len(bodies)]), start_response))
                cpu.append(time.thread_time() - c); wall.append(time.perf_counter() - w)
            return statistics.median(wall), statistics.median(cpu)
        run(len(bodies) * 3)  # fills the cache
        assert status[-1].startswith("200"), status[-1]
        before = len(base.engine.jobs)
        for _ in range(3):
            w, c = run(n)
            print("cached: wall per request %.1f us, CPU %.1f us" % (w * 1e6, c * 1e6))
        assert len(base.engine.jobs) == before, "not all cached"
        if len(sys.argv) > 3:
            prof = cProfile.Profile(); prof.enable(); run(n); prof.disable()
            pstats.Stats(prof).sort_stats(sys.argv[3]).print_stats(int(sys.argv[4]) if len(sys.argv) > 4 else 40)
    finally:
        redis.stop()
