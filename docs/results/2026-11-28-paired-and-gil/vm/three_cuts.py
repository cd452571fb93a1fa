"""The VM experiment's patch, applied to a worktree of 4971129 (run in its root): fewer system calls that let the GIL
go on a cached request. ab_one_send.txt used only the third part (worker.py)."""
from pathlib import Path
# (a) Redis: blocking sockets with kernel timeouts (no poll before each send/recv)
p = Path("nllb/redisconn.py"); s = p.read_text()
s = s.replace('''        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._pool.make_connection()
        try:
            if len(commands) == 1:''', '''        try:
            connection = self._idle.pop()
        except IndexError:
            connection = self._pool.make_connection()
        try:
            if connection._sock is None:
                connection.connect()
                _kernel_timeouts(connection._sock, connection.socket_timeout)
            if len(commands) == 1:''')
s += '''

def _kernel_timeouts(sock, seconds):
    import socket as _s, struct as _st
    sock.settimeout(None)
    if seconds:
        tv = _st.pack("ll", int(seconds), int((seconds % 1) * 1e6))
        sock.setsockopt(_s.SOL_SOCKET, _s.SO_RCVTIMEO, tv)
        sock.setsockopt(_s.SOL_SOCKET, _s.SO_SNDTIMEO, tv)
'''
p.write_text(s)
# (b) the hang-up peek keeping the GIL
p = Path("nllb/frontend/translate.py"); s = p.read_text()
s = s.replace('''        try:
            gone = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            pass
        except OSError:
            gone = True
        return gone''', '''        got = _LIBC.recv(sock.fileno(), _PEEK_BUF, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        if got == 0:
            gone = True
        elif got < 0 and ctypes.get_errno() not in (11,):
            gone = True
        return gone''')
s = s.replace("import socket\n", "import socket\nimport ctypes\n_LIBC = ctypes.PyDLL(None, use_errno=True)\n_PEEK_BUF = ctypes.create_string_buffer(1)\n", 1)
p.write_text(s)
# (c) one send for a response's head and body
p = Path("nllb/frontend/worker.py"); s = p.read_text()
s = s.replace("from gunicorn.workers import gthread\n", '''from gunicorn.workers import gthread
from gunicorn.http import wsgi as _wsgi


class _OneSend(_wsgi.Response):
    _head = None
    def send_headers(self):
        if self.headers_sent:
            return
        tosend = self.default_headers()
        tosend.extend(["%s: %s\\r\\n" % (k, v) for k, v in self.headers])
        self._head = ("%s\\r\\n" % "".join(tosend)).encode("latin-1")
        self.headers_sent = True
    def _flush_head(self):
        head, self._head = self._head, None
        if head:
            self.sock.sendall(head)
    def _emit_body(self, data):
        if self._head is not None and not self.chunked:
            head, self._head = self._head, None
            self.sock.sendall(head + data)
            return
        self._flush_head()
        super()._emit_body(data)
    def write(self, arg):
        super().write(arg)
    def close(self):
        if not self.headers_sent:
            self.send_headers()
        self._flush_head()
        super().close()
    def sendfile(self, respiter):
        self._flush_head()
        return super().sendfile(respiter)

_orig_create = _wsgi.create
def _create(req, sock, client, server, cfg, response_class=None, response_args=()):
    return _orig_create(req, sock, client, server, cfg, response_class=response_class or _OneSend, response_args=response_args)
_wsgi.create = _create
''')
p.write_text(s)
