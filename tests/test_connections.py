"""Keep-alive connections are dealt evenly across the workers, whoever wins the kernel's accept race."""

import os
import signal
import socket
import time
from pathlib import Path


def server_sockets(port: int) -> list[tuple[str, str]]:
    """(TCP state, inode) of every socket on the service's side of its port but the listener (from /proc)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(f":{port:04X}") and fields[3] != "0A":
                found.append((fields[3], fields[9]))
    return found


def established_per_worker(server) -> dict[int, int]:
    """Established connections to the service's port held by each worker, by pid."""
    inodes = {inode for state, inode in server_sockets(server.port) if state == "01"}
    counts = {}
    for pid in server.workers():
        held = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                held += 1
        counts[pid] = held
    return counts


def kept_alive(port: int) -> socket.socket:
    """A connection that has been served once and stays open."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    return sock


def wait_until_every_worker_accepts(server, timeout: float = 30) -> None:
    """The service is ready once one worker is: probe until each has held a connection, then let them go."""
    seen, end = set(), time.monotonic() + timeout
    while len(seen) < len(server.workers()) and time.monotonic() < end:
        with kept_alive(server.port):
            seen |= {pid for pid, held in established_per_worker(server).items() if held}
    while server_sockets(server.port) and time.monotonic() < end:  # closed by the workers too, and counted
        time.sleep(0.05)


def test_clients_connecting_one_after_another_are_spread_evenly_over_the_workers(make_server):
    server = make_server(WORKERS="4", THREADS="8").start()
    wait_until_every_worker_accepts(server)
    clients = [kept_alive(server.port) for _ in range(24)]
    try:
        counts = list(established_per_worker(server).values())
        assert sum(counts) == 24
        assert max(counts) - min(counts) <= 1, counts
    finally:
        for sock in clients:
            sock.close()


def test_a_stuck_worker_with_the_fewest_connections_does_not_leave_new_clients_waiting(make_server):
    server = make_server(WORKERS="4", THREADS="8").start()
    wait_until_every_worker_accepts(server)
    clients = [kept_alive(server.port) for _ in range(3)]
    idle = [pid for pid, held in established_per_worker(server).items() if not held]
    assert len(idle) == 1  # the three others hold one each: above the mean, they hold back
    os.kill(idle[0], signal.SIGSTOP)
    try:
        started = time.monotonic()
        clients.append(kept_alive(server.port))
        assert time.monotonic() - started < 2
    finally:
        os.kill(idle[0], signal.SIGCONT)
        for sock in clients:
            sock.close()
