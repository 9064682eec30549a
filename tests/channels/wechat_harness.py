"""A scripted assistant and a gateway wired to the fake WeChat, for tests/channels.

The assistant stands in for Rasa's `on_new_message` (the real model is
exercised in tests/e2e/test_wechat.py); WeChat's API is the fake on
127.0.0.1, reached over real HTTP.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.channels.wechat.api import CustomerServiceApi
from bot.channels.wechat.gateway import WeChatGateway
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.store import SqliteStore
from tests.fake_wechat import AES_KEY, APP_ID, SECRET, TOKEN, FakeWeChatApi, WeChatPusher

USER = "oUser-0001"


@dataclass
class Assistant:
    """Answers every message after `delay` seconds with `answer` (and buttons)."""

    delay: float = 0.0
    answer: str = "好的"
    buttons: list[dict[str, str]] = field(default_factory=list)
    fail: bool = False
    heard: list[UserMessage] = field(default_factory=list)

    async def __call__(self, message: UserMessage) -> None:
        self.heard.append(message)
        await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("the model fell over")
        if self.buttons:
            await message.output_channel.send_text_with_buttons(
                message.sender_id, self.answer, self.buttons
            )
        else:
            await message.output_channel.send_text_message(message.sender_id, self.answer)


def settings_for(api: FakeWeChatApi, tmp_path: Path, **changes: Any) -> WeChatSettings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "app_secret": SECRET,
        "api_base_url": api.base_url,
        "store_url": f"sqlite:///{tmp_path}/wechat.db",
        "reply_within_seconds": 0.3,
    }
    return WeChatSettings(**{**values, **changes})


def gateway_for(settings: WeChatSettings, tmp_path: Path) -> WeChatGateway:
    store = SqliteStore(tmp_path / "wechat.db", seen_ttl=3600, choice_ttl=3600)
    return WeChatGateway(settings, store, CustomerServiceApi(settings))


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def push(gateway: WeChatGateway, xml: str, assistant: Assistant) -> tuple[Any, float]:
    body, query = WeChatPusher("unused").seal(xml)
    start = time.monotonic()
    reply = await gateway.receive(query, body.encode(), assistant)
    return reply, time.monotonic() - start


def opened(reply: Any) -> dict[str, str]:
    assert reply.status == 200 and reply.body != "success", reply
    return WeChatPusher("unused").open_reply(reply.body)
