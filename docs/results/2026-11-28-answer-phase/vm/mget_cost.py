import sys, time, tempfile, statistics
from pathlib import Path
from nllb.tools.harness import RedisServer
from nllb.redisconn import connect
import redis
with tempfile.TemporaryDirectory() as tmp:
    srv = RedisServer(Path(tmp)).start()
    try:
        client = connect(srv.url)
        keys = [f"nllb:tr:x:{i}" for i in range(1)]
        client.set(keys[0], b"hello world translation")
        conn = client.connection_pool.make_connection()
        def via_client():
            return client.mget(keys)
        def via_conn():
            conn.send_command("MGET", *keys); return conn.read_response()
        def pipe_client():
            p = client.pipeline(transaction=False); p.set("k1", b"v", ex=60); p.execute()
        def pipe_conn():
            conn.send_packed_command(conn.pack_commands([("SET", "k1", b"v", "EX", 60)])); conn.read_response()
        for _ in range(2):
            for name, fn in (("MGET client", via_client), ("MGET connection", via_conn), ("SET pipeline client", pipe_client), ("SET connection", pipe_conn)):
                cpu, wall = [], []
                for i in range(3000):
                    c = time.thread_time(); w = time.perf_counter(); fn(); cpu.append(time.thread_time() - c); wall.append(time.perf_counter() - w)
                print(f"{name:22s} CPU {statistics.median(cpu)*1e6:6.1f} us  wall {statistics.median(wall)*1e6:6.1f} us")
    finally:
        srv.stop()
