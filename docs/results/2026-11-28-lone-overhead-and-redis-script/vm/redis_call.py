"""Per-call wall time of the limiter's script through redis-py's client against a connection used directly."""
import statistics, sys, tempfile, time
from pathlib import Path
from nllb.access.ratelimit import _GCRA
from nllb.redisconn import connect
from nllb.tools.harness import RedisServer

with tempfile.TemporaryDirectory() as tmp:
    server = RedisServer(Path(tmp)).start()
    try:
        client = connect(server.url)
        script = client.register_script(_GCRA)
        keys = ["nllb:rl:k:0", "nllb:rl:k:1", "nllb:cache:x"]
        args = [60, 0.001, 3600, 0.01, 1, 1]
        script(keys=keys, args=args)
        conn = client.connection_pool.get_connection()
        def direct():
            conn.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            return conn.read_response()
        idle = []
        pool = client.connection_pool
        def listed():
            try:
                c = idle.pop()
            except IndexError:
                c = pool.make_connection()
            c.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
            r = c.read_response()
            idle.append(c)
            return r
        def ping():
            conn.send_command("PING"); return conn.read_response()
        for name, f in [("client script", lambda: script(keys=keys, args=args)), ("connection", direct), ("free list", listed),
                        ("client ping", client.ping), ("connection ping", ping)] * 2:
            each = []
            for _ in range(5000):
                t = time.perf_counter(); f(); each.append(time.perf_counter() - t)
            print(f"{name:16} median {statistics.median(each)*1e6:6.1f} us")
    finally:
        server.stop()
