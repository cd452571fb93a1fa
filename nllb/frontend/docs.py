"""/docs (Swagger UI) and /redoc (ReDoc), served by nllb itself: no CDN, so they work air-gapped.

The assets come from drf-spectacular-sidecar (the `docs` extra), a maintained
package that ships self-contained builds of both. It is a Django app, but only
its files are read: the package is located without being imported, so Django
is never loaded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import falcon

from nllb.frontend.errors import APIError

_ASSETS = {
    "swagger-ui-bundle.js": ("swagger-ui-dist/swagger-ui-bundle.js", "application/javascript"),
    "swagger-ui.css": ("swagger-ui-dist/swagger-ui.css", "text/css"),
    "favicon-32x32.png": ("swagger-ui-dist/favicon-32x32.png", "image/png"),
    "redoc.standalone.js": ("redoc/bundles/redoc.standalone.js", "application/javascript"),
}

_SWAGGER = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nllb API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" href="/docs/assets/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  persistAuthorization: true, tryItOutEnabled: false});
</script></body></html>
"""

_REDOC = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>nllb API</title></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="/docs/assets/redoc.standalone.js"></script></body></html>
"""


def asset_root() -> Path | None:
    spec = importlib.util.find_spec("drf_spectacular_sidecar")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]) / "static" / "drf_spectacular_sidecar"


def _missing() -> APIError:
    return APIError(404, "docs_unavailable",
                    "The API documentation pages need the 'docs' extra: pip install 'nllb[docs]'. "
                    "The document itself is at /openapi.json.")


class _Page:
    def __init__(self, html: str, root: Path | None):
        self.html = html
        self.root = root

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.root is None:
            raise _missing()
        resp.content_type = falcon.MEDIA_HTML
        resp.text = self.html


class SwaggerResource(_Page):
    def __init__(self, root: Path | None):
        super().__init__(_SWAGGER, root)


class RedocResource(_Page):
    def __init__(self, root: Path | None):
        super().__init__(_REDOC, root)


class AssetResource:
    def __init__(self, root: Path | None):
        self.root = root

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        if self.root is None:
            raise _missing()
        if name not in _ASSETS:
            raise APIError(404, "not_found", "No such asset.")
        relative, content_type = _ASSETS[name]
        resp.content_type = content_type
        resp.cache_control = ["public", "max-age=86400"]
        resp.data = (self.root / relative).read_bytes()
