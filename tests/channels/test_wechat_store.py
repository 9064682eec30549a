"""The store behind exactly-once: SQLite by default, Redis when configured."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.channels.wechat.store import MessageStore, RedisStore, SqliteStore, open_store

REDIS_URL = "redis://127.0.0.1:6379/0"
StoreFactory = Callable[..., MessageStore]


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Return a factory; each call is a fresh store object on the same data (a restart)."""
    if request.param == "redis" and not redis_available():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    prefix = f"yucai-test:{uuid.uuid4().hex}:"

    def factory(seen_ttl: int = 3600) -> MessageStore:
        if request.param == "sqlite":
            return SqliteStore(tmp_path / "wechat.db", seen_ttl=seen_ttl, choice_ttl=3600)
        return RedisStore(REDIS_URL, seen_ttl=seen_ttl, choice_ttl=3600, prefix=prefix)

    yield factory
    if request.param == "redis":
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_a_key_is_claimed_once_even_by_concurrent_callers(make_store: StoreFactory) -> None:
    async def scenario() -> list[bool]:
        store = make_store()
        try:
            return list(await asyncio.gather(*(store.claim("msg:1") for _ in range(10))))
        finally:
            await store.close()

    assert sorted(asyncio.run(scenario())) == [False] * 9 + [True]


def test_a_restart_remembers_claimed_keys_and_options(make_store: StoreFactory) -> None:
    async def before() -> None:
        store = make_store()
        assert await store.claim("msg:42")
        await store.save_choices("user-a", ["/request_housing", "上午"])
        await store.close()

    async def after() -> tuple[bool, bool, list[str], list[str]]:
        store = make_store()
        try:
            return (
                await store.claim("msg:42"),
                await store.claim("msg:43"),
                await store.load_choices("user-a"),
                await store.load_choices("user-b"),
            )
        finally:
            await store.close()

    asyncio.run(before())
    assert asyncio.run(after()) == (False, True, ["/request_housing", "上午"], [])


def test_an_answer_without_options_forgets_the_old_ones(make_store: StoreFactory) -> None:
    async def scenario() -> list[str]:
        store = make_store()
        try:
            await store.save_choices("user-a", ["/a"])
            await store.save_choices("user-a", [])
            return await store.load_choices("user-a")
        finally:
            await store.close()

    assert asyncio.run(scenario()) == []


def test_an_expired_claim_can_be_taken_again(make_store: StoreFactory) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        store = make_store(seen_ttl=1)
        try:
            first = await store.claim("msg:old")
            again = await store.claim("msg:old")
            await asyncio.sleep(1.2)
            return first, again, await store.claim("msg:old")
        finally:
            await store.close()

    assert asyncio.run(scenario()) == (True, False, True)


def test_the_store_url_picks_the_backend(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/sub/w.db", seen_ttl=1, choice_ttl=1)
    assert isinstance(store, SqliteStore) and (tmp_path / "sub" / "w.db").exists()
    asyncio.run(store.close())
    assert isinstance(open_store(REDIS_URL, seen_ttl=1, choice_ttl=1), RedisStore)
    with pytest.raises(ValueError):
        open_store("mysql://x", seen_ttl=1, choice_ttl=1)


def test_a_retry_noted_by_one_instance_is_seen_by_another(make_store: StoreFactory) -> None:
    async def scenario() -> tuple[bool, bool, bool]:
        one, two = make_store(), make_store()
        try:
            before = await two.was_retried("msg:7")
            await one.mark_retried("msg:7")
            return before, await two.was_retried("msg:7"), await two.was_retried("msg:8")
        finally:
            await one.close()
            await two.close()

    assert asyncio.run(scenario()) == (False, True, False)
