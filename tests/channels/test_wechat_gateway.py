"""The gateway's timing and exactly-once rules, with a scripted assistant.

The assistant here is a stand-in for Rasa's `on_new_message` (the real model
is exercised in tests/e2e/test_wechat.py); WeChat's API is the fake on
127.0.0.1, reached over real HTTP.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.wechat.api import CustomerServiceApi
from bot.channels.wechat.gateway import (
    BUSY,
    PLEASE_TYPE,
    SUCCESS,
    TURN_FAILED,
    VOICE_UNCLEAR,
    WeChatGateway,
)
from bot.channels.wechat.settings import WeChatSettings
from bot.channels.wechat.store import SqliteStore, StoreError
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


@pytest.fixture
def wechat_api() -> Iterator[FakeWeChatApi]:
    with FakeWeChatApi() as api:
        yield api


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


def test_a_quick_turn_is_answered_in_the_reply_itself(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant(answer="您好！")

    async def scenario() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(gateway, pusher.text(USER, "你好", "1001"), assistant)
        await gateway.close()
        return reply

    fields = opened(run(scenario()))
    assert fields["Content"] == "您好！"
    assert fields["ToUserName"] == USER and fields["FromUserName"] == "gh_yucai_test"
    heard = assistant.heard[0]
    assert (heard.text, heard.sender_id, heard.message_id) == ("你好", USER, "1001")
    assert heard.input_channel == "wechat" and wechat_api.sent == []


def test_a_slow_turn_gets_success_in_time_and_the_answer_through_the_api(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant(delay=1.5, answer="办好了")

    async def scenario() -> list[float]:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        waits = []
        for msg_id in ("2001", "2002"):
            reply, seconds = await push(gateway, pusher.text(USER, "提交", msg_id), assistant)
            assert reply == SUCCESS
            waits.append(seconds)
        await gateway.close()  # waits for the answers in flight
        return waits

    waits = run(scenario())
    assert all(0.25 < w < 1.2 for w in waits), waits  # `success` before the turn ended
    assert wechat_api.texts_to(USER) == ["办好了", "办好了"]
    assert wechat_api.token_fetches == 1  # the token is cached


def test_retries_while_the_turn_runs_start_no_second_turn(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant(delay=0.2, answer="收到")
    xml = pusher.text(USER, "确认提交", "3001")

    async def scenario() -> list[Any]:
        gateway = gateway_for(settings_for(wechat_api, tmp_path, reply_within_seconds=2), tmp_path)
        first = asyncio.ensure_future(push(gateway, xml, assistant))
        await asyncio.sleep(0.05)
        retries = [await push(gateway, xml, assistant) for _ in range(2)]
        replies = [(await first)[0], *(r[0] for r in retries)]
        await gateway.close()
        return replies

    replies = run(scenario())
    assert replies == [SUCCESS] * 3  # WeChat dropped the first connection: API, not passive
    assert len(assistant.heard) == 1
    assert wechat_api.texts_to(USER) == ["收到"]


def test_an_answer_still_arrives_when_wechat_hangs_up_first(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    assistant = Assistant(delay=0.4, answer="稍等后的回答")

    async def scenario() -> None:
        gateway = gateway_for(settings_for(wechat_api, tmp_path, reply_within_seconds=3), tmp_path)
        handler = asyncio.ensure_future(
            push(gateway, WeChatPusher("unused").text(USER, "你好"), assistant)
        )
        await asyncio.sleep(0.1)
        handler.cancel()  # what Sanic does when the connection drops
        with pytest.raises(asyncio.CancelledError):
            await handler
        await gateway.close()

    run(scenario())
    assert wechat_api.texts_to(USER) == ["稍等后的回答"] and len(assistant.heard) == 1


def test_a_restart_does_not_forget_answered_messages(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant()
    xml = pusher.text(USER, "你好", "4001")

    async def once() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(gateway, xml, assistant)
        await gateway.close()
        return reply

    assert run(once()) != SUCCESS
    assert run(once()) == SUCCESS  # a new process, the same MsgId
    assert len(assistant.heard) == 1


def test_a_digit_answers_with_the_payload_of_that_option(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher = WeChatPusher("unused")
    menu = Assistant(
        answer="请选择：",
        buttons=[
            {"title": "申请人才住房", "payload": "/request_housing"},
            {"title": "就医绿色通道", "payload": "/request_hospital"},
        ],
    )
    plain = Assistant(answer="请问几人入住？")

    async def scenario() -> str:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(gateway, pusher.text(USER, "你好"), menu)
        await push(gateway, pusher.text(USER, "２"), plain)  # full-width digit
        await push(gateway, pusher.text(USER, "2"), plain)  # no options shown any more
        await gateway.close()
        return opened(reply)["Content"]

    menu_text = run(scenario())
    assert "1. 申请人才住房\n2. 就医绿色通道" in menu_text and "回复数字" in menu_text
    assert [m.text for m in plain.heard] == ["/request_hospital", "2"]


def test_a_long_answer_arrives_in_parts_within_wechat_limits(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    long_answer = "\n".join(f"第{i}条：" + "科技人才服务政策" * 10 for i in range(30))
    assistant = Assistant(answer=long_answer)

    async def scenario() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(gateway, WeChatPusher("unused").text(USER, "政策"), assistant)
        await gateway.close()
        return reply

    assert run(scenario()) == SUCCESS  # a passive reply holds one message only
    parts = wechat_api.texts_to(USER)
    assert len(parts) > 1 and all(len(p.encode()) <= 2000 for p in parts)
    assert "\n".join(parts) == long_answer


def test_an_expired_token_is_fetched_again_and_the_answer_still_arrives(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant(delay=0.5, answer="第二次")

    async def scenario() -> None:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        await push(gateway, pusher.text(USER, "一"), assistant)
        await asyncio.sleep(0.6)
        wechat_api.expire_tokens()
        await push(gateway, pusher.text(USER, "二"), assistant)
        await gateway.close()

    run(scenario())
    assert wechat_api.texts_to(USER) == ["第二次", "第二次"]
    assert wechat_api.token_fetches == 2


@pytest.mark.parametrize(
    ("kind", "fields", "expected", "heard"),
    [
        ("image", {"PicUrl": "http://127.0.0.1/x.jpg", "MediaId": "m"}, PLEASE_TYPE, None),
        ("location", {"Location_X": "29.5", "Location_Y": "106.5"}, PLEASE_TYPE, None),
        ("voice", {"MediaId": "m", "Format": "amr", "Recognition": "你好。"}, "好的", "你好。"),
        ("voice", {"MediaId": "m", "Format": "amr", "Recognition": ""}, VOICE_UNCLEAR, None),
        ("event", {"Event": "subscribe"}, "好的", "/greet"),
        ("event", {"Event": "CLICK", "EventKey": "/request_housing"}, "好的", "/request_housing"),
    ],
    ids=["image", "location", "voice", "voice-unrecognised", "subscribe", "menu-click"],
)
def test_each_message_type_gets_a_fitting_answer(
    wechat_api: FakeWeChatApi,
    tmp_path: Path,
    kind: str,
    fields: dict[str, str],
    expected: str,
    heard: str | None,
) -> None:
    assistant = Assistant()

    async def scenario() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(
            gateway, WeChatPusher("unused").message(USER, kind, **fields), assistant
        )
        await gateway.close()
        return reply

    assert opened(run(scenario()))["Content"] == expected
    assert [m.text for m in assistant.heard] == ([heard] if heard else [])


def test_unsubscribe_and_repeated_events_start_nothing(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    pusher, assistant = WeChatPusher("unused"), Assistant()
    subscribe = pusher.message(USER, "event", Event="subscribe")

    async def scenario() -> list[Any]:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        replies = [
            (await push(gateway, xml, assistant))[0]
            for xml in (subscribe, subscribe, pusher.message(USER, "event", Event="unsubscribe"))
        ]
        await gateway.close()
        return replies

    replies = run(scenario())
    assert replies[1:] == [SUCCESS, SUCCESS] and len(assistant.heard) == 1


def test_a_failed_turn_gets_an_apology_not_silence(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    async def scenario() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        reply, _ = await push(
            gateway, WeChatPusher("unused").text(USER, "你好"), Assistant(fail=True)
        )
        await gateway.close()
        return reply

    assert opened(run(scenario()))["Content"] == TURN_FAILED


def test_without_its_store_the_channel_asks_to_resend_and_starts_no_turn(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    class BrokenStore(SqliteStore):
        async def claim(self, key: str) -> bool:
            raise StoreError("disk I/O error")

    assistant = Assistant()

    async def scenario() -> Any:
        settings = settings_for(wechat_api, tmp_path)
        store = BrokenStore(tmp_path / "broken.db", seen_ttl=60, choice_ttl=60)
        gateway = WeChatGateway(settings, store, CustomerServiceApi(settings))
        reply, _ = await push(gateway, WeChatPusher("unused").text(USER, "你好"), assistant)
        await gateway.close()
        return reply

    assert opened(run(scenario()))["Content"] == BUSY and assistant.heard == []


def test_wecom_checks_its_url_and_sends_through_its_own_api(tmp_path: Path) -> None:
    corp_id = "ww0123456789abcdef"
    with FakeWeChatApi(app_id=corp_id) as api:
        settings = settings_for(api, tmp_path, mode="wecom", agent_id="1000002", app_id=corp_id)
        pusher = WeChatPusher("unused", app_id=corp_id)
        echo, query = pusher.seal("echo-wecom-42")
        import xmltodict

        ciphertext = xmltodict.parse(echo)["xml"]["Encrypt"]
        args = {
            "msg_signature": query["msg_signature"],
            "timestamp": query["timestamp"],
            "nonce": query["nonce"],
            "echostr": ciphertext,
        }
        assistant = Assistant(delay=0.5, answer="企业微信收到")

        async def scenario() -> tuple[Any, Any]:
            gateway = gateway_for(settings, tmp_path)
            checked = gateway.verify_url(args)
            body, push_query = pusher.seal(pusher.text("zhangsan", "你好"))
            del push_query["encrypt_type"]  # WeCom always encrypts and does not say so
            reply = await gateway.receive(push_query, body.encode(), assistant)
            await gateway.close()
            return checked, reply

        checked, reply = run(scenario())
        assert (checked.status, checked.body) == (200, "echo-wecom-42")
        assert reply == SUCCESS
        assert api.sent[0]["path"] == "/cgi-bin/message/send" and api.sent[0]["agentid"] == 1000002
        assert api.texts_to("zhangsan") == ["企业微信收到"]
