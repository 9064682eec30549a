"""The hotline console in a real browser: sign in, assist a scripted call, submit for the caller."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page

from bot.launcher import Stack
from tests.browser.conftest import AGENT_PASSWORD
from tests.browser.console import caller_says, shot, sign_in
from tests.browser.helpers import backend_rows


def test_an_agent_assists_a_call_and_submits_for_the_caller(desk: Page, stack: Stack) -> None:
    sign_in(desk, stack, "li", AGENT_PASSWORD)
    assert desk.text_content("#agent-name") == "li老师（坐席）"

    caller_says(desk, "我想申请渝北的青年人才公租房")
    assert desk.text_content("#topic") == "申请人才住房"
    assert "渝北区" in (desk.text_content("#details") or "")
    assert "几口人" in (desk.text_content("#next-question") or "")
    assert desk.text_content("#answer") not in ("", "—")
    assert (desk.text_content("#answer-source") or "").startswith("来源：")
    assert desk.input_value("#form-kind") == "housing"
    assert desk.input_value("#f-district") == "渝北区"
    assert desk.input_value("#f-housing_type") == "youth_rental"

    caller_says(desk, "我们一家三口，明年三月入住")
    assert desk.input_value("#f-household_size") == "3"
    assert desk.input_value("#f-move_in_month") == "2027-03"
    assert "称呼" in (desk.text_content("#next-question") or "")

    caller_says(desk, "电话13912345678，身份证11010519491231002X")
    assert desk.input_value("#f-phone") == "13912345678"
    assert desk.input_value("#f-id_number") == "11010519491231002X"
    desk.fill("#f-applicant_name", "王五")
    caller_says(desk, "好的，就这些")  # what the agent typed counts: nothing left to ask
    assert "信息已齐" in (desk.text_content("#next-question") or "")

    desk.check("#form-consent")
    desk.fill("#form-summary", "来电申请渝北青年人才公租房，一家三口。")
    desk.click("#form-submit")
    desk.wait_for_selector("#form-result:not([hidden])")
    result = desk.text_content("#form-result") or ""
    number = re.search(r"HS\d{8}-\d{4}[A-Z]?", result)
    assert number and "联系电话：13912345678" in result
    shot(desk, "submitted")

    (row,) = backend_rows(
        stack, "SELECT id, channel, kind FROM service_request WHERE number = ?", number.group()
    )
    assert (row["channel"], row["kind"]) == ("hotline", "housing")
    trail = backend_rows(
        stack, "SELECT actor, action FROM request_event WHERE request_id = ? ORDER BY id", row["id"]
    )
    assert [(e["actor"], e["action"]) for e in trail] == [
        ("agent:li", "created"),
        ("agent:li", "call_summary"),
    ]
    assert desk.dialogs == []  # type: ignore[attr-defined]


HOSTILE = '<img src=x onerror="window.__pwned=1">'
SCRIPT = "<script>window.__pwned=2</script>"


def test_the_console_shows_what_people_typed_as_text(desk: Page, stack: Stack) -> None:
    sign_in(desk, stack, "li", AGENT_PASSWORD)
    caller_says(desk, "<b>粗体</b>" + HOSTILE)
    desk.select_option("#form-kind", "housing")
    desk.select_option("#f-housing_type", "talent_apartment")
    for field, value in {
        "district": "江北区",
        "household_size": "2",
        "move_in_month": "2027-05",
        "applicant_name": "王五",
        "phone": "13912345678",
        "id_number": "11010519491231002X",
    }.items():
        desk.fill(f"#f-{field}", value)
    desk.check("#form-consent")
    desk.fill("#form-summary", HOSTILE + SCRIPT)
    desk.click("#form-submit")
    desk.wait_for_selector("#form-result:not([hidden])")
    number = re.search(r"HS\d{8}-\d{4}[A-Z]?", desk.text_content("#form-result") or "")
    assert number, desk.text_content("#form-error")

    desk.click("nav button[data-view=requests]")
    desk.click('nav button[data-view="requests"]')
    desk.fill("#search", number.group())
    desk.click("#search-button")
    desk.click(f"#results button:has-text('{number.group()}')")
    desk.wait_for_selector("#request-detail:not([hidden])")
    events = desk.text_content("#rd-events") or ""
    assert HOSTILE in events and SCRIPT in events
    assert "<b>粗体</b>" in (desk.text_content("#turns") or "")
    assert desk.evaluate("window.__pwned") is None
    assert desk.locator("#rd-events img, #turns b, #turns img").count() == 0
    assert desk.dialogs == []  # type: ignore[attr-defined]
    shot(desk, "escaped")


def test_the_console_is_closed_to_anyone_not_signed_in(desk: Page, stack: Stack) -> None:
    desk.goto(f"{stack.backend_url}/console/")
    assert desk.url.endswith("/console/login")
    response = desk.request.get(f"{stack.backend_url}/console/api/requests")
    assert response.status == 401
    desk.fill("#username", "li")
    desk.fill("#password", "not-the-password")
    desk.click("#login-button")
    desk.wait_for_function("document.getElementById('login-error').textContent.length > 0")
    assert "不正确" in (desk.text_content("#login-error") or "")


def test_an_agent_submits_a_settlement_request_with_its_catalogue_form(
    desk: Page, stack: Stack
) -> None:
    sign_in(desk, stack, "chen", AGENT_PASSWORD)
    desk.select_option("#form-kind", "settlement")
    labels = desk.locator("#form-fields label").all_text_contents()
    assert labels[:4] == ["办理事项", "现户籍所在地", "拟落户区县", "随迁家属人数"]
    options = desk.locator("#f-service option").all_text_contents()
    assert options == ["请选择", "人才落户", "人事档案转存", "落户和档案转存"]
    assert "落户" in (desk.text_content("#form-notice") or "")

    desk.select_option("#f-service", "both")
    for field, value in {
        "current_hukou": "四川省成都市",
        "target_district": "渝北",
        "family_members": "2",
        "applicant_name": "陈晨",
        "phone": "13712345678",
        "id_number": "11010519491231002X",
    }.items():
        desk.fill(f"#f-{field}", value)
    desk.check("#form-consent")
    desk.fill("#form-summary", "来电办理落户和档案转存，两位家属随迁。")
    desk.click("#form-submit")
    desk.wait_for_selector("#form-result:not([hidden])")
    number = re.search(r"ST\d{8}-\d{4}[A-Z]?", desk.text_content("#form-result") or "")
    assert number, desk.text_content("#form-error")
    shot(desk, "settlement-submitted")

    (row,) = backend_rows(
        stack,
        "SELECT kind, channel, details FROM service_request WHERE number = ?",
        number.group(),
    )
    assert (row["kind"], row["channel"]) == ("settlement", "hotline")
    details = json.loads(row["details"])
    assert details == {
        "service": "both",
        "current_hukou": "四川省成都市",
        "target_district": "渝北区",
        "family_members": 2,
    }

    desk.click('nav button[data-view="requests"]')
    desk.fill("#search", number.group())
    desk.click("#search-button")
    desk.wait_for_selector("#results li button")
    assert "人才落户与档案服务" in (desk.text_content("#results") or "")
    desk.click("#results li button")
    desk.wait_for_selector("#request-detail:not([hidden])")
    shown = desk.text_content("#rd-fields") or ""
    assert "拟落户区县" in shown and "随迁家属人数" in shown
