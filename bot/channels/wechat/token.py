"""One access-token holder for every Rasa instance: the token lives in Redis.

WeChat issues a new access token on every fetch and keeps the previous one
valid for only about five minutes, so instances fetching on their own keep
invalidating each other's tokens. With the WeChat store on Redis
(``WECHAT_STORE_URL=redis://…``) the token is kept there: one instance fetches
(under a short ``SET NX`` lock, reading the key again once it holds the lock),
the others read it. A token WeChat calls expired is dropped only if it is
still the stored one, so a token a neighbour just fetched survives.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

LOCK_SECONDS = 15
WAIT_STEP_SECONDS = 0.2
#: delete the key only while it still holds the token we were told is bad
_COMPARE_AND_DELETE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class TokenHolderUnavailable(Exception):
    """Redis could not be used; the caller falls back to its own token."""


class SharedToken:
    """The access token of one account, shared through Redis."""

    def __init__(self, url: str, account: str, *, prefix: str = "yucai:wechat:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._key = f"{prefix}token:{account}"
        self._lock_key = f"{self._key}:fetching"

    async def get(
        self, fetch: Callable[[], Awaitable[tuple[str, int]]], *, stale: str | None = None
    ) -> str:
        """Return the shared token; fetch it (once for all instances) if missing or ``stale``."""
        try:
            if stale is not None:
                await self._redis.eval(_COMPARE_AND_DELETE, 1, self._key, stale)
            waited = 0.0
            while waited < LOCK_SECONDS:
                current = await self._redis.get(self._key)
                if current:
                    return str(current.decode())
                holder = secrets.token_hex(8)
                if await self._redis.set(self._lock_key, holder, nx=True, ex=LOCK_SECONDS):
                    try:
                        # a neighbour may have stored a token and let go of the lock
                        # between our read above and taking the lock: use that one
                        current = await self._redis.get(self._key)
                        if current:
                            return str(current.decode())
                        token, ttl = await fetch()
                        await self._redis.set(self._key, token, ex=max(60, ttl))
                        return token
                    finally:
                        await self._redis.eval(_COMPARE_AND_DELETE, 1, self._lock_key, holder)
                await asyncio.sleep(WAIT_STEP_SECONDS)  # another instance is fetching
                waited += WAIT_STEP_SECONDS
        except (OSError, ConnectionError) as exc:
            raise TokenHolderUnavailable(type(exc).__name__) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("redis"):
                raise TokenHolderUnavailable(type(exc).__name__) from exc
            raise
        raise TokenHolderUnavailable("another instance did not finish fetching the token")

    async def close(self) -> None:
        """Close the connection pool."""
        await self._redis.close()
