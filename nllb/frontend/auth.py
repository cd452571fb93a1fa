"""Authentication middleware and the rate-limit headers.

A resource says what it needs with a class attribute: `auth = "token"` or
`auth = "admin"`; resources without one are public.
"""

from __future__ import annotations

import functools
import ipaddress
import math
from collections.abc import Callable
from typing import TypeVar

import falcon

from nllb import metrics
from nllb.access.gate import ANONYMOUS, AccessDenied, AccessGate, retry_after_header
from nllb.access.ratelimit import Decision
from nllb.config import Settings
from nllb.frontend.errors import APIError

T = TypeVar("T")


class Authentication:
    def __init__(self, settings: Settings, gate: AccessGate):
        self.settings = settings
        self.gate = gate
        self.trusted = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        # Asked on every request, of the same few peers: parsing an address costs more than the rest of auth.
        self._is_trusted = functools.lru_cache(maxsize=4096)(self._in_trusted_networks)

    def process_resource(self, req: falcon.Request, resp: falcon.Response, resource, params: dict) -> None:
        policy = getattr(resource, "auth", None)
        if policy is None or resource is None:
            return
        if policy == "token" and not self.settings.auth_enabled:
            req.context.principal = ANONYMOUS
            return
        # A resource of another protocol finds its credential where that protocol puts it.
        authorization = resource.authorization(req) if hasattr(resource, "authorization") else \
            req.get_header("Authorization")
        try:
            req.context.principal = self.gate.authenticate(
                authorization, self.client_address(req), admin_required=policy == "admin"
            )
        except AccessDenied as denied:
            raise as_api_error(denied) from None

    def client_address(self, req: falcon.Request) -> str:
        """The peer, or behind a trusted proxy the nearest untrusted X-Forwarded-For hop."""
        peer = req.remote_addr or "unknown"
        if not self._is_trusted(peer):
            return peer
        hops = [h.strip() for h in (req.get_header("X-Forwarded-For") or "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer

    def _in_trusted_networks(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)


def as_api_error(denied: AccessDenied) -> APIError:
    headers = {}
    if denied.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="nllb"'
    if denied.retry_after is not None:
        headers["Retry-After"] = retry_after_header(denied.retry_after)
    return APIError(denied.status, denied.code, denied.message, headers=headers)


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    requests, characters = decision.outcomes
    headers = {
        "RateLimit-Limit": str(requests.budget.limit),
        "RateLimit-Remaining": str(requests.remaining),
        "RateLimit-Reset": str(math.ceil(requests.reset_seconds)),
        "RateLimit-Policy": f"{requests.budget.limit};w={requests.budget.window:g}",
        "X-Character-Limit": str(characters.budget.limit),
        "X-Character-Remaining": str(characters.remaining),
    }
    if not decision.allowed:
        headers["Retry-After"] = retry_after_header(decision.retry_after)
    return headers


def receive(gate: AccessGate, req: falcon.Request, resp: falcon.Response, parse: Callable[[], T]) -> T:
    """What `parse` makes of the request; a request it refuses still costs one request of the budget, and its
    characters nothing."""
    try:
        return parse()
    except APIError:
        charge(gate, req, resp, 0)
        raise


def admit(gate: AccessGate, req: falcon.Request, resp: falcon.Response, parse: Callable[[], T],
          characters: Callable[[T], int]) -> T:
    """What `parse` makes of the request, charged to the caller's budgets (see receive())."""
    parsed = receive(gate, req, resp, parse)
    charge(gate, req, resp, characters(parsed))
    return parsed


def charge(gate: AccessGate, req: falcon.Request, resp: falcon.Response, characters: int,
           reads: list[str] | None = None) -> list[bytes | None] | None:
    """Take one request and its characters from the caller's budgets, or refuse with 429; the values at
    `reads` when they came with the charge (AccessGate.charge)."""
    decision, values = gate.charge(req.context.principal, characters, reads)
    if decision is None:
        return None
    headers = rate_limit_headers(decision)
    if not decision.allowed:
        chars = decision.outcomes[1]
        budget = "characters"
        if characters > chars.budget.limit:
            message = (f"This request has {characters} characters; the budget is {chars.budget.limit} "
                       f"per {chars.budget.window:g} s.")
        elif chars.retry_after > 0:
            message = "The character budget of this token is spent for now."
        else:
            budget, message = "requests", "The request budget of this token is spent for now."
        metrics.rate_limited.labels(req.context.principal.name).inc()
        raise APIError(429, "rate_limited", message, headers=headers, budget=budget)
    resp.set_headers(headers)
    return values
