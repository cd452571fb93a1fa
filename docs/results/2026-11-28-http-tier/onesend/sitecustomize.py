from gunicorn import util
from gunicorn.http import wsgi

_send_headers = wsgi.Response.send_headers
_emit = wsgi.Response._emit_body
_close = wsgi.Response.close

def send_headers(self):
    if self.headers_sent:
        return
    tosend = self.default_headers()
    tosend.extend(["%s: %s\r\n" % (k, v) for k, v in self.headers])
    self._pending = util.to_bytestring("%s\r\n" % "".join(tosend), "latin-1")
    self.headers_sent = True

def _emit_body(self, data):
    pending = getattr(self, "_pending", None)
    if pending is not None:
        self._pending = None
        if not self.chunked:
            util.write(self.sock, pending + data)
            return
        util.write(self.sock, pending)
    _emit(self, data)

def close(self):
    if not self.headers_sent:
        self.send_headers()
    pending = getattr(self, "_pending", None)
    if pending is not None:
        self._pending = None
        util.write(self.sock, pending)
    _close(self)

wsgi.Response.send_headers = send_headers
wsgi.Response._emit_body = _emit_body
wsgi.Response.close = close
