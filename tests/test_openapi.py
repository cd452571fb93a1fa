"""/openapi.json describes exactly the routes the app serves, and is a valid OpenAPI 3.1 document."""

import falcon.inspect
from openapi_spec_validator import validate

from nllb.config import Settings
from nllb.engine.breaker import CircuitBreaker
from nllb.frontend.app import create_app
from nllb.ipc.memory import SharedMemory
from nllb.modeldir import ModelDirectory


def test_the_document_is_valid_openapi_3_1(server):
    spec = server.get("/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_route_is_in_the_document_and_nothing_else(server, tiny_model):
    spec = server.get("/openapi.json").json
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    # The app's own routing table, through Falcon's public inspection API.
    app = _app_for_inspection(tiny_model)
    served = {(route.path, m.method) for route in falcon.inspect.inspect_routes(app)
              for m in route.methods if not m.internal}
    assert documented == served


def test_the_limits_and_languages_published_are_the_enforced_ones(server):
    spec = server.get("/openapi.json").json
    request = spec["components"]["schemas"]["TranslateRequest"]["properties"]["text"]["oneOf"]
    assert request[0]["maxLength"] == 20_000 and request[1]["maxItems"] == 128
    assert len(spec["components"]["schemas"]["Language"]["enum"]) == 202
    assert server.post("/translate", {"text": ["a"] * 129, "source_lang": "eng_Latn",
                                      "target_lang": "fra_Latn"}).status == 413


def _app_for_inspection(model_path):
    """The real app factory, with stand-ins for the parts that need a running engine."""
    settings = Settings.from_env({})
    model = ModelDirectory.open(model_path)

    class Service:
        cache = None

    service = Service()
    service.model = model

    class Gate:
        store = None

    breaker = CircuitBreaker(SharedMemory.create("inspect", 4096), settings)
    return create_app(settings, service, None, Gate(), breaker, model)
