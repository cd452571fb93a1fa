"""gunicorn's request parser on one typical request (head and an 80-byte body), pure Python against gunicorn_h1c."""
import time
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser
head = (b"POST /translate HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: python-requests/2.31\r\nAccept-Encoding: gzip, deflate\r\n"
        b"Accept: */*\r\nConnection: keep-alive\r\nAuthorization: Bearer nllb_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\r\n"
        b"Content-Type: application/json\r\nContent-Length: 80\r\n\r\n" + b"x"*80)
for mode in ("python", "fast", "python", "fast"):
    cfg = Config(); cfg.set("http_parser", mode)
    n = 20000
    t = time.thread_time()
    for _ in range(n):
        p = RequestParser(cfg, [head], ("127.0.0.1", 5000))
        req = next(p); req.body.read()
    print(mode, (time.thread_time() - t) / n * 1e6, "us")
