"""The assistant on a WeChat Official Account, against the real running stack.

`WeChatPusher` plays WeChat's message push (wechatpy encrypts and signs real
messages), `FakeWeChatApi` plays WeChat's server API on 127.0.0.1 (access
token + customer-service messages); everything between them is the real
Rasa server with the trained model, the action server and the backend.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from bot.channels.wechat.envelope import sign
from bot.channels.wechat.gateway import PLEASE_TYPE, VOICE_UNCLEAR
from bot.launcher import Stack
from tests.e2e.conftest import rows
from tests.fake_wechat import TOKEN, FakeWeChatApi, WeChatPusher

NUMBER = re.compile(r"\b(HS|SC|HP)\d{8}-\d{4}[A-Z]?\b")
ID_NUMBER = "11010519491231002X"
WECHAT_LIMIT = 5.0  # seconds WeChat waits before it retries


@pytest.fixture(scope="module")
def wechat_api(stack: Stack) -> Iterator[FakeWeChatApi]:
    """WeChat's server API, on the port the stack was told about."""
    port = urllib.parse.urlsplit(stack.env["WECHAT_API_BASE_URL"]).port
    with FakeWeChatApi(port or 0) as api:
        yield api


@pytest.fixture(scope="module")
def wechat(stack: Stack) -> WeChatPusher:
    """WeChat's message push, aimed at the running Rasa server's webhook."""
    return WeChatPusher(f"{stack.rasa_url}/webhooks/wechat/webhook")


def ask(wechat: WeChatPusher, api: FakeWeChatApi, user: str, text: str) -> str:
    """Send a text as `user`; return the answer, passive or through the API."""
    before = len(api.texts_to(user))
    reply = wechat.push(wechat.text(user, text))
    assert reply.status == 200 and reply.seconds < WECHAT_LIMIT, reply
    if reply.body != "success":
        fields = wechat.open_reply(reply.body)  # checks the reply's signature too
        assert fields["ToUserName"] == user and fields["MsgType"] == "text"
        return fields["Content"]
    texts = api.wait_for_texts(user, before + 1)
    assert len(texts) > before, f"no answer to {text!r}"
    return "\n".join(texts[before:])


def option(answer: str, label: str) -> str:
    """Return the number shown in front of the option containing `label`."""
    found = re.search(rf"^(\d+)\. [^\n]*{re.escape(label)}", answer, re.M)
    assert found, f"no numbered option {label!r} in {answer!r}"
    return found.group(1)


