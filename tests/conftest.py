import pytest
from support import RedisServer, Server

from nllb.synthetic import write_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return write_model("tiny", tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    """One running service shared by a module's read-only tests."""
    srv = Server(tiny_model, tmp_path_factory.mktemp("server") / "server.log").start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(tiny_model, tmp_path):
    """A private service for tests that kill, signal or reconfigure it."""
    started = []

    def make(**env) -> Server:
        srv = Server(tiny_model, tmp_path / f"server{len(started)}.log", **env)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        if srv.process and srv.process.poll() is None:
            srv.stop()


@pytest.fixture
def redis_server(tmp_path):
    srv = RedisServer(tmp_path).start()
    yield srv
    srv.stop()
