"""A web-chat user asks for a person; an agent takes over in the console, talks, hands back.

Two real browser tabs on one running system: the phone-sized chat at /chat and
the agent's console. The agent's messages reach the user through Rasa's HTTP API
on the user's own channel; after the hand-back the bot answers again.
"""

from __future__ import annotations

import time

from playwright.sync_api import Page

from bot.launcher import Stack
from tests.browser.chat import Chat
from tests.browser.conftest import AGENT_PASSWORD
from tests.browser.console import shot, sign_in


def wait_for_text(page: Page, selector: str, text: str, timeout: float = 30) -> None:
    """Wait until the element shows ``text`` (the console polls every second or two)."""
    page.wait_for_function(
        "([selector, text]) => (document.querySelector(selector)?.textContent || '')"
        ".includes(text)",
        arg=[selector, text],
        timeout=timeout * 1000,
    )


def test_a_chat_user_and_an_agent_talk_and_the_bot_takes_over_again(
    page: Page, desk: Page, stack: Stack
) -> None:
    sign_in(desk, stack, "li", AGENT_PASSWORD)  # the console is open: li is online
    desk.click("nav button[data-view=handoff]")

    chat = Chat(page, "handoff")
    page.goto(f"{stack.rasa_url}/chat")
    chat.wait_for("渝才助手")
    chat.say("我想申请人才公寓", "同意")
    chat.say("转人工", "现在转接吗")
    chat.click("转人工", "已为您转接人工客服")

    wait_for_text(desk, "#queue", "人才住房申请")
    desk.click("#queue button:has-text('申请人才住房')")
    desk.wait_for_selector("#conversation:not([hidden])")
    assert desk.text_content("#conv-summary") == "用户在办理“人才住房申请”时请求人工服务。"
    desk.click("#conv-claim")
    chat.wait_for("我是人工客服li老师")

    before = len(chat.responses())
    chat.input.fill("租金大概多少钱一个月？")
    chat.input.press("Enter")
    wait_for_text(desk, "#conv-messages", "租金大概多少钱一个月？")
    time.sleep(1)
    assert len(chat.responses()) == before  # while a person holds the chat, the bot is quiet
    desk.fill("#conv-reply", "租金按房源所在区县的标准执行，我先帮您把申请办完。")
    desk.press("#conv-reply", "Enter")
    chat.wait_for("租金按房源所在区县的标准执行", after=before)
    shot(desk, "handoff-talking")
    chat.shot("handoff-talking")

    desk.click("#conv-release")
    chat.wait_for("人工客服已结束本次服务", after=before)
    wait_for_text(desk, "#conv-status", "已交还智能助手")
    chat.wait_for("我们接着办刚才的事项", after=before)
    chat.wait_for("告知书", after=before)  # the housing form, where it was
    assert "哪个区县" in chat.click("同意", "哪个区县")  # the bot answers again
    chat.shot("handoff-bot-again")
