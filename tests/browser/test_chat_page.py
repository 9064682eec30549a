"""A new user on a phone opens /chat, asks, opens a hospital request, reloads and carries on."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from playwright.sync_api import Page

from bot.launcher import Stack
from tests.browser.chat import Chat
from tests.browser.helpers import NUMBER, backend_rows

ID_NUMBER = "11010519491231002X"
MAIN_SERVICES = ["人才住房", "子女入学", "就医绿色通道", "政策咨询", "查询申请"]


def test_a_hospital_request_survives_a_reload_and_reaches_the_backend(
    page: Page, stack: Stack
) -> None:
    chat = Chat(page, "journey")
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(urlsplit(r.url).hostname or r.url[:30]))
    page.goto(f"{stack.rasa_url}/chat")
    welcome = chat.wait_for("渝才助手")
    assert "政策咨询" in welcome and chat.quick_replies() == MAIN_SERVICES
    assert page.locator(".rw-title").inner_text() == "渝才助手"
    assert "科技工作者" in page.locator(".rw-header").inner_text()  # the subtitle
    assert "请输入" in (chat.input.get_attribute("placeholder") or "")
    # phone-sized: nothing sticks out sideways, the input is on screen
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = chat.input.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844
    chat.shot("01-welcome")

    assert "您好" in chat.say("你好", "您好")
    policy = chat.say("人才公寓的申请条件是什么", "来源")
    assert "人才住房" in policy or "人才公寓" in policy
    chat.shot("02-policy-answer")

    assert "个人信息" in chat.say("帮我预约一下定点医院的绿色通道", "同意")
    chat.click("同意", "医院")
    chat.click("陆军军医大学第一附属医院", "科室")
    chat.click("骨科", "哪天")
    session_id = chat.session_id()
    shown_before = len(chat.responses())

    page.reload()  # the same tab: the widget keeps its session, Rasa keeps the form
    chat.input.wait_for()
    assert chat.session_id() == session_id
    page.wait_for_function(f"document.querySelectorAll('.rw-response').length >= {shown_before}")
    assert any("来源" in text for text in chat.responses()), "history is shown after reload"
    assert "原因" in chat.say("下周三上午", "原因")  # the form goes on where it was
    chat.shot("03-after-reload")

    chat.say("膝盖疼，复查", "姓名")
    chat.say("刘洋", "手机")
    chat.say("13600005678", "身份证")
    read_back = chat.say(ID_NUMBER, "请核对")
    # plain text stays plain: masks keep their asterisks, lines stay lines, no stray escapes
    assert "136****5678" in read_back and "刘*" in read_back and "13600005678" not in read_back
    assert "\n医院：陆军军医大学第一附属医院" in read_back and "\\" not in read_back
    chat.shot("04-read-back")

    done = chat.click("确认提交", "编号")
    number = NUMBER.search(done).group(0)  # type: ignore[union-attr]
    chat.shot("05-submitted")

    rows = backend_rows(stack, "select * from service_request where number = ?", number)
    assert len(rows) == 1
    row = rows[0]
    assert row["channel"] == "socketio" and row["sender_id"] == session_id
    assert row["applicant_phone"] == "13600005678" and row["status"] == "submitted"
    details = json.loads(row["details"])
    assert details["department"] == "骨科" and details["half_day"] == "am"
    assert hosts == {"127.0.0.1"}, "the page fetched something from elsewhere (a CDN?)"


def test_policy_topics_and_links_that_open_in_a_new_tab(page: Page, stack: Stack) -> None:
    chat = Chat(page, "links")
    page.goto(f"{stack.rasa_url}/chat")
    chat.wait_for("渝才助手")
    topics = chat.click("政策咨询", "哪方面的政策")
    assert "主题" in topics and "落户与人才码" in chat.quick_replies()
    answer = chat.click("科研经费", "来源")
    assert "包干制" in answer

    link = page.locator(".rw-response a", has_text="个人信息说明")
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    with page.context.expect_page() as opened:
        link.click()
    note = opened.value
    note.wait_for_load_state()
    assert note.url.endswith("/chat/privacy") and "个人信息说明" in note.title()
    assert page.url.endswith("/chat")  # the chat itself stays open


def test_a_long_answer_comes_in_bubbles_that_fit_a_phone(page: Page, stack: Stack) -> None:
    chat = Chat(page, "long-answer")
    page.goto(f"{stack.rasa_url}/chat")
    chat.wait_for("渝才助手")
    before = len(chat.responses())
    chat.click("政策咨询", "哪方面的政策")
    chat.click("一站式办事", "来源")
    bubbles = chat.responses()[before + 1 :]
    # the knowledge-base answer is short enough for one or two bubbles; none may overflow
    assert bubbles and all(len(b) <= 200 for b in bubbles)
    assert bubbles[0].startswith("科技工作者办事") and bubbles[-1].endswith("》")
    chat.shot("bubbles")
