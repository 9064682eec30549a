"""Status changes reach the applicant on the channel the request came from (issue 15).

Staff move requests in the console's API; the backend's outbox worker asks
Rasa to deliver; WeChat's servers are the fake on 127.0.0.1, the web user
speaks socket.io. Each change must arrive exactly once, or be listed for staff.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.web_auth import WebChatSettings
from bot.launcher import Stack
from tests.e2e.conftest import ConsoleAgent, rows
from tests.e2e.test_wechat import ask
from tests.e2e.widget_user import WidgetUser
from tests.fake_wechat import STATUS_TEMPLATE_ID, FakeWeChatApi, WeChatPusher

HEADLINE = "【办理进度】"
ATTEMPTS_SQL = (
    "SELECT n.attempts FROM notification n JOIN service_request r ON r.id = n.request_id "
    "WHERE r.number = ?"
)


def create_request(stack: Stack, channel: str, sender_id: str) -> str:
    """Create a housing request as the bot does for ``sender_id`` on ``channel``."""
    token = stack.env["BACKEND_API_TOKEN"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(method: str, path: str, body: Any = None, extra: dict[str, str] | None = None) -> Any:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{stack.backend_url}{path}",
            data=data,
            method=method,
            headers={**headers, **(extra or {})},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    notice = call("GET", "/api/v1/consent/notices/housing")
    created = call(
        "POST",
        "/api/v1/requests",
        {
            "kind": "housing",
            "applicant": {
                "name": "周到",
                "phone": "13500003333",
                "id_number": "11010519491231002X",
            },
            "channel": channel,
            "sender_id": sender_id,
            "consent": {
                "notice_version": notice["version"],
                "agreed_at": "2026-11-27T10:00:00+08:00",
            },
            "details": {
                "housing_type": "youth_rental",
                "district": "江北区",
                "household_size": 2,
                "move_in_month": "2027-06",
            },
        },
        {"Idempotency-Key": uuid.uuid4().hex},
    )
    return str(created["number"])


def outbox(db: Path, number: str) -> list[tuple[str, str, str | None]]:
    """The request's outbox rows: (status, state, via)."""
    found = rows(
        db,
        "SELECT n.status, n.state, n.via FROM notification n "
        "JOIN service_request r ON r.id = n.request_id WHERE r.number = ? ORDER BY n.id",
        number,
    )
    return [(r["status"], r["state"], r["via"]) for r in found]


def settled(
    db: Path, number: str, count: int, timeout: float = 30
) -> list[tuple[str, str, str | None]]:
    """Wait until ``count`` rows of the request left the worker's hands; return them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = outbox(db, number)
        if len(found) >= count and all(s not in {"pending", "sending"} for _, s, _ in found):
            return found
        time.sleep(0.3)
    raise AssertionError(f"outbox of {number} never settled: {outbox(db, number)}")


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


@pytest.fixture
def li(console: Callable[[str], ConsoleAgent]) -> ConsoleAgent:
    """Agent li of the housing team, signed in to the console."""
    return console("li")


def move(agent: ConsoleAgent, number: str, status: str) -> None:
    """Change the request's status in the console."""
    assert agent.post(f"/requests/{number}/status", {"status": status})["status"] == status


def test_wechat_inside_the_window_gets_one_customer_service_text(
    stack: Stack,
    backend_db: Path,
    wechat: WeChatPusher,
    wechat_api: FakeWeChatApi,
    li: ConsoleAgent,
) -> None:
    user = "oWx-status-inside"
    ask(wechat, wechat_api, user, "你好")
    before = len(wechat_api.texts_to(user))
    number = create_request(stack, "wechat", user)
    move(li, number, "accepted")
    assert settled(backend_db, number, 1) == [("accepted", "delivered", "cs")]
    [text] = wechat_api.texts_to(user)[before:]
    assert HEADLINE in text and number in text and "已受理" in text
    assert wechat_api.templates_to(user) == []


