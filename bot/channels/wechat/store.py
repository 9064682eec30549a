"""What must survive a restart: MsgIds already taken, retries seen, and each user's options.

SQLite by default (`make run` needs nothing else), Redis when
WECHAT_STORE_URL says so. Claiming a MsgId is one atomic statement in both,
so a retry that arrives while the first copy is still being answered, in this
process or another, never starts a second turn. A retry that reaches another
instance is also noted (``mark_retried``), so the instance running the turn
knows WeChat gave up on the first connection and sends the answer through the
API instead of into that dead connection.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol

SCHEMA = (
    "create table if not exists wechat_seen (key text primary key, expires_at real not null)",
    "create table if not exists wechat_choice ("
    " user_key text primary key, payloads text not null, expires_at real not null)",
    "create table if not exists wechat_retried (key text primary key, expires_at real not null)",
)
PURGE_EVERY = 500


class StoreError(Exception):
    """The store could not be read or written."""


class MessageStore(Protocol):
    """Persistent de-duplication and per-user option lists."""

    async def claim(self, key: str) -> bool:
        """Return True only for the first caller with this key (within the TTL)."""

    async def mark_retried(self, key: str) -> None:
        """Note that WeChat retried this message (seen by whichever instance runs the turn)."""

    async def was_retried(self, key: str) -> bool:
        """Tell whether a retry of this message was noted anywhere."""

    async def save_choices(self, user_key: str, payloads: list[str]) -> None:
        """Remember the payloads behind the numbered options just shown."""

    async def load_choices(self, user_key: str) -> list[str]:
        """Return the payloads of the options last shown to this user."""

    async def close(self) -> None:
        """Release connections."""


class SqliteStore:
    """SQLite file: autocommit per statement, so a claim is on disk before Rasa runs."""

    def __init__(self, path: Path, *, seen_ttl: int, choice_ttl: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("pragma journal_mode=wal")
        self._conn.execute("pragma busy_timeout=5000")
        for statement in SCHEMA:
            self._conn.execute(statement)
        self._lock = threading.Lock()
        self._seen_ttl, self._choice_ttl = seen_ttl, choice_ttl
        self._claims = 0
        self._purge(time.time())

    def _run(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self._conn.execute(sql, params)
            except sqlite3.Error as exc:
                raise StoreError(str(exc)) from exc

    def _purge(self, now: float) -> None:
        self._run("delete from wechat_seen where expires_at < ?", (now,))
        self._run("delete from wechat_choice where expires_at < ?", (now,))
        self._run("delete from wechat_retried where expires_at < ?", (now,))

    def _claim(self, key: str) -> bool:
        now = time.time()
        self._claims += 1
        if self._claims % PURGE_EVERY == 0:
            self._purge(now)
        cursor = self._run(
            "insert into wechat_seen (key, expires_at) values (?, ?)"
            " on conflict (key) do update set expires_at = excluded.expires_at"
            " where wechat_seen.expires_at < ?",
            (key, now + self._seen_ttl, now),
        )
        return cursor.rowcount == 1

    async def claim(self, key: str) -> bool:
        """Insert the key unless a live copy exists; True if this call inserted it."""
        return await asyncio.to_thread(self._claim, key)

    async def mark_retried(self, key: str) -> None:
        """Record the retry until the MsgId itself would expire."""
        await asyncio.to_thread(
            self._run,
            "insert or replace into wechat_retried (key, expires_at) values (?, ?)",
            (key, time.time() + self._seen_ttl),
        )

    async def was_retried(self, key: str) -> bool:
        """Look the retry up."""
        cursor = await asyncio.to_thread(
            self._run,
            "select 1 from wechat_retried where key = ? and expires_at >= ?",
            (key, time.time()),
        )
        return cursor.fetchone() is not None

    async def save_choices(self, user_key: str, payloads: list[str]) -> None:
        """Replace (or with no payloads, forget) the user's options."""
        if not payloads:
            await asyncio.to_thread(
                self._run, "delete from wechat_choice where user_key = ?", (user_key,)
            )
            return
        await asyncio.to_thread(
            self._run,
            "insert or replace into wechat_choice (user_key, payloads, expires_at)"
            " values (?, ?, ?)",
            (user_key, json.dumps(payloads, ensure_ascii=False), time.time() + self._choice_ttl),
        )

    async def load_choices(self, user_key: str) -> list[str]:
        """Return the live options, or none."""
        cursor = await asyncio.to_thread(
            self._run,
            "select payloads from wechat_choice where user_key = ? and expires_at >= ?",
            (user_key, time.time()),
        )
        row = cursor.fetchone()
        return list(json.loads(row[0])) if row else []

    async def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._conn.close()


class RedisStore:
    """Redis: SET NX EX claims a key atomically across processes."""

    def __init__(self, url: str, *, seen_ttl: int, choice_ttl: int, prefix: str) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._seen_ttl, self._choice_ttl = seen_ttl, choice_ttl
        self._prefix = prefix

    async def claim(self, key: str) -> bool:
        """SET NX: only the first writer gets True."""
        try:
            created = await self._redis.set(
                f"{self._prefix}seen:{key}", 1, nx=True, ex=self._seen_ttl
            )
        except Exception as exc:  # redis raises its own hierarchy plus OSError
            raise StoreError(str(exc)) from exc
        return bool(created)

    async def mark_retried(self, key: str) -> None:
        """SET with the MsgId's lifetime: every instance sees it."""
        try:
            await self._redis.set(f"{self._prefix}retried:{key}", 1, ex=self._seen_ttl)
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    async def was_retried(self, key: str) -> bool:
        """GET the marker."""
        try:
            return bool(await self._redis.exists(f"{self._prefix}retried:{key}"))
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    async def save_choices(self, user_key: str, payloads: list[str]) -> None:
        """Replace (or with no payloads, forget) the user's options."""
        name = f"{self._prefix}choice:{user_key}"
        try:
            if payloads:
                value = json.dumps(payloads, ensure_ascii=False)
                await self._redis.set(name, value, ex=self._choice_ttl)
            else:
                await self._redis.delete(name)
        except Exception as exc:
            raise StoreError(str(exc)) from exc

    async def load_choices(self, user_key: str) -> list[str]:
        """Return the live options, or none."""
        try:
            raw = await self._redis.get(f"{self._prefix}choice:{user_key}")
        except Exception as exc:
            raise StoreError(str(exc)) from exc
        return list(json.loads(raw)) if raw else []

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.close()


def open_store(
    url: str, *, seen_ttl: int, choice_ttl: int, prefix: str = "yucai:wechat:"
) -> MessageStore:
    """Open the store named by a URL: sqlite:///path or redis://host:port/db."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return SqliteStore(path, seen_ttl=seen_ttl, choice_ttl=choice_ttl)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url, seen_ttl=seen_ttl, choice_ttl=choice_ttl, prefix=prefix)
    raise ValueError("WECHAT_STORE_URL must start with sqlite:/// or redis://")
