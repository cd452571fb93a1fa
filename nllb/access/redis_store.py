"""Tokens in a shared Redis (TOKEN_STORE=redis), so every node knows every token."""

from __future__ import annotations

import redis

from nllb.access.tokens import (
    Limits,
    TokenError,
    TokenRecord,
    check_description,
    check_name,
    display_prefix,
    new_token,
    now,
    token_hash,
)

PREFIX = "nllb:tokens:"

# Creation is one atomic step: the name is claimed, the id drawn and every
# index written, or nothing is.
_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local id = redis.call('INCR', KEYS[2])
local key = ARGV[1] .. 'id:' .. id
redis.call('HSET', key, 'id', id, 'token_hash', ARGV[2], unpack(ARGV, 3))
redis.call('SET', KEYS[1], id)
redis.call('SET', ARGV[1] .. 'hash:' .. ARGV[2], id)
redis.call('ZADD', KEYS[3], id, id)
return id
"""

# A new secret: the old hash's index entry goes, the new one comes, in one step.
# Tokens made before the hash was kept in their record are found by their index entry.
_ROTATE = """
local id = redis.call('GET', KEYS[1])
if not id then return 0 end
local key = ARGV[1] .. 'id:' .. id
local old = redis.call('HGET', key, 'token_hash')
if old then
  redis.call('DEL', ARGV[1] .. 'hash:' .. old)
else
  local cursor = '0'
  repeat
    local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1] .. 'hash:*', 'COUNT', 1000)
    cursor = page[1]
    for _, index in ipairs(page[2]) do
      if redis.call('GET', index) == id then redis.call('DEL', index) end
    end
  until cursor == '0'
end
redis.call('HSET', key, 'token_hash', ARGV[2], 'prefix', ARGV[3])
redis.call('SET', ARGV[1] .. 'hash:' .. ARGV[2], id)
return tonumber(id)
"""

class RedisTokenStore:
    def __init__(self, client: redis.Redis):
        self.redis = client
        self._create = client.register_script(_CREATE)
        self._rotate = client.register_script(_ROTATE)

    def create(self, name: str, description: str = "", limits: Limits = Limits()) -> tuple[TokenRecord, str]:
        name, description = check_name(name), check_description(description)
        token = new_token()
        fields = {
            "name": name, "description": description, "prefix": display_prefix(token),
            "created_at": repr(now()), "active": "1", "requests_total": "0", "characters_total": "0",
            **_limit_fields(limits),
        }
        args = [PREFIX, token_hash(token)] + [x for pair in fields.items() for x in pair]
        token_id = self._create(keys=[PREFIX + "name:" + name, PREFIX + "next_id", PREFIX + "ids"], args=args)
        if not token_id:
            raise TokenError("name_taken", f"A token named {name!r} exists already.", "name")
        return self.get(int(token_id)), token

    def rotate(self, name: str) -> tuple[TokenRecord, str]:
        """A new secret for the token `name`; the old one stops working."""
        token = new_token()
        token_id = self._rotate(keys=[PREFIX + "name:" + name], args=[PREFIX, token_hash(token), display_prefix(token)])
        if not token_id:
            raise TokenError("not_found", f"No token is named {name!r}.", "name")
        return self.get(int(token_id)), token

    def list(self) -> list[TokenRecord]:
        ids = [int(i) for i in self.redis.zrange(PREFIX + "ids", 0, -1)]
        pipe = self.redis.pipeline()
        for token_id in ids:
            pipe.hgetall(f"{PREFIX}id:{token_id}")
        return [_record(fields) for fields in pipe.execute() if fields]

    def get(self, token_id: int) -> TokenRecord | None:
        fields = self.redis.hgetall(f"{PREFIX}id:{token_id}")
        return _record(fields) if fields else None

    def by_name(self, name: str) -> TokenRecord | None:
        token_id = self.redis.get(PREFIX + "name:" + name)
        return self.get(int(token_id)) if token_id else None

    def problem(self) -> str | None:
        """None: a Redis outage shows in the cache and rate-limit reports, and lookups fall back to what they know."""
        return None

    def by_hash(self, digest: str) -> TokenRecord | None:
        token_id = self.redis.get(PREFIX + "hash:" + digest)
        return self.get(int(token_id)) if token_id else None

    def set_active(self, token_id: int, active: bool) -> TokenRecord | None:
        if not self.redis.exists(f"{PREFIX}id:{token_id}"):
            return None
        self.redis.hset(f"{PREFIX}id:{token_id}", "active", "1" if active else "0")
        return self.get(token_id)

    def set_limits(self, token_id: int, limits: Limits) -> TokenRecord | None:
        key = f"{PREFIX}id:{token_id}"
        if not self.redis.exists(key):
            return None
        fields = _limit_fields(limits)
        pipe = self.redis.pipeline()
        empty = [f for f, v in fields.items() if v == ""]
        if empty:
            pipe.hdel(key, *empty)
        set_fields = {f: v for f, v in fields.items() if v != ""}
        if set_fields:
            pipe.hset(key, mapping=set_fields)
        pipe.execute()
        return self.get(token_id)

    def record_usage(self, usage: dict[int, tuple[int, int, float]]) -> None:
        pipe = self.redis.pipeline()
        for token_id, (requests, chars, last_used) in usage.items():
            key = f"{PREFIX}id:{token_id}"
            pipe.hincrby(key, "requests_total", requests)
            pipe.hincrby(key, "characters_total", chars)
            pipe.hset(key, "last_used_at", repr(last_used))
        pipe.execute()


def _limit_fields(limits: Limits) -> dict[str, str]:
    values = {
        "rate_limit_requests": limits.requests, "rate_limit_window": limits.requests_window,
        "char_limit": limits.characters, "char_window": limits.characters_window,
    }
    return {k: "" if v is None else str(v) for k, v in values.items()}


def _record(raw: dict) -> TokenRecord:
    f = {k.decode(): v.decode() for k, v in raw.items()}

    def number(name: str) -> int | None:
        return int(f[name]) if f.get(name) else None

    return TokenRecord(
        id=int(f["id"]), name=f["name"], description=f.get("description", ""), prefix=f["prefix"],
        created_at=float(f["created_at"]),
        last_used_at=float(f["last_used_at"]) if f.get("last_used_at") else None,
        active=f.get("active") == "1",
        limits=Limits(number("rate_limit_requests"), number("rate_limit_window"),
                      number("char_limit"), number("char_window")),
        requests_total=number("requests_total") or 0, characters_total=number("characters_total") or 0,
    )
