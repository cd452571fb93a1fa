"""CPU per request stage in a worker (diagnostic, not product code): per-thread CPU time (time.thread_time, which a
thread waiting for the GIL or the engine does not accrue) between stage boundaries, summed per stage and dumped
every second to $STAGES_DIR/<pid>.json with the process's whole CPU time. Stages: parse (gunicorn's handle() to the
app: head parse, environ), pre (app to the engine round trip: middleware, body, validation, limits, tokenizer),
ipc (the round trip's own CPU), post (round trip to the app's return: decode, JSON, log line, metrics), write
(gunicorn's response), tail (handle()'s end: keep-alive drain)."""
import os

if os.environ.get("STAGES_DIR"):
    import builtins, collections, json, sys, threading, time

    _sums = collections.Counter()
    _counts = collections.Counter()
    _local = threading.local()
    _cpu = time.thread_time

    def _mark(stage_ending, now=None):
        now = _cpu() if now is None else now
        last = getattr(_local, "t", None)
        if last is not None and stage_ending:
            _sums[stage_ending] += now - last
            _counts[stage_ending] += 1
        _local.t = now

    def _dump():
        path = os.path.join(os.environ["STAGES_DIR"], f"{os.getpid()}.json")
        while True:
            time.sleep(1.0)
            try:
                title = open("/proc/self/cmdline").read().split("\0")[0]
                with open(path + ".tmp", "w") as f:
                    json.dump({"title": title, "process_cpu": time.process_time(), "cpus": sorted(os.sched_getaffinity(os.getpid())), "sums": dict(_sums),
                               "counts": dict(_counts)}, f)
                os.replace(path + ".tmp", path)
            except Exception:
                pass

    _real_import = builtins.__import__
    _patched = set()

    def _patch_worker():
        import falcon
        from gunicorn.workers import gthread
        from nllb.ipc import client
        handle, call, handle_request, round_trip = (gthread.ThreadWorker.handle, falcon.App.__call__,
                                                    gthread.ThreadWorker.handle_request,
                                                    client.EngineClient._round_trip)

        def handle_(self, conn):
            _local.t = _cpu()
            try:
                return handle(self, conn)
            finally:
                _mark("tail")

        def call_(self, environ, start_response):
            _mark("parse")
            try:
                return call(self, environ, start_response)
            finally:
                _mark("mw_out")

        def handle_request_(self, *a, **k):
            try:
                return handle_request(self, *a, **k)
            finally:
                _mark("write")

        def round_trip_(self, *a, **k):
            _mark("encode")
            try:
                return round_trip(self, *a, **k)
            finally:
                _mark("ipc")

        gthread.ThreadWorker.handle, falcon.App.__call__, gthread.ThreadWorker.handle_request, \
            client.EngineClient._round_trip = handle_, call_, handle_request_, round_trip_

        from nllb.frontend.translate import TranslateResource
        from nllb.translation.tokenizer import Tokenizer
        on_post, encode, decode = TranslateResource.on_post, Tokenizer.encode, Tokenizer.decode

        def on_post_(self, req, resp):
            _mark("mw_in")
            try:
                return on_post(self, req, resp)
            finally:
                _mark("respond")

        def encode_(self, *a, **k):
            _mark("validate")
            return encode(self, *a, **k)

        def decode_(self, *a, **k):
            try:
                return decode(self, *a, **k)
            finally:
                _mark("decode")

        TranslateResource.on_post, Tokenizer.encode, Tokenizer.decode = on_post_, encode_, decode_

    def _loaded(*pairs):
        return all(hasattr(sys.modules.get(m), a) for m, a in pairs)

    def _hook(name, *a, **k):
        module = _real_import(name, *a, **k)
        if "worker" not in _patched and _loaded(("nllb.frontend.worker", "ThreadWorker"), ("falcon", "App"),
                                                ("nllb.ipc.client", "EngineClient"),
                                                ("gunicorn.workers.gthread", "ThreadWorker"),
                                                ("nllb.frontend.translate", "TranslateResource"),
                                                ("nllb.translation.tokenizer", "Tokenizer")):
            _patched.add("worker")
            _patch_worker()
        return module

    if "gunicorn" in open("/proc/self/cmdline").read() or "nllb" in open("/proc/self/cmdline").read():
        builtins.__import__ = _hook

        def _start():
            _sums.clear(); _counts.clear()
            threading.Thread(target=_dump, daemon=True).start()

        _start()
        os.register_at_fork(after_in_child=_start)
        if os.environ.get("PIN_WORKERS"):
            # Each forked child (gunicorn's workers; the engine is started by exec) on a core of its own, in order.
            _forks = [0]

            def _count():
                _forks[0] += 1

            def _pin():
                os.sched_setaffinity(0, {(_forks[0] - 1) % os.cpu_count()})

            os.register_at_fork(before=_count, after_in_child=_pin)
