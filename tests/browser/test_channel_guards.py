"""Who may use the web chat, and what a broken page gets: origins, tokens, sessions, customData."""

from __future__ import annotations

import queue
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from playwright.sync_api import Page

from bot.channels.web_auth import WebChatSettings
from bot.channels.web_payload import (
    LOGIN_NOT_VERIFIED,
    MALFORMED_CUSTOM_DATA,
    MALFORMED_MESSAGE,
    SESSION_EXPIRED,
)
from bot.launcher import Stack
from tests.browser.chat import Chat
from tests.browser.conftest import Site
from tests.browser.helpers import tracker


class Client:
    """A bare socket.io client speaking the widget's events, for what a page cannot send."""

    def __init__(self, url: str, origin: str | None) -> None:
        self.replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self.confirmed: queue.Queue[str] = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("bot_uttered", self.replies.put)
        self.sio.on("session_confirm", self.confirmed.put)
        headers = {"Origin": origin} if origin else {}
        # polling sends exactly these headers (websocket-client would add its own Origin)
        self.sio.connect(url, headers=headers, transports=["polling"], wait_timeout=10)

    def session(self, wanted: str | None = None) -> str:
        """Ask for a session (optionally a known one) and return the id the server confirms."""
        self.sio.emit("session_request", {"session_id": wanted})
        return self.confirmed.get(timeout=10)

    def send(self, data: Any) -> list[str]:
        """Send one raw user_uttered event and return the texts that come back."""
        self.sio.emit("user_uttered", data)
        texts = [str(self.replies.get(timeout=60).get("text", ""))]
        try:
            while True:
                texts.append(str(self.replies.get(timeout=1.5).get("text", "")))
        except queue.Empty:
            return texts


@pytest.fixture
def client(stack: Stack, partner_site: Site) -> Iterator[Client]:
    """A socket.io client on the allow-listed partner origin."""
    connected = Client(stack.rasa_url, partner_site.origin)
    yield connected
    connected.sio.disconnect()


def polling_handshake(stack: Stack, origin: str) -> int:
    """Open an Engine.IO session over HTTP the way a browser's first request does."""
    request = urllib.request.Request(
        f"{stack.rasa_url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_a_foreign_origin_cannot_connect(
    stack: Stack, partner_site: Site, foreign_site: Site
) -> None:
    assert polling_handshake(stack, foreign_site.origin) == 400
    assert polling_handshake(stack, "http://127.0.0.1.evil.example") == 400
    assert polling_handshake(stack, partner_site.origin) == 200
    assert polling_handshake(stack, stack.rasa_url) == 200
    with pytest.raises(socketio.exceptions.ConnectionError):
        Client(stack.rasa_url, foreign_site.origin)


def test_the_snippet_works_on_a_partner_site_and_not_on_a_foreign_one(
    page: Page, partner_site: Site, foreign_site: Site
) -> None:
    chat = Chat(page, "partner-site")
    page.goto(partner_site.origin)
    page.locator(".rw-launcher").click()
    assert "渝才助手" in chat.wait_for("渝才助手")
    assert "您好" in chat.say("你好", "您好")
    chat.shot("bubble-open")

    stranger = Chat(page, "foreign-site")
    answered: list[int] = []
    refused: list[str] = []
    page.on("response", lambda r: answered.append(r.status) if "/socket.io/" in r.url else None)
    page.on("requestfailed", lambda r: refused.append(r.url) if "/socket.io/" in r.url else None)
    page.goto(foreign_site.origin)
    deadline = time.monotonic() + 15
    while not refused and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.wait_for_timeout(2000)  # a connected widget would show its launcher by now
    assert refused and 200 not in answered  # the server said 400, so the browser blocked it
    assert not page.locator(".rw-launcher").is_visible() and stranger.responses() == []
    stranger.shot("refused")


@pytest.mark.parametrize(
    "custom_data",
    ['{"language": "zh-CN"', "[1, 2]", ["zh-CN"], {"nested": {"a": 1}}, {"k": "x" * 600}, 42],
    ids=["broken-json", "json-array", "list", "nested", "too-long", "number"],
)
def test_malformed_custom_data_gets_a_polite_reply(client: Client, custom_data: Any) -> None:
    session = client.session()
    refused = client.send({"message": "你好", "customData": custom_data, "session_id": session})
    assert refused == [MALFORMED_CUSTOM_DATA]
    # the channel is unharmed: the next good message on the same socket is answered
    assert "您好" in "".join(client.send({"message": "你好", "session_id": session}))


def test_malformed_messages_and_unknown_sessions_are_refused_politely(client: Client) -> None:
    session = client.session()
    assert client.send({"message": ["你好"], "session_id": session}) == [MALFORMED_MESSAGE]
    assert client.send("你好") == [MALFORMED_MESSAGE]
    forged = "web-" + "0" * 32 + "-" + "0" * 20
    assert client.send({"message": "你好", "session_id": forged}) == [SESSION_EXPIRED]
    assert client.send({"message": "你好", "session_id": "e2e-hospital"}) == [SESSION_EXPIRED]
    # a session id the server did not issue is replaced, a real one is kept
    assert client.session(forged) not in (forged, session)
    assert client.session(session) == session


def test_a_signed_token_binds_the_conversation_to_the_user(
    stack: Stack, webchat: WebChatSettings, client: Client
) -> None:
    session = client.session()
    token = webchat.sign_user_token("account-42")
    sent = {"message": "你好", "customData": {"user_token": token}, "session_id": session}
    assert "您好" in "".join(client.send(sent))
    events = tracker(stack, webchat.user_sender_id("account-42"))["events"]
    user_events = [e for e in events if e["event"] == "user"]
    assert [e["text"] for e in user_events] == ["你好"]
    assert user_events[0]["metadata"].get("logged_in") is True
    assert "user_token" not in user_events[0]["metadata"]
    # the anonymous session saw nothing of it
    assert not [e for e in tracker(stack, session)["events"] if e["event"] == "user"]

    expired = webchat.sign_user_token("account-42", ttl=-1)
    stranger = WebChatSettings(b"not-the-server-secret", frozenset())
    other_secret = stranger.sign_user_token("account-42")
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")
    for bad in (expired, other_secret, tampered, "not-a-token"):
        sent = {"message": "你好", "customData": {"user_token": bad}, "session_id": session}
        assert client.send(sent) == [LOGIN_NOT_VERIFIED]
