"""The live console in Chromium: a new handoff appears through the event stream, not polling.

The chat is handed over through the backend's API as the action server does;
the agent's tab is watched for which console URLs it asks for.
"""

from __future__ import annotations

import json
import urllib.request
import uuid

from playwright.sync_api import Page, Route

from bot.launcher import Stack
from tests.browser.conftest import AGENT_PASSWORD
from tests.browser.console import shot, sign_in
from tests.browser.test_handoff import wait_for_text


def hand_over(stack: Stack, summary: str) -> None:
    """Queue a web chat for the housing team, as the action server does."""
    body = {
        "sender_id": f"web-live-{uuid.uuid4().hex[:8]}",
        "channel": "socketio",
        "topic": "housing_policy",
        "summary": summary,
        "details": {},
        "recent": [{"speaker": "user", "text": "人才公寓租金多少"}],
    }
    request = urllib.request.Request(
        f"{stack.backend_url}/api/v1/handoffs",
        data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={
            "Authorization": f"Bearer {stack.env['BACKEND_API_TOKEN']}",
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def console_paths(desk: Page) -> list[str]:
    """Start recording the console API paths the tab requests; return the live list."""
    paths: list[str] = []
    desk.on("request", lambda r: paths.append(r.url.split("/console/api", 1)[-1]))
    return paths


def test_a_new_handoff_arrives_by_server_sent_events(desk: Page, stack: Stack) -> None:
    paths = console_paths(desk)
    sign_in(desk, stack, "li", AGENT_PASSWORD)
    desk.click("nav button[data-view=handoff]")
    desk.wait_for_selector("body[data-live=sse]")
    wait_for_text(desk, "#service-hours", "人工服务时间")  # the first queue event

    summary = f"直播测试：用户咨询租金（{uuid.uuid4().hex[:6]}）"
    hand_over(stack, summary)
    wait_for_text(desk, "#queue", summary)
    shot(desk, "live-queue")
    assert "/events" in paths
    assert "/handoffs" not in paths  # the queue was never polled
    assert desk.evaluate("document.body.dataset.live") == "sse"


def test_the_console_falls_back_to_polling_without_the_stream(desk: Page, stack: Stack) -> None:
    def refuse(route: Route) -> None:
        route.fulfill(status=503, body="")

    desk.route("**/console/api/events*", refuse)
    paths = console_paths(desk)
    sign_in(desk, stack, "li", AGENT_PASSWORD)
    desk.click("nav button[data-view=handoff]")
    desk.wait_for_selector("body[data-live=polling]")

    summary = f"轮询测试：用户咨询租金（{uuid.uuid4().hex[:6]}）"
    hand_over(stack, summary)
    wait_for_text(desk, "#queue", summary)
    assert "/handoffs" in paths
