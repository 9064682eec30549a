"""The gateway's timing and exactly-once rules, with a scripted assistant."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.channels.wechat.gateway import SUCCESS
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


def test_a_user_over_the_chat_limit_gets_a_polite_reply(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    from bot.channels.rate_limit import SLOW_DOWN, ChatLimits

    pusher, assistant = WeChatPusher("unused"), Assistant(answer="您好！")

    async def scenario() -> list[Any]:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        gateway.limits = ChatLimits(per_sender=2, per_address=0)
        replies = [
            (await push(gateway, pusher.text(USER, "你好", f"20{i}"), assistant))[0]
            for i in range(3)
        ]
        await gateway.close()
        return replies

    replies = [opened(reply)["Content"] for reply in run(scenario())]
    assert replies == ["您好！", "您好！", SLOW_DOWN]
    assert len(assistant.heard) == 2  # the third never reached Rasa


def test_a_retry_reaching_another_instance_sends_the_answer_through_the_api(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    # two Rasa instances share the store (Redis in production, a SQLite file here)
    pusher, assistant = WeChatPusher("unused"), Assistant(delay=0.4, answer="已收到")
    xml = pusher.text(USER, "确认提交", "3101")

    async def scenario() -> list[Any]:
        settings = settings_for(wechat_api, tmp_path, reply_within_seconds=2)
        first, other = gateway_for(settings, tmp_path), gateway_for(settings, tmp_path)
        running = asyncio.ensure_future(push(first, xml, assistant))
        await asyncio.sleep(0.1)
        retry, _ = await push(other, xml, assistant)  # WeChat gave up on the first connection
        replies = [(await running)[0], retry]
        await first.close()
        await other.close()
        return replies

    assert run(scenario()) == [SUCCESS, SUCCESS]  # not into the abandoned connection
    assert len(assistant.heard) == 1
    assert wechat_api.texts_to(USER) == ["已收到"]
