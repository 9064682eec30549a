"""Messages outside the user's turn (a hotline agent's replies) go out through WeChat's API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.channels.wechat.push import WeChatPushOutput
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


def test_an_agents_reply_is_sent_and_its_options_can_be_answered_by_number(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    assistant = Assistant(answer="好的")

    async def scenario() -> Any:
        gateway = gateway_for(settings_for(wechat_api, tmp_path), tmp_path)
        output = WeChatPushOutput(gateway)
        await output.send_text_message(USER, "您好，我是人工客服李老师。")
        await output.send_response(
            USER, {"text": "需要登记吗？", "buttons": [{"title": "登记回电", "payload": "/affirm"}]}
        )
        reply, _ = await push(gateway, WeChatPusher("unused").text(USER, "1", "3001"), assistant)
        await gateway.close()
        return reply

    opened(run(scenario()))
    sent = wechat_api.texts_to(USER)
    assert sent[0] == "您好，我是人工客服李老师。"
    assert "1. 登记回电" in sent[1]
    assert assistant.heard[0].text == "/affirm"  # the number picks the pushed option
    assert WeChatPushOutput.name() == "wechat"
