"""Burst timeline (diagnostic, not product code): time.monotonic() stamps of each request's stages in the engine and
the workers, dumped every second as JSON to $TIMELINE_DIR/<pid>.json. Loaded by putting this folder first on
PYTHONPATH; does nothing without TIMELINE_DIR."""
import os

if os.environ.get("TIMELINE_DIR"):
    import builtins, json, sys, threading, time

    _events = []
    _mono = time.monotonic

    def _dump():
        path = os.path.join(os.environ["TIMELINE_DIR"], f"{os.getpid()}.json")
        while True:
            time.sleep(1.0)
            try:
                title = open("/proc/self/cmdline").read().split("\0")[0]
                with open(path + ".tmp", "w") as f:
                    json.dump({"title": title, "events": list(_events)}, f)
                os.replace(path + ".tmp", path)
            except Exception:
                pass

    _real_import = builtins.__import__
    _patched = set()

    def _patch_engine():
        from nllb.engine import batcher, model, process
        from nllb.ipc import inbox
        put, record, translate, complete, deliver = (batcher.Batcher.put, batcher.Batcher.record,
                                                     model.Model.translate, inbox.Inbox._complete,
                                                     process.Engine._deliver)

        def put_(self, examples):
            _events.append(("arrive", _mono(), len(examples)))
            return put(self, examples)

        def translate_(self, sources, *a, **k):
            _events.append(("start", _mono(), len(sources)))
            try:
                return translate(self, sources, *a, **k)
            finally:
                _events.append(("end", _mono(), len(sources)))

        def complete_(self, request, status):
            complete(self, request, status)
            _events.append(("answer", _mono(), 0))

        def deliver_(self, *a):
            deliver(self, *a)
            _events.append(("delivered", _mono(), 0))

        batcher.Batcher.put, model.Model.translate, inbox.Inbox._complete, process.Engine._deliver = (
            put_, translate_, complete_, deliver_)

    def _patch_worker():
        import falcon
        from gunicorn.workers import gthread
        from nllb.ipc import client
        call, handle_request, round_trip = falcon.App.__call__, gthread.ThreadWorker.handle_request, \
            client.EngineClient._round_trip

        def call_(self, environ, start_response):
            _events.append(("head", environ.get("nllb.arrived", 0.0), 0))
            _events.append(("app_in", _mono(), 0))
            try:
                return call(self, environ, start_response)
            finally:
                _events.append(("app_out", _mono(), 0))

        def handle_request_(self, *a, **k):
            try:
                return handle_request(self, *a, **k)
            finally:
                _events.append(("sent", _mono(), 0))

        def round_trip_(self, *a, **k):
            _events.append(("rt_in", _mono(), 0))
            try:
                return round_trip(self, *a, **k)
            finally:
                _events.append(("rt_out", _mono(), 0))

        falcon.App.__call__, gthread.ThreadWorker.handle_request, client.EngineClient._round_trip = (
            call_, handle_request_, round_trip_)

    def _loaded(*pairs):
        return all(hasattr(sys.modules.get(m), a) for m, a in pairs)

    def _hook(name, *a, **k):
        module = _real_import(name, *a, **k)
        if "engine" not in _patched and _loaded(("nllb.engine.process", "Engine"), ("nllb.ipc.inbox", "Inbox"),
                                                ("nllb.engine.batcher", "Batcher"), ("nllb.engine.model", "Model")):
            _patched.add("engine")
            _patch_engine()
        if "worker" not in _patched and _loaded(("nllb.frontend.worker", "ThreadWorker"), ("falcon", "App"),
                                                ("nllb.ipc.client", "EngineClient"),
                                                ("gunicorn.workers.gthread", "ThreadWorker")):
            _patched.add("worker")
            _patch_worker()
        return module

    _cmd = open("/proc/self/cmdline").read()
    if "nllb" in _cmd or "gunicorn" in _cmd:
        builtins.__import__ = _hook

        def _start():
            _events.clear()
            threading.Thread(target=_dump, daemon=True).start()

        _start()
        os.register_at_fork(after_in_child=_start)
