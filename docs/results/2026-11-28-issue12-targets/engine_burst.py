"""The engine's Python per burst: 256 requests in (receive + admit), 256 answers out (deliver), in this process."""
import os, sys, time, statistics, threading
import numpy as np
from nllb.config import Settings
from nllb.engine.isolation import Isolated
from nllb.engine.process import Engine
from nllb.ipc import CircuitBreaker, Exchange
from nllb.ipc.channel import Descriptor
from nllb.ipc.slots import SlotLayout
from nllb.modeldir import ModelDirectory

model = ModelDirectory.open(sys.argv[1]); N = int(sys.argv[2]); W = 16; T = N // W
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/pm-burst"); os.makedirs("/tmp/pm-burst", exist_ok=True)
settings = Settings.from_env({"MAX_BATCH_SIZE": "1024"})
exchange = Exchange.create(W, T, SlotLayout())
epoch = exchange.state.begin_epoch()
engine = Engine(exchange, None, model.vocabulary, settings, epoch)
rng = np.random.default_rng(0)
sources = [rng.integers(10, 1000, size=30).astype(np.int32) for _ in range(N)]
outputs = [[model.vocabulary[i] for i in rng.integers(10, 1000, size=48)] for _ in range(N)]
ins, outs = [], []
for rep in range(20):
    for w in range(W):
        for r in range(T):
            slot = exchange.request_slot(w, r)
            g = slot.header.generation = slot.header.generation + 1
            slot.source_lengths[:1] = [30]; slot.output_limits[:1] = [48]; slot.source_ids[:30] = sources[w * T + r]
            os.write(exchange.worker_slots[w].channel_write, Descriptor(request_slot=r, epoch=epoch, generation=g, segments=1,
                     target_token=300, beam_size=1, deadline=time.monotonic() + 60, request_id=f"r{w}-{r}").pack())
    t = time.perf_counter()
    for fd in engine.inbox.fds:
        for request in engine.inbox.receive(fd):
            engine._admit(request)
    ins.append(time.perf_counter() - t)
    batch = engine.batcher._pop(engine.batcher._first_group())
    result = Isolated(translated=list(zip(batch, outputs)))
    t = time.perf_counter()
    engine._deliver(batch, result, time.monotonic(), 0.2, 48)
    outs.append(time.perf_counter() - t)
    for w in range(W):
        for r in range(T):
            try: os.eventfd_read(exchange.worker_slots[w].events[r])
            except BlockingIOError: pass
print(f"{N} requests: intake {statistics.median(ins)*1000:.2f} ms, deliver {statistics.median(outs)*1000:.2f} ms (medians of 20)")