def test_wechat_outside_the_window_gets_one_template_message(
    stack: Stack,
    backend_db: Path,
    wechat: WeChatPusher,
    wechat_api: FakeWeChatApi,
    li: ConsoleAgent,
) -> None:
    quiet = "oWx-status-never-wrote"  # no message for 48 hours: the backend picks the template
    closed = "oWx-status-window-closed"  # WeChat says the window closed: the channel falls back
    ask(wechat, wechat_api, closed, "你好")
    wechat_api.window_closed.add(closed)
    before = len(wechat_api.texts_to(closed))
    numbers = {user: create_request(stack, "wechat", user) for user in (quiet, closed)}
    for number in numbers.values():
        move(li, number, "accepted")
    assert settled(backend_db, numbers[quiet], 1) == [("accepted", "delivered", "template")]
    assert settled(backend_db, numbers[closed], 1) == [("accepted", "delivered", "cs")]
    for user, number in numbers.items():
        [fields] = wechat_api.templates_to(user)
        assert fields["keyword1"] == number and fields["keyword2"].endswith("已受理")
    assert wechat_api.texts_to(quiet) == [] and len(wechat_api.texts_to(closed)) == before
    sent = [m for m in wechat_api.sent if m.get("msgtype") == "template"]
    assert {m["template_id"] for m in sent} == {STATUS_TEMPLATE_ID}


def test_a_connected_web_user_sees_the_update_live_once(
    stack: Stack, backend_db: Path, li: ConsoleAgent
) -> None:
    user = WidgetUser(stack.rasa_url)
    try:
        number = create_request(stack, "socketio", user.session_id)
        move(li, number, "accepted")
        text = user.expect(HEADLINE)
        assert number in text and "已受理" in text
        assert settled(backend_db, number, 1) == [("accepted", "delivered", "live")]
        assert [t for t in user.quiet_for(2) if HEADLINE in t] == []
    finally:
        user.close()


def test_a_signed_in_web_user_gets_it_at_the_next_visit(
    stack: Stack, backend_db: Path, li: ConsoleAgent
) -> None:
    web = WebChatSettings.from_env(stack.env)
    sender = web.user_sender_id("host-user-42")
    number = create_request(stack, "socketio", sender)
    move(li, number, "accepted")
    assert settled(backend_db, number, 1) == [("accepted", "awaiting_visit", None)]
    user = WidgetUser(stack.rasa_url)  # the next visit: the page sends the signed token
    try:
        user.say("你好", user_token=web.sign_user_token("host-user-42"))
        text = user.expect(HEADLINE)
        assert number in text
        assert settled(backend_db, number, 1) == [("accepted", "delivered", "visit")]
    finally:
        user.close()


def test_a_user_who_said_no_notifications_gets_none(
    stack: Stack,
    backend_db: Path,
    wechat: WeChatPusher,
    wechat_api: FakeWeChatApi,
    li: ConsoleAgent,
) -> None:
    user = "oWx-status-opted-out"
    number = create_request(stack, "wechat", user)
    answer = ask(wechat, wechat_api, user, "不用通知我")
    assert "不再主动通知" in answer
    before = len(wechat_api.texts_to(user))
    move(li, number, "accepted")
    assert settled(backend_db, number, 1) == [("accepted", "opted_out", None)]
    assert wechat_api.texts_to(user)[before:] == [] and wechat_api.templates_to(user) == []


def test_a_push_that_keeps_failing_is_retried_then_listed_for_staff(
    stack: Stack, backend_db: Path, wechat_api: FakeWeChatApi, li: ConsoleAgent
) -> None:
    user = "oWx-status-failing"  # never wrote: a template message is the only way
    wechat_api.templates.clear()  # the template was deleted in the back office
    try:
        number = create_request(stack, "wechat", user)
        move(li, number, "accepted")
        assert settled(backend_db, number, 1) == [("accepted", "failed", None)]
    finally:
        wechat_api.templates.add(STATUS_TEMPLATE_ID)
    [attempts] = [r["attempts"] for r in rows(backend_db, ATTEMPTS_SQL, number)]
    assert attempts == 3  # NOTIFY_ATTEMPTS
    failed = [n for n in li.get("/notifications?which=failed") if n["number"] == number]
    assert len(failed) == 1 and "40037" in failed[0]["last_error"]
    li.post(f"/notifications/{failed[0]['id']}/retry")  # the template is back
    assert settled(backend_db, number, 1) == [("accepted", "delivered", "template")]
    assert len(wechat_api.templates_to(user)) == 1
