"""GET /languages: every language the loaded model knows."""

from __future__ import annotations

import falcon

from nllb.languages import Languages


class LanguagesResource:
    def __init__(self, languages: Languages):
        listing = [{"code": l.code, "name": l.name, "script": l.script} for l in languages]
        self.body = {"languages": listing, "count": len(listing)}

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = self.body