def user_events(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """Return the user messages Rasa recorded for a sender."""
    url = f"{stack.rasa_url}/conversations/{urllib.parse.quote(sender)}/tracker"
    request = urllib.request.Request(url, headers=stack.rasa_headers())
    with urllib.request.urlopen(request, timeout=10) as response:
        events = json.loads(response.read()).get("events") or []
    return [e for e in events if e.get("event") == "user"]


def test_the_server_url_check_echoes_only_a_signed_challenge(wechat: WeChatPusher) -> None:
    good = wechat.verify_url(echostr="6571839201")
    assert (good.status, good.body) == (200, "6571839201")
    forged = wechat.verify_url(signature="0" * 40, echostr="6571839201")
    assert forged.status == 403 and "6571839201" not in forged.body


def test_a_policy_question_is_answered_in_an_encrypted_reply(
    stack: Stack, wechat: WeChatPusher, wechat_api: FakeWeChatApi
) -> None:
    user = "oWx-policy"
    answer = ask(wechat, wechat_api, user, "定点医院一共有多少家")
    assert "77" in answer and "来源" in answer
    assert option(answer, "绿色通道") and "回复数字" in answer  # its button, numbered
    assert [e["text"] for e in user_events(stack, user)] == ["定点医院一共有多少家"]


def test_a_new_follower_gets_the_menu_and_a_digit_picks_a_service(
    wechat: WeChatPusher, wechat_api: FakeWeChatApi
) -> None:
    user = "oWx-follower"
    reply = wechat.push(wechat.message(user, "event", Event="subscribe"))
    welcome = wechat.open_reply(reply.body)["Content"]
    assert "渝才助手" in welcome
    assert option(welcome, "人才住房") and "回复数字" in welcome
    notice = ask(wechat, wechat_api, user, option(welcome, "就医"))
    assert "个人信息" in notice and "同意" in notice


def fill_hospital_form(wechat: WeChatPusher, api: FakeWeChatApi, user: str) -> str:
    assert "同意" in ask(wechat, api, user, "帮我预约一下定点医院的绿色通道")
    assert "医院" in ask(wechat, api, user, "同意")
    assert "科室" in ask(wechat, api, user, "西南医院")
    assert "哪天" in ask(wechat, api, user, "骨科")
    assert "原因" in ask(wechat, api, user, "下周三上午")
    assert "姓名" in ask(wechat, api, user, "膝盖疼，复查")
    ask(wechat, api, user, "刘洋")
    ask(wechat, api, user, "13600005678")
    return ask(wechat, api, user, ID_NUMBER)


def test_a_complete_hospital_request_over_wechat(
    wechat: WeChatPusher, wechat_api: FakeWeChatApi, backend_db: Path
) -> None:
    user = "oWx-hospital"
    read_back = fill_hospital_form(wechat, wechat_api, user)
    assert "陆军军医大学第一附属医院" in read_back and ID_NUMBER not in read_back
    done = ask(wechat, wechat_api, user, option(read_back, "确认提交"))
    number = NUMBER.search(done).group(0)  # type: ignore[union-attr]
    row = rows(backend_db, "select * from service_request where number = ?", number)[0]
    assert row["channel"] == "wechat" and row["sender_id"] == user
    assert json.loads(row["details"])["department"] == "骨科"


def test_a_retry_storm_while_the_turn_is_slow_makes_one_turn_one_reply_one_request(
    stack: Stack, wechat: WeChatPusher, wechat_api: FakeWeChatApi, backend_db: Path
) -> None:
    user = "oWx-storm"
    confirm = option(fill_hospital_form(wechat, wechat_api, user), "确认提交")
    sent_before = len(wechat_api.texts_to(user))
    msg_id = wechat.new_msg_id()
    body, query = wechat.seal(wechat.text(user, confirm, msg_id))
    actions = next(s for s in stack.services if s.name == "actions").process
    assert actions is not None
    os.kill(actions.pid, signal.SIGSTOP)  # the submission now waits on the action server
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(wechat.post, body, query)
            time.sleep(0.3)
            retries = [wechat.post(body, query) for _ in range(2)]  # WeChat's two retries
            replies = [first.result(timeout=10), *retries]
    finally:
        os.kill(actions.pid, signal.SIGCONT)
    assert [(r.status, r.body) for r in replies] == [(200, "success")] * 3
    assert all(r.seconds < WECHAT_LIMIT for r in replies), [r.seconds for r in replies]

    wechat_api.wait_for_texts(user, sent_before + 1)
    time.sleep(1.0)  # a duplicate would arrive about now
    texts = wechat_api.texts_to(user)[sent_before:]
    assert len(texts) == 1 and "提交成功" in texts[0], texts
    number = NUMBER.search(texts[0]).group(0)  # type: ignore[union-attr]
    turns = [e for e in user_events(stack, user) if e.get("message_id") == msg_id]
    assert [e["text"] for e in turns] == ["/affirm"]  # one turn, with the option's payload
    requests = rows(backend_db, "select number from service_request where sender_id = ?", user)
    assert [r["number"] for r in requests] == [number]


@pytest.mark.parametrize(
    ("user", "kind", "fields", "expected", "turn"),
    [
        ("oWx-voice", "voice", {"MediaId": "1", "Recognition": "定点医院有多少家？"}, "77", True),
        ("oWx-mumble", "voice", {"MediaId": "2", "Recognition": ""}, VOICE_UNCLEAR, False),
        (
            "oWx-photo",
            "image",
            {"PicUrl": "http://127.0.0.1/a.jpg", "MediaId": "3"},
            PLEASE_TYPE,
            False,
        ),
    ],
    ids=["voice-recognised", "voice-unrecognised", "image"],
)
def test_voice_is_read_as_its_recognition_and_pictures_ask_for_text(
    stack: Stack,
    wechat: WeChatPusher,
    user: str,
    kind: str,
    fields: dict[str, str],
    expected: str,
    turn: bool,
) -> None:
    reply = wechat.push(wechat.message(user, kind, **fields))
    assert expected in wechat.open_reply(reply.body)["Content"]
    assert len(user_events(stack, user)) == (1 if turn else 0)


def forged(wechat: WeChatPusher, user: str, case: str) -> tuple[str, dict[str, str]]:
    """Build a message WeChat did not send, in one of several ways."""
    xml = wechat.text(user, "帮我申请人才公寓")
    if case == "stale-timestamp":
        return wechat.seal(xml, timestamp=int(time.time()) - 3600)
    if case == "other-account":
        return WeChatPusher("", app_id="wx_not_this_account").seal(xml)
    body, query = wechat.seal(xml)
    if case == "forged-signature":
        query["msg_signature"] = "f" * 40
    elif case == "plaintext-mode":
        query.pop("encrypt_type")
        body = xml
    elif case == "garbage-signed-with-the-token":  # knows the token, not the AES key
        garbage = base64.b64encode(os.urandom(96)).decode()
        body = f"<xml><ToUserName>gh</ToUserName><Encrypt>{garbage}</Encrypt></xml>"
        query["msg_signature"] = sign(TOKEN, query["timestamp"], query["nonce"], garbage)
    return body, query


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("forged-signature", 403),
        ("stale-timestamp", 403),
        ("other-account", 403),
        ("plaintext-mode", 400),
        ("garbage-signed-with-the-token", 400),
    ],
)
def test_messages_wechat_did_not_send_are_refused_before_rasa(
    stack: Stack, wechat: WeChatPusher, wechat_api: FakeWeChatApi, case: str, status: int
) -> None:
    user = f"oWx-{case}"
    body, query = forged(wechat, user, case)
    reply = wechat.post(body, query)
    assert reply.status == status and "Traceback" not in reply.body
    assert user_events(stack, user) == [] and wechat_api.texts_to(user) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"\xff\xfe not xml at all", 400),
        (b"<xml><Encrypt>unterminated", 400),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xml><Encrypt>&b;</Encrypt></xml>',
            400,
        ),
        (b"<xml><Encrypt>" + b"A" * 2_000_000 + b"</Encrypt></xml>", 413),
    ],
    ids=["empty", "binary", "broken-xml", "entity-expansion", "2MB"],
)
def test_malformed_or_oversized_bodies_are_rejected_and_the_channel_goes_on(
    stack: Stack, wechat: WeChatPusher, wechat_api: FakeWeChatApi, body: bytes, status: int
) -> None:
    query = {"timestamp": str(int(time.time())), "nonce": "1", "encrypt_type": "aes"}
    query["msg_signature"] = "0" * 40
    reply = wechat.post(body, query)
    assert reply.status == status and reply.seconds < WECHAT_LIMIT
    assert "Traceback" not in reply.body
    assert "您好" in ask(wechat, wechat_api, "oWx-after-bad-body", "你好")
