"""Messages outside the user's turn (a hotline agent's replies) go out through WeChat's API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.channels.wechat.api import DeliveryFailed
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
from tests.fake_wechat import STATUS_TEMPLATE_ID, FakeWeChatApi, WeChatPusher


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


def notice(via: str) -> dict[str, Any]:
    """A status update as the backend's outbox worker appends it (issue 15)."""
    return {
        "text": "【办理进度】您的人才住房申请（编号 HS20261127-0001）状态已更新为“已受理”。",
        "status_notice": {
            "via": via,
            "number": "HS20261127-0001",
            "kind": "人才住房",
            "status_label": "已受理",
            "updated_at": "2026-11-27 10:00",
        },
    }


def send_notice(api: FakeWeChatApi, tmp_path: Path, via: str, **changes: Any) -> None:
    """Send one status update through the push output channel."""

    async def scenario() -> None:
        gateway = gateway_for(settings_for(api, tmp_path, **changes), tmp_path)
        try:
            await WeChatPushOutput(gateway).send_response(USER, notice(via))
        finally:
            await gateway.close()

    run(scenario())


def test_a_status_update_in_the_window_is_one_customer_service_text(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    send_notice(wechat_api, tmp_path, "cs", status_template_id=STATUS_TEMPLATE_ID)
    assert wechat_api.texts_to(USER) == [notice("cs")["text"]]
    assert wechat_api.templates_to(USER) == []


def test_a_status_update_outside_the_window_is_one_template_message(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    send_notice(wechat_api, tmp_path, "template", status_template_id=STATUS_TEMPLATE_ID)
    assert wechat_api.texts_to(USER) == []
    [fields] = wechat_api.templates_to(USER)
    assert fields["keyword1"] == "HS20261127-0001"
    assert fields["keyword2"] == "人才住房：已受理"
    assert "不用通知我" in fields["remark"]


def test_a_window_wechat_says_has_closed_falls_back_to_the_template(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    wechat_api.window_closed.add(USER)
    send_notice(wechat_api, tmp_path, "cs", status_template_id=STATUS_TEMPLATE_ID)
    assert wechat_api.texts_to(USER) == []
    assert len(wechat_api.templates_to(USER)) == 1


@pytest.mark.parametrize("template_id", ["", "tpl-unknown"])
def test_no_usable_template_is_a_failure_the_sender_hears_of(
    wechat_api: FakeWeChatApi, tmp_path: Path, template_id: str
) -> None:
    with pytest.raises(DeliveryFailed):
        send_notice(wechat_api, tmp_path, "template", status_template_id=template_id)
    assert wechat_api.sent == []
