"""Tokens in SQLite (WAL), the default store.

Each process has two connections: one for reads (token lookups, listings)
and one for writes (admin changes, usage counters), each behind its own lock,
so a write waiting for another process's lock never holds up a lookup. A
write waits at most `WRITE_WAIT_SECONDS`. Any database fault is raised as
StoreUnavailable and drops the connection, so the next call opens the file
anew: a database made writable again, or replaced, is used at once. A
database deleted while the service runs is reported, never silently
recreated, since the tokens it held would be gone.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from nllb.access.tokens import (
    Limits,
    StoreUnavailable,
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

WRITE_WAIT_SECONDS = 2.0
READ_WAIT_SECONDS = 2.0

_COLUMNS = (
    "id, name, description, prefix, created_at, last_used_at, active, rate_limit_requests, "
    "rate_limit_window, char_limit, char_window, requests_total, characters_total"
)


class SqliteTokenStore:
    def __init__(self, path: Path, create: bool = True):
        """`create`: make the file if it is missing (the master and the CLI); workers only open it."""
        self.path = path
        self.may_create = create
        self._reader = _Connection(self, READ_WAIT_SECONDS)
        self._writer = _Connection(self, WRITE_WAIT_SECONDS)

    def close(self) -> None:
        self._reader.close()
        self._writer.close()

    def problem(self) -> str | None:
        """Why the store cannot serve (for readiness), or None."""
        try:
            self._reader.identity()
        except StoreUnavailable as exc:
            return str(exc)
        return None

    def _open(self, wait_seconds: float) -> sqlite3.Connection:
        if self.may_create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = "rwc" if self.may_create else "rw"
        db = sqlite3.connect(f"{self.path.absolute().as_uri()}?mode={mode}", uri=True, timeout=wait_seconds,
                             check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA busy_timeout={int(wait_seconds * 1000)}")
        self._migrate(db)
        return db

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
        with self._reader.use() as db:
            return db.execute(sql, params).fetchall()

    def _write(self, sql: str, params: tuple = ()) -> None:
        with self._writer.use() as db:
            db.execute(sql, params)

    def create(self, name: str, description: str = "", limits: Limits = Limits()) -> tuple[TokenRecord, str]:
        name, description = check_name(name), check_description(description)
        token = new_token()
        try:
            self._write(
                "INSERT INTO tokens (name, description, token_hash, prefix, created_at, rate_limit_requests, "
                "rate_limit_window, char_limit, char_window) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (name, description, token_hash(token), display_prefix(token), now(),
                 limits.requests, limits.requests_window, limits.characters, limits.characters_window),
            )
        except sqlite3.IntegrityError:
            raise TokenError("name_taken", f"A token named {name!r} exists already.", "name") from None
        return self.by_name(name), token

    def rotate(self, name: str) -> tuple[TokenRecord, str]:
        """A new secret for the token `name`; the old one stops working."""
        token = new_token()
        with self._writer.use() as db:
            changed = db.execute("UPDATE tokens SET token_hash = ?, prefix = ? WHERE name = ?",
                                 (token_hash(token), display_prefix(token), name)).rowcount
        if not changed:
            raise TokenError("not_found", f"No token is named {name!r}.", "name")
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
        self._write("UPDATE tokens SET active = ? WHERE id = ?", (int(active), token_id))
        return self.get(token_id)

    def set_limits(self, token_id: int, limits: Limits) -> TokenRecord | None:
        self._write(
            "UPDATE tokens SET rate_limit_requests = ?, rate_limit_window = ?, char_limit = ?, char_window = ? WHERE id = ?",
            (limits.requests, limits.requests_window, limits.characters, limits.characters_window, token_id),
        )
        return self.get(token_id)

    def record_usage(self, usage: dict[int, tuple[int, int, float]]) -> None:
        with self._writer.use() as db:
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


class _Connection:
    """One SQLite connection of this process, opened on first use and after any fault."""

    def __init__(self, store: SqliteTokenStore, wait_seconds: float):
        self.store = store
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid: int | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the file it opened

    def identity(self) -> tuple[int, int]:
        """The database file's (device, inode); StoreUnavailable once it was deleted."""
        try:
            stat = os.stat(self.store.path)
        except FileNotFoundError:
            if self._file is not None or not self.store.may_create:
                raise StoreUnavailable(
                    f"the token database {self.store.path} was deleted while the service runs; "
                    "restore it or restart the service") from None
            return (0, 0)
        except OSError as exc:
            raise StoreUnavailable(f"the token database {self.store.path} cannot be read: {exc.strerror}") from None
        return stat.st_dev, stat.st_ino

    @contextlib.contextmanager
    def use(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                file = self.identity()
                # A connection must not cross fork, and must follow a file replaced under it.
                if self._db is None or self._pid != os.getpid() or file != self._file:
                    self._drop()
                    self._db = self.store._open(self.wait_seconds)
                    self._pid, self._file = os.getpid(), self.identity()
                yield self._db
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, (sqlite3.IntegrityError, sqlite3.ProgrammingError)):
                    raise  # the caller's mistake, not the database's
                self._drop()
                raise StoreUnavailable(f"the token database {self.store.path} failed: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None


def _record(row: tuple) -> TokenRecord:
    (id_, name, description, prefix, created, last_used, active, req, req_window,
     chars, chars_window, req_total, chars_total) = row
    return TokenRecord(
        id=id_, name=name, description=description, prefix=prefix, created_at=created,
        last_used_at=last_used, active=bool(active), limits=Limits(req, req_window, chars, chars_window),
        requests_total=req_total, characters_total=chars_total,
    )
