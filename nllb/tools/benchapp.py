"""The baseline of the cached-request benchmark: a bare Falcon app that returns a fixed JSON body.

Run by `nllb bench-cache` under the same gunicorn settings as the service, so
the ratio measures what nllb adds — auth, rate limiting, validation, the cache
lookup, logging and metrics — over HTTP and JSON alone.
"""

import falcon

_BODY = {"translation": "Bonjour le monde.", "source_lang": "eng_Latn", "target_lang": "fra_Latn",
         "device": "cpu", "cached": True, "quality": "fast"}


class _Fixed:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.bounded_stream.read()
        resp.media = _BODY


app = falcon.App()
app.add_route("/translate", _Fixed())
