"""/openapi.json describes exactly the routes the app serves, and is a valid OpenAPI 3.1 document."""

import falcon.inspect
from openapi_spec_validator import validate


def test_the_document_is_valid_openapi_3_1(server):
    spec = server.get("/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_every_route_is_in_the_document_and_nothing_else(server, app):
    spec = server.get("/openapi.json").json
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method != "parameters"}
    # The app's own routing table, through Falcon's public inspection API.
    served = {(route.path, m.method) for route in falcon.inspect.inspect_routes(app.client.app)
              for m in route.methods if not m.internal}
    assert documented == served


def test_the_limits_and_languages_published_are_the_enforced_ones(server):
    spec = server.get("/openapi.json").json
    request = spec["components"]["schemas"]["TranslateRequest"]["properties"]["text"]["oneOf"]
    assert request[0]["maxLength"] == 20_000 and request[1]["maxItems"] == 128
    assert len(spec["components"]["schemas"]["Language"]["enum"]) == 202
    assert server.post("/translate", {"text": ["a"] * 129, "source_lang": "eng_Latn",
                                      "target_lang": "fra_Latn"}).status == 413
