"""CPU of the per-request system calls strace showed, one at a time, on this VM."""
import os, socket, time, uuid, random, select
def bench(name, f, n=100000):
    f(); t=time.thread_time()
    for _ in range(n): f()
    print(f"{name}: {(time.thread_time()-t)/n*1e6:.2f} us")
a,b = socket.socketpair()
bench("getpid", os.getpid)
bench("setblocking", lambda: a.setblocking(True))
bench("uuid4().hex", lambda: uuid.uuid4().hex)
bench("getrandbits hex", lambda: "%032x" % random.getrandbits(128))
p = select.poll(); a.settimeout(5)
b.send(b"x"*10)
bench("recv peek timeout-socket", lambda: a.recv(1, socket.MSG_PEEK), 50000)
a.settimeout(None)
bench("recv peek blocking-socket", lambda: a.recv(1, socket.MSG_PEEK), 50000)
