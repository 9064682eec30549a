"""One access token for every instance: with the WeChat store on Redis, one fetch serves all."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path

import pytest

from bot.channels.wechat.api import CustomerServiceApi
from bot.channels.wechat.token import SharedToken
from tests.channels.wechat_harness import settings_for
from tests.fake_wechat import FakeWeChatApi

REDIS_URL = os.environ.get("YUCAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def redis_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the shared token: Redis is not on 127.0.0.1:6379")
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    return REDIS_URL


def test_two_instances_fetch_one_token_and_refresh_it_once(redis_url: str, tmp_path: Path) -> None:
    app_id = f"wx{uuid.uuid4().hex[:16]}"  # a key of its own in the shared Redis
    with FakeWeChatApi(app_id=app_id) as fake:
        settings = settings_for(fake, tmp_path, app_id=app_id, store_url=redis_url)

        async def scenario() -> None:
            instances = [CustomerServiceApi(settings) for _ in range(2)]
            try:
                await asyncio.gather(*(api.send_text(f"oUser-{n}", "你好") for n, api in
                                       enumerate(instances * 2)))  # fmt: skip
                assert fake.token_fetches == 1
                fake.expire_tokens()  # as after its two hours: both are refused once
                await asyncio.gather(*(api.send_text("oUser-x", "再见") for api in instances))
                assert fake.token_fetches == 2
            finally:
                for api in instances:
                    await api.close()

        asyncio.run(scenario())
    assert len(fake.texts_to("oUser-x")) == 2


def test_without_redis_each_instance_keeps_its_own_token(tmp_path: Path) -> None:
    with FakeWeChatApi() as fake:
        settings = settings_for(fake, tmp_path)

        async def scenario() -> None:
            api = CustomerServiceApi(settings)
            try:
                await api.send_text("oUser-1", "你好")
                await api.send_text("oUser-1", "再见")
            finally:
                await api.close()

        asyncio.run(scenario())
    assert fake.token_fetches == 1


def test_an_instance_that_takes_the_lock_after_a_neighbour_fetched_uses_its_token(
    redis_url: str,
) -> None:
    """The race behind an extra fetch: B reads no token, A stores one and lets go, B locks."""
    account = f"wx{uuid.uuid4().hex[:16]}"
    first, second = SharedToken(redis_url, account), SharedToken(redis_url, account)
    fetched: list[str] = []

    async def fetch() -> tuple[str, int]:
        fetched.append(f"token-{len(fetched) + 1}")
        return fetched[-1], 7200

    async def scenario() -> tuple[str, str]:
        take_lock = second._redis.set  # noqa: SLF001 - the step the race falls between
        neighbour: list[str] = []

        async def neighbour_fetches_first(name: str, value: str, **options: object) -> object:
            if not neighbour:  # between the second's read and its lock: the first does it all
                neighbour.append(await first.get(fetch))
            return await take_lock(name, value, **options)

        second._redis.set = neighbour_fetches_first  # type: ignore[method-assign]
        try:
            token = await second.get(fetch)
            return neighbour[0], token
        finally:
            await first.close()
            await second.close()

    neighbours, own = asyncio.run(scenario())
    assert fetched == ["token-1"]
    assert own == neighbours == "token-1"
