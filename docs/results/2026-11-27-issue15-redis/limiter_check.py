"""check_and_read against a local Redis, with thread-connection.patch applied: redis-py's Script call (before) and the thread's own connection (after), alternating."""
import tempfile, time
from pathlib import Path
from nllb.tools.harness import RedisServer
from nllb.redisconn import connect
from nllb.access.ratelimit import Limiter, LocalLimiter, Budget

with tempfile.TemporaryDirectory() as tmp:
    srv = RedisServer(Path(tmp)).start()
    try:
        limiter = Limiter(LocalLimiter.create("x"), connect(srv.url))
        own = limiter._run_script
        via_client = lambda keys, args: limiter._script(keys=keys, args=args)
        budgets, reads, n = [Budget(10**9, 60), Budget(10**9, 60)], ["nllb:tr:abc"], 3000
        for name, path in [("before", via_client), ("after", own)] * 3:
            limiter._run_script = path
            for _ in range(200):
                limiter.check_and_read("k", budgets, [1, 80], reads)
            t, c = time.perf_counter(), time.process_time()
            for _ in range(n):
                limiter.check_and_read("k", budgets, [1, 80], reads)
            print(f"{name}: {(time.perf_counter() - t) / n * 1e6:.0f} us wall, {(time.process_time() - c) / n * 1e6:.0f} us CPU a check")
    finally:
        srv.stop()
