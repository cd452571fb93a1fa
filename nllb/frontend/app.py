"""The Falcon application of one worker."""

from __future__ import annotations

import falcon
import falcon.media
import ujson

from nllb.access.gate import AccessGate
from nllb.access.tokens import StoreUnavailable
from nllb.config import Settings
from nllb.frontend import docs, openapi
from nllb.frontend.admin import TokenActivationResource, TokenResource, TokensResource
from nllb.frontend.auth import Authentication
from nllb.frontend.breaker import (
    BreakerResetResource,
    BreakerStatusResource,
    BreakerTestResource,
)
from nllb.frontend.cache import CacheResource, CacheStatsResource
from nllb.frontend.compat import google, libretranslate
from nllb.frontend.compat.deepl import DeepLLanguagesResource, DeepLTranslateResource, DeepLUsageResource
from nllb.frontend.detect import DetectResource
from nllb.frontend.errors import handle_store_unavailable, handle_unexpected, serialize_error
from nllb.frontend.health import (
    Health,
    InfoResource,
    LiveResource,
    ReadyResource,
    SummaryResource,
)
from nllb.frontend.languages import LanguagesResource
from nllb.frontend.metrics import MetricsResource
from nllb.frontend.middleware import RequestContext
from nllb.frontend.observe import RequestLog
from nllb.frontend.openapi import OpenAPIResource
from nllb.frontend.translate import TranslateResource
from nllb.frontend.usage import UsageResource
from nllb.frontend.validation import RequestSchema
from nllb.ipc import CircuitBreaker, EngineState
from nllb.languages import LanguageTags
from nllb.modeldir import ModelDirectory
from nllb.translation.service import TranslationService


def _dumps(obj: object) -> str:
    return ujson.dumps(obj, ensure_ascii=False, escape_forward_slashes=False)


def cache_status(settings: Settings, cache) -> dict:
    if cache is None:
        reason = "CACHE_ENABLED=false" if settings.redis_url else "no REDIS_URL: running uncached"
        return {"enabled": False, "connected": False, "reason": reason}
    return {"enabled": True, "connected": cache.reachable(), "ttl_seconds": cache.ttl}


def create_app(
    settings: Settings,
    service: TranslationService,
    state: EngineState,
    gate: AccessGate,
    breaker: CircuitBreaker,
    model: ModelDirectory,
) -> falcon.App:
    middleware = [RequestContext(), RequestLog(model.languages, settings.log_text), Authentication(settings, gate)]
    app = falcon.App(middleware=middleware)
    health = Health(settings, state, breaker, gate.store)
    json_handler = falcon.media.JSONHandler(dumps=_dumps, loads=ujson.loads)
    app.resp_options.media_handlers[falcon.MEDIA_JSON] = json_handler
    app.set_error_serializer(serialize_error)
    app.add_error_handler(Exception, handle_unexpected)
    app.add_error_handler(StoreUnavailable, handle_store_unavailable)
    spec = openapi.build(settings, model.languages)
    app.add_route("/translate", TranslateResource(settings, service, state, gate,
                                                  RequestSchema(spec, "TranslateRequest")))
    app.add_route("/detect", DetectResource(settings, service, gate, RequestSchema(spec, "DetectRequest")))
    app.add_route("/usage", UsageResource(gate))
    tags = LanguageTags(model.languages)
    app.add_route("/v2/translate", DeepLTranslateResource(settings, service, tags, gate))
    app.add_route("/v2/languages", DeepLLanguagesResource(settings, model.languages, tags))
    app.add_route("/v2/usage", DeepLUsageResource(gate))
    app.add_route("/libretranslate/translate", libretranslate.TranslateResource(settings, service, tags, gate))
    app.add_route("/libretranslate/detect", libretranslate.DetectResource(settings, service, tags, gate))
    app.add_route("/libretranslate/languages", libretranslate.LanguagesResource(model.languages, tags))
    app.add_route("/libretranslate/frontend/settings",
                  libretranslate.SettingsResource(settings, model.languages, tags))
    app.add_route("/language/translate/v2", google.TranslateResource(settings, service, tags, gate))
    app.add_route("/language/translate/v2/detect", google.DetectResource(settings, service, tags, gate))
    app.add_route("/language/translate/v2/languages", google.LanguagesResource(settings, model.languages, tags))
    app.add_route("/admin/tokens", TokensResource(gate.store, RequestSchema(spec, "TokenCreate")))
    app.add_route("/admin/tokens/{token_id}", TokenResource(gate.store, RequestSchema(spec, "TokenLimits")))
    app.add_route("/admin/tokens/{token_id}/activate", TokenActivationResource(gate.store))
    app.add_route("/admin/circuit-breaker/status", BreakerStatusResource(breaker))
    app.add_route("/admin/circuit-breaker/test", BreakerTestResource(breaker, RequestSchema(spec, "BreakerTest")))
    app.add_route("/admin/circuit-breaker/reset", BreakerResetResource(breaker))
    app.add_route("/languages", LanguagesResource(service.model.languages))
    app.add_route("/health", SummaryResource(health))
    app.add_route("/health/live", LiveResource())
    app.add_route("/health/ready", ReadyResource(health))
    app.add_route("/health/info", InfoResource(health, model, lambda: cache_status(settings, service.cache),
                                               service.detector))
    app.add_route("/admin/cache", CacheResource(service.cache))
    app.add_route("/admin/cache/stats", CacheStatsResource(service.cache))
    app.add_route("/metrics", MetricsResource(state, breaker, settings.max_queue_size, settings.metrics_auth))
    app.add_route("/openapi.json", OpenAPIResource(spec))
    assets = docs.asset_root()
    app.add_route("/docs", docs.SwaggerResource(assets))
    app.add_route("/redoc", docs.RedocResource(assets))
    app.add_route("/docs/assets/{name}", docs.AssetResource(assets))
    return app
