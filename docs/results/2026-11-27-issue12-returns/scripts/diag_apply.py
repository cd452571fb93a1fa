"""Copy nllb to DEST and add batch-decision logging to its batcher (diagnostics only)."""
import shutil, sys
src, dest = sys.argv[1], sys.argv[2]
margin = sys.argv[3] if len(sys.argv) > 3 else None
shutil.copytree(src, dest, dirs_exist_ok=True)
p = dest + "/engine/batcher.py"
s = open(p).read()
s = s.replace("from nllb.ipc.inbox import InboundRequest",
              "from nllb.ipc.inbox import InboundRequest\nimport logging\n_dlog = logging.getLogger('nllb.engine')")
s = s.replace("            self._queued += len(examples)\n",
              "            self._queued += len(examples)\n            self._offsets.append(round((now - self._last_finished) * 1000, 1))\n", 1)
s = s.replace("        self._closed = False\n", "        self._closed = False\n        self._offsets = []\n        self._why = ''\n", 1)
s = s.replace("""                    if wait > 0:
                        self._ready.wait(wait)
                        continue
                    return self._pop(group)""", """                    if wait > 0:
                        self._ready.wait(wait)
                        continue
                    batch = self._pop(group)
                    _dlog.info('take', extra={'fields': {'event': 'take', 'size': len(batch), 'left': self._queued,
                        'waited_ms': round((time.monotonic() - self._last_finished) * 1000, 1),
                        'expected': min(self.max_examples, self._backlog_at_finish + self._last_size),
                        'backlog_at_finish': self._backlog_at_finish, 'last_size': self._last_size,
                        'typical_ms': round(self._typical_return * 1000, 1), 'why': self._why,
                        'arrivals': self._offsets[:600]}})
                    self._offsets = []
                    return batch""", 1)
s = s.replace("""        if len(group) >= expected:
            return 0.0""", """        if len(group) >= expected:
            self._why = 'full'
            return 0.0
        self._why = 'timeout'""", 1)
if margin:
    s = s.replace("RETURN_MARGIN = 1.25", "RETURN_MARGIN = " + margin)
    assert "RETURN_MARGIN = " + margin in s
open(p, "w").write(s)
