"""One log line and the request metrics for every request."""

from __future__ import annotations

import logging
import time

import falcon

from nllb import metrics
from nllb.languages import Languages

log = logging.getLogger("nllb.request")


class RequestLog:
    def __init__(self, languages: Languages, log_text: bool):
        self.languages = languages
        self.log_text = log_text

    def process_response(self, req: falcon.Request, resp: falcon.Response, resource, req_succeeded: bool) -> None:
        status = falcon.http_status_to_code(resp.status)
        elapsed = time.perf_counter() - req.context.started
        principal = req.context.get("principal")
        translation = req.context.get("translation")
        fields = {
            "event": "request",
            "request_id": req.context.request_id,
            "method": req.method,
            "path": req.path,
            "status": status,
            "latency_ms": round(elapsed * 1000, 2),
            **({"token": principal.name} if principal else {}),
            **({"error": req.context.error_code} if req.context.get("error_code") else {}),
        }
        if translation is not None:
            fields.update(translation.log_fields(self.log_text))
        if req.path == "/translate" and req.method == "POST":
            self._count(status, translation, elapsed)
        log.info("%s %s %d", req.method, req.path, status, extra={"fields": fields})

    def _count(self, status: int, translation, elapsed: float) -> None:
        source = self._label(translation.source_lang if translation else None)
        target = self._label(translation.target_lang if translation else None)
        cached = "true" if translation and translation.all_cached else "false"
        metrics.requests_total.labels(str(status), source, target, cached).inc()
        if status == 200 and translation is not None:
            metrics.latency.labels(source, target, translation.quality).observe(elapsed)

    def _label(self, code: str | None) -> str:
        """Bounded label values: a language of the model, else "other"."""
        return code if code in self.languages else "other"
