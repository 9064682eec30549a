"""One access token for every instance: with the WeChat store on Redis, one fetch serves all."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from pathlib import Path

import pytest

from bot.channels.wechat.api import CustomerServiceApi
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
