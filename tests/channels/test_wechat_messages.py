"""Each kind of WeChat message, options, long answers and WeCom, with a scripted assistant."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.channels.wechat.api import CustomerServiceApi
from bot.channels.wechat.gateway import (
    BUSY,
    PLEASE_TYPE,
    SUCCESS,
    TURN_FAILED,
    VOICE_UNCLEAR,
    WeChatGateway,
)
from bot.channels.wechat.store import SqliteStore, StoreError
from tests.channels.wechat_harness import (
    USER,
    Assistant,
    gateway_for,
    opened,
    push,
    run,
    settings_for,
)
from tests.fake_wechat import FakeWeChatApi, WeChatPusher


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
