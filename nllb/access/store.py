"""Tokens in SQLite (WAL), the default store; one connection per process."""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

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

# Each entry moves the schema one version up; user_version records where a file is.
MIGRATIONS = [
    """
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        token_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at REAL NOT NULL,
        last_used_at REAL,
        active INTEGER NOT NULL DEFAULT 1,
        rate_limit_requests INTEGER,
        rate_limit_window INTEGER,
        char_limit INTEGER,
        char_window INTEGER,
        requests_total INTEGER NOT NULL DEFAULT 0,
        characters_total INTEGER NOT NULL DEFAULT 0
    )
    """,
]

_COLUMNS = (
    "id, name, description, prefix, created_at, last_used_at, active, rate_limit_requests, "
    "rate_limit_window, char_limit, char_window, requests_total, characters_total"
)


class SqliteTokenStore:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = None

    def _connection(self) -> sqlite3.Connection:
        # A connection must not cross fork: each worker opens its own.
        if self._db is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=10, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=10000")
            self._migrate(db)
            self._db, self._pid = db, os.getpid()
        return self._db

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise RuntimeError(f"the token database is from a newer nllb (schema {version})")
        for number, statement in enumerate(MIGRATIONS[version:], start=version + 1):
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute("PRAGMA user_version").fetchone()[0] < number:
                    db.execute(statement)
                    db.execute(f"PRAGMA user_version = {number}")
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._connection().execute(sql, params).fetchall()

    def create(self, name: str, description: str = "", limits: Limits = Limits()) -> tuple[TokenRecord, str]:
        name, description = check_name(name), check_description(description)
        token = new_token()
        try:
            self._query(
                "INSERT INTO tokens (name, description, token_hash, prefix, created_at, rate_limit_requests, "
                "rate_limit_window, char_limit, char_window) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, description, token_hash(token), display_prefix(token), now(),
                 limits.requests, limits.requests_window, limits.characters, limits.characters_window),
            )
        except sqlite3.IntegrityError:
            raise TokenError("name_taken", f"A token named {name!r} exists already.", "name") from None
        return self.by_name(name), token

    def list(self) -> list[TokenRecord]:
        return [_record(row) for row in self._query(f"SELECT {_COLUMNS} FROM tokens ORDER BY id")]

    def get(self, token_id: int) -> TokenRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM tokens WHERE id = ?", (token_id,))
        return _record(rows[0]) if rows else None

    def by_name(self, name: str) -> TokenRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM tokens WHERE name = ?", (name,))
        return _record(rows[0]) if rows else None

    def by_hash(self, digest: str) -> TokenRecord | None:
        rows = self._query(f"SELECT {_COLUMNS} FROM tokens WHERE token_hash = ?", (digest,))
        return _record(rows[0]) if rows else None

    def set_active(self, token_id: int, active: bool) -> TokenRecord | None:
        self._query("UPDATE tokens SET active = ? WHERE id = ?", (int(active), token_id))
        return self.get(token_id)

    def set_limits(self, token_id: int, limits: Limits) -> TokenRecord | None:
        self._query(
            "UPDATE tokens SET rate_limit_requests = ?, rate_limit_window = ?, char_limit = ?, char_window = ? WHERE id = ?",
            (limits.requests, limits.requests_window, limits.characters, limits.characters_window, token_id),
        )
        return self.get(token_id)

    def record_usage(self, usage: dict[int, tuple[int, int, float]]) -> None:
        with self._lock:
            db = self._connection()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany(
                    "UPDATE tokens SET requests_total = requests_total + ?, characters_total = characters_total + ?, "
                    "last_used_at = MAX(COALESCE(last_used_at, 0), ?) WHERE id = ?",
                    [(requests, chars, last, token_id) for token_id, (requests, chars, last) in usage.items()],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise


def _record(row: tuple) -> TokenRecord:
    (id_, name, description, prefix, created, last_used, active, req, req_window,
     chars, chars_window, req_total, chars_total) = row
    return TokenRecord(
        id=id_, name=name, description=description, prefix=prefix, created_at=created,
        last_used_at=last_used, active=bool(active), limits=Limits(req, req_window, chars, chars_window),
        requests_total=req_total, characters_total=chars_total,
    )
