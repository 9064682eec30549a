"""The WeChat channel's pure parts: settings, envelope checks, rendering."""

from __future__ import annotations

import time

import pytest

from bot.channels.wechat.envelope import Envelope, Rejected, parse_xml, require_fresh, sign
from bot.channels.wechat.render import (
    CHOICE_HINT,
    TRUNCATED,
    pick_choice,
    render,
    split_text,
    xml_safe,
)
from bot.channels.wechat.settings import SettingsError, WeChatSettings
from tests.fake_wechat import AES_KEY, APP_ID, TOKEN, WeChatPusher

SETTINGS = WeChatSettings(app_id=APP_ID, token=TOKEN, encoding_aes_key=AES_KEY)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<xml><Encrypt>&lol3;</Encrypt></xml>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    "<xml><Encrypt>&e;</Encrypt></xml>"
)


def test_settings_come_from_the_environment_and_credentials_override_them() -> None:
    env = {
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_ENCODING_AES_KEY": AES_KEY,
        "WECHAT_REPLY_WITHIN_SECONDS": "2.5",
        "WECHAT_AGENT_ID": "",
    }
    settings = WeChatSettings.from_env(env, {"mode": "wecom"})
    assert settings.configured and settings.mode == "wecom"
    assert settings.reply_within_seconds == 2.5 and len(settings.aes_key) == 32
    assert not WeChatSettings.from_env({}).configured


@pytest.mark.parametrize(
    "env",
    [
        {"WECHAT_ENCODING_AES_KEY": "too-short"},
        {"WECHAT_ENCODING_AES_KEY": "!" * 43},
        {"WECHAT_MODE": "telegram"},
        {"WECHAT_REPLY_WITHIN_SECONDS": "6"},
        {"WECHAT_MAX_BODY_BYTES": "lots"},
    ],
    ids=["short-key", "not-base64", "mode", "slower-than-wechat", "not-a-number"],
)
def test_unusable_settings_are_refused_at_start(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        WeChatSettings.from_env(env)


def test_sign_sorts_its_parts_like_wechat() -> None:
    assert sign("b", "a", "c") == sign("c", "b", "a")
    assert len(sign("token", "1", "nonce")) == 40


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY, "<xml><a>", "not xml"])
def test_unsafe_or_broken_xml_is_refused_quickly(document: str) -> None:
    start = time.monotonic()
    with pytest.raises(Rejected) as caught:
        parse_xml(document)
    assert caught.value.status == 400 and time.monotonic() - start < 0.5


def test_timestamps_far_from_our_clock_are_refused() -> None:
    now = 1_800_000_000
    require_fresh(str(now - 299), 300, now=now)
    for stamp in (str(now - 301), str(now + 301)):
        with pytest.raises(Rejected) as caught:
            require_fresh(stamp, 300, now=now)
        assert caught.value.status == 403
    with pytest.raises(Rejected):
        require_fresh("yesterday", 300, now=now)


def test_an_envelope_opens_only_for_its_own_account() -> None:
    pusher = WeChatPusher("unused")
    body, query = pusher.seal(pusher.text("o-user", "你好"))
    opened = Envelope(SETTINGS).open(query, body.encode())
    assert opened.fields["Content"] == "你好" and opened.fields["FromUserName"] == "o-user"

    stranger = WeChatPusher("unused", app_id="wx_someone_else")
    body, query = stranger.seal(stranger.text("o-user", "你好"))
    with pytest.raises(Rejected) as caught:
        Envelope(SETTINGS).open(query, body.encode())
    assert caught.value.reason == "encrypted for another AppID"


def test_a_sealed_reply_opens_with_wechatpy_on_the_other_side() -> None:
    sealed = Envelope(SETTINGS).seal(
        "<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[好的]]></Content></xml>"
    )
    assert WeChatPusher("unused").open_reply(sealed)["Content"] == "好的"


def test_buttons_become_numbered_options_across_the_turn() -> None:
    answer = render(
        [
            {"text": "您好！"},
            {"text": "请选择：", "buttons": [{"title": "人才住房", "payload": "/request_housing"}]},
            {"buttons": [{"title": "上午", "payload": "上午"}, {"title": "下午"}]},
        ]
    )
    assert answer.text == (f"您好！\n\n请选择：\n1. 人才住房\n\n2. 上午\n3. 下午\n\n{CHOICE_HINT}")
    assert answer.choices == ["/request_housing", "上午", "下午"]
    assert render([{"text": "好的"}]).choices == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("1", "/a"), ("2", "/b"), (" ２ ", "/b"), ("2。", "/b"), ("3", None), ("0", None)]
    + [("12", None), ("一", None), ("13812345678", None), ("1 和 2", None)],
)
def test_a_bare_option_number_picks_its_payload(typed: str, expected: str | None) -> None:
    assert pick_choice(typed, ["/a", "/b"]) == expected
    assert pick_choice(typed, []) is None


def test_long_answers_split_at_line_breaks_within_the_byte_limit() -> None:
    lines = [f"第{i}条：" + "重庆科技人才政策说明" * 6 for i in range(40)]
    text = "\n".join(lines)
    parts = split_text(text, 2000, 5)
    assert len(parts) > 1
    assert all(len(part.encode("utf-8")) <= 2000 for part in parts)
    assert "\n".join(parts) == text  # nothing lost, every cut at a line break


def test_a_line_longer_than_the_limit_is_cut_between_characters() -> None:
    parts = split_text("渝" * 1000, 200, 100)
    assert all(len(p.encode("utf-8")) <= 200 for p in parts) and "".join(parts) == "渝" * 1000


def test_more_than_the_quota_of_parts_ends_with_a_notice() -> None:
    parts = split_text("字" * 5000, 300, 3)
    assert len(parts) == 3 and parts[-1].endswith(TRUNCATED)
    assert all(len(p.encode("utf-8")) <= 300 for p in parts)


def test_text_is_made_safe_for_a_cdata_reply() -> None:
    assert xml_safe("a\x00b\x07c\n]]>d") == "abc\n]] >d"
