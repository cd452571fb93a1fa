"""Who may call the service, and how much: API tokens, the admin token, rate limits."""

from nllb.config import Settings


def open_store(settings: Settings, create: bool = True):
    """The token store the settings name: SQLite at DB_PATH (made if missing, with `create`), or the shared Redis."""
    if settings.token_store == "redis":
        from nllb.access.redis_store import RedisTokenStore
        from nllb.redisconn import connect

        return RedisTokenStore(connect(settings.redis_url))
    from nllb.access.store import SqliteTokenStore

    return SqliteTokenStore(settings.database, create)
