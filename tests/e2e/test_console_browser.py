"""The hotline console in a real browser: sign in, assist a scripted call, submit for the caller.

Headless Debian Chromium through Playwright, against the whole running system.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.launcher import Stack
from tests.e2e.conftest import AGENT_PASSWORD, ARTIFACTS, ConsoleAgent, rows

SCREENSHOTS = ARTIFACTS / "screenshots"


@pytest.fixture
def page(
    browser: Any, stack: Stack, agents: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser tab; a screenshot is kept for every test."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def sign_in(page: Any, stack: Stack, username: str) -> None:
    """Open the console, get sent to the sign-in page, and sign in."""
    page.goto(f"{stack.backend_url}/console/")
    page.wait_for_url(re.compile(r"/console/login$"))
    page.fill("#username", username)
    page.fill("#password", AGENT_PASSWORD)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/console/$"))
    page.wait_for_selector("body[data-ready=call]")  # the forms are loaded


def caller_says(page: Any, text: str, expect_topic: str | None = None) -> None:
    """Type what the caller said and wait until the console has understood it."""
    page.fill("#utterance", text)
    page.press("#utterance", "Enter")
    page.wait_for_function(
        "([text]) => [...document.querySelectorAll('#turns li')]"
        ".some(li => li.textContent === text)",
        arg=[text],
    )
    if expect_topic is not None:
        assert page.text_content("#topic") == expect_topic


def test_an_agent_assists_a_call_and_submits_for_the_caller(
    page: Any, stack: Stack, backend_db: Path
) -> None:
    sign_in(page, stack, "li")
    assert page.text_content("#agent-name") == "li老师（坐席）"

    caller_says(page, "我想申请渝北的青年人才公租房", "申请人才住房")
    assert "渝北区" in page.text_content("#details")
    assert "几口人" in page.text_content("#next-question")
    assert page.text_content("#answer") not in ("", "—")
    assert page.text_content("#answer-source").startswith("来源：")
    assert page.input_value("#form-kind") == "housing"
    assert page.input_value("#f-district") == "渝北区"
    assert page.input_value("#f-housing_type") == "youth_rental"

    caller_says(page, "我们一家三口，明年三月入住")
    assert page.input_value("#f-household_size") == "3"
    assert page.input_value("#f-move_in_month") == "2027-03"
    assert "称呼" in page.text_content("#next-question")

    caller_says(page, "电话13912345678，身份证11010519491231002X")
    assert page.input_value("#f-phone") == "13912345678"
    assert page.input_value("#f-id_number") == "11010519491231002X"
    page.fill("#f-applicant_name", "王五")
    caller_says(page, "好的，就这些")  # what the agent typed counts: nothing left to ask
    assert "信息已齐" in page.text_content("#next-question")

    page.check("#form-consent")
    page.fill("#form-summary", "来电申请渝北青年人才公租房，一家三口。")
    page.click("#form-submit")
    page.wait_for_selector("#form-result:not([hidden])")
    result = page.text_content("#form-result")
    number = re.search(r"HS\d{8}-\d{4}", result or "")
    assert number and "联系电话：13912345678" in (result or "")

    (row,) = rows(
        backend_db, "SELECT id, channel, kind FROM service_request WHERE number = ?", number.group()
    )
    assert (row["channel"], row["kind"]) == ("hotline", "housing")
    trail = rows(
        backend_db,
        "SELECT actor, action, note FROM request_event WHERE request_id = ? ORDER BY id",
        row["id"],
    )
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("agent:li", "created"),
        ("agent:li", "call_summary"),
    ]
    assert page.dialogs == []


HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_the_console_shows_user_text_as_text(
    page: Any, stack: Stack, console: Callable[[str], ConsoleAgent]
) -> None:
    li = console("li")
    created = li.post(
        "/requests",
        {
            "kind": "housing",
            "applicant": {"name": "王五", "phone": "13912345678",
                          "id_number": "11010519491231002X"},
            "details": {"housing_type": "talent_apartment", "district": "渝北区",
                        "household_size": 2, "move_in_month": "2027-05"},
            "notice_version": "2026-11-27.housing.v1",
            "consent_read_out": True,
            "consent_at": "2026-11-27T09:00:00+08:00",
            "submission_key": "e2e-hostile-0001",
            "summary": HOSTILE + "<script>window.__pwned=2</script>",
        },
    )  # fmt: skip
    number = created["request"]["number"]
    sign_in(page, stack, "li")
    caller_says(page, "<b>粗体</b>" + HOSTILE)
    page.click("nav button[data-view=requests]")
    page.fill("#search", number)
    page.click("#search-button")
    page.click(f"#results button:has-text('{number}')")
    page.wait_for_selector("#request-detail:not([hidden])")
    events = page.text_content("#rd-events") or ""
    assert HOSTILE in events and "<script>window.__pwned=2</script>" in events
    assert "<b>粗体</b>" in (page.text_content("#turns") or "")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#rd-events img, #turns b, #turns img").count() == 0
    assert page.dialogs == []
