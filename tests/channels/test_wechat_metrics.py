"""Texts WeChat's customer-service API did not take are counted (README: Metrics)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from bot.channels.wechat.api import CustomerServiceApi, DeliveryFailed
from tests.channels.wechat_harness import USER, run, settings_for
from tests.fake_wechat import TEXT_LIMIT, FakeWeChatApi

FAILURES = "yucai_wechat_delivery_failures_total"


def failures(stage: str) -> float:
    """Read the counter of one stage (0 before its first failure)."""
    return REGISTRY.get_sample_value(FAILURES, {"stage": stage}) or 0.0


def send(api: CustomerServiceApi, text: str) -> None:
    """Send one text and close the client."""

    async def scenario() -> None:
        try:
            await api.send_text(USER, text)
        finally:
            await api.close()

    run(scenario())


def test_a_delivered_text_is_not_a_failure(wechat_api: FakeWeChatApi, tmp_path: Path) -> None:
    before = failures("send"), failures("token")
    send(CustomerServiceApi(settings_for(wechat_api, tmp_path)), "您好")
    assert (failures("send"), failures("token")) == before
    assert wechat_api.texts_to(USER) == ["您好"]


def test_a_refused_text_counts_as_a_send_failure(wechat_api: FakeWeChatApi, tmp_path: Path) -> None:
    before = failures("send")
    with pytest.raises(DeliveryFailed):
        send(CustomerServiceApi(settings_for(wechat_api, tmp_path)), "长" * TEXT_LIMIT)
    assert failures("send") == before + 1


def test_no_access_token_counts_as_a_token_failure(
    wechat_api: FakeWeChatApi, tmp_path: Path
) -> None:
    before = failures("token")
    wrong_secret = settings_for(wechat_api, tmp_path, app_secret="0" * 32)
    with pytest.raises(DeliveryFailed):
        send(CustomerServiceApi(wrong_secret), "您好")
    assert failures("token") == before + 1
    assert wechat_api.texts_to(USER) == []
