import pytest
from inprocess import make_app
from support import RedisServer, Server

from nllb.modeldir import ModelDirectory
from nllb.tools.synthetic import write_lid_model, write_model

# Tests that start the real service or Redis: by these fixtures, or through the harness directly.
_PROCESS_FIXTURES = {"server", "make_server", "redis_server"}
_HARNESS_MODULES = {"support", "nllb.tools.harness"}


def pytest_collection_modifyitems(items):
    """Mark the real-process tier; `pytest -m "not processes"` runs the in-process tier alone, in seconds."""
    for item in items:
        uses_harness = any(getattr(value, "__module__", None) in _HARNESS_MODULES
                           for value in vars(item.module).values())
        if uses_harness or _PROCESS_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.processes)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory):
    return write_model("tiny", tmp_path_factory.mktemp("model") / "tiny")


@pytest.fixture(scope="session")
def lid_model(tmp_path_factory):
    """A fastText language-identification model trained here on the package's labelled sentences."""
    return write_lid_model(tmp_path_factory.mktemp("lid") / "lid.bin")


@pytest.fixture(scope="session")
def model_directory(tiny_model):
    return ModelDirectory.open(tiny_model)


@pytest.fixture
def app(model_directory, tmp_path):
    """One worker's app in this process, with an engine that echoes (tests/inprocess.py)."""
    return make_app(model_directory, tmp_path)


@pytest.fixture
def make_app_with(model_directory, tmp_path):
    """The in-process app under other settings: `make_app_with(MAX_TEXTS="4")`."""
    return lambda **env: make_app(model_directory, tmp_path, **env)


@pytest.fixture(scope="module")
def server(tiny_model, tmp_path_factory):
    """One running service shared by a module's read-only tests."""
    srv = Server(tiny_model, tmp_path_factory.mktemp("server") / "server.log").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def lid_server(tiny_model, lid_model, tmp_path_factory):
    """One running service with a language identification model, shared by a module's tests."""
    srv = Server(tiny_model, tmp_path_factory.mktemp("lid-server") / "server.log", LID_MODEL_PATH=str(lid_model)).start()
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
