"""A chat user asks for a person; an agent takes over in the console and hands back.

The user speaks the web chat's socket.io protocol, or is a WeChat user (WeChat's
servers played on 127.0.0.1); the agent uses the console's API. Everything else
runs for real: Rasa, actions, backend. The browser version is tests/browser.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.launcher import Stack
from tests.e2e.conftest import ConsoleAgent, joined, rows
from tests.e2e.test_wechat import ask
from tests.e2e.widget_user import WidgetUser
from tests.fake_wechat import FakeWeChatApi, WeChatPusher


@pytest.fixture
def widget_user(stack: Stack) -> Iterator[WidgetUser]:
    """A user of the web widget."""
    user = WidgetUser(stack.rasa_url)
    yield user
    user.close()


def wait_for_handoff(agent: ConsoleAgent, summary_part: str, timeout: float = 20) -> dict[str, Any]:
    """Poll the queue like the console page does until the conversation shows up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for handoff in agent.get("/handoffs")["handoffs"]:
            if summary_part in handoff["summary"] and handoff["status"] == "waiting":
                return dict(handoff)
        time.sleep(0.5)
    raise AssertionError(f"no waiting handoff with {summary_part!r}")


def wait_for_user_message(agent: ConsoleAgent, handoff_id: int, text: str) -> list[dict[str, Any]]:
    """Poll the conversation like the console page does until the user's message is there."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = agent.get(f"/handoffs/{handoff_id}")["messages"]
        if any(m["author"] == "user" and m["text"] == text for m in messages):
            return list(messages)
        time.sleep(0.5)
    raise AssertionError(f"the agent never saw {text!r}")


def test_widget_user_and_agent_talk_then_the_bot_carries_on(
    widget_user: WidgetUser, console: Callable[[str], ConsoleAgent]
) -> None:
    li = console("li")  # housing team: the console is open, so li is online
    widget_user.say("我想申请人才公寓")
    widget_user.expect("告知书")
    widget_user.say("转人工")
    widget_user.expect("现在转接吗")
    widget_user.say("好的")
    widget_user.expect("已为您转接人工客服")

    handoff = wait_for_handoff(li, "人才住房申请")
    assert handoff["topic_label"] == "申请人才住房" and handoff["channel"] == "socketio"
    claimed = li.post(f"/handoffs/{handoff['id']}/claim")
    assert claimed["handoff"]["status"] == "active" and claimed["handoff"]["mine"]
    widget_user.expect("我是人工客服li老师")

    widget_user.say("我想先问问租金大概多少")
    assert widget_user.quiet_for(3) == []  # while a person holds it, the bot stays quiet
    wait_for_user_message(li, handoff["id"], "我想先问问租金大概多少")
    li.post(
        f"/handoffs/{handoff['id']}/messages", {"text": "租金按区县标准执行，我帮您继续办理申请。"}
    )
    widget_user.expect("租金按区县标准执行")

    released = li.post(f"/handoffs/{handoff['id']}/release")
    assert released["handoff"]["status"] == "closed"
    widget_user.expect("人工客服已结束本次服务")
    widget_user.expect("告知书")  # the housing form picks up where it was
    widget_user.say("同意")
    # the bot answers again, and still knows the housing type the first message gave
    widget_user.expect("哪个区县")


def test_nobody_online_leaves_a_callback_the_team_sees(
    widget_user: WidgetUser, console: Callable[[str], ConsoleAgent], backend_db: Any
) -> None:
    widget_user.say("定点医院有哪些")
    widget_user.expect("医院")
    widget_user.say("转人工")
    offer = widget_user.expect("登记回电")
    assert "不在线" in offer  # nobody of the hospital team has the console open
    widget_user.say("好的")
    widget_user.expect("告知书")
    widget_user.say("同意")
    widget_user.expect("怎么称呼")
    widget_user.say("王先生")
    widget_user.expect("手机号码")
    widget_user.say("13812345678")
    widget_user.expect("什么时间")
    widget_user.say("明天上午")
    done = widget_user.expect("已为您登记回电")
    number = re.search(r"CB\d{8}-\d{4}[A-Z]?", done)
    assert number and "138****5678" in done
    (row,) = rows(
        backend_db, "SELECT kind, channel FROM service_request WHERE number = ?", number.group()
    )
    assert tuple(row) == ("callback", "socketio")
    zhou = console("zhou")  # the hospital team's agent signs in and finds it
    assert [r["kind"] for r in zhou.get(f"/requests?q={number.group()}")] == ["callback"]
    assert console("wang").get(f"/requests?q={number.group()}") == []


def test_a_rest_user_is_offered_a_callback_not_a_person(
    say: Callable[[str, str], list[dict[str, Any]]], console: Callable[[str], ConsoleAgent]
) -> None:
    console("li")  # someone is online, but REST cannot carry an agent's replies
    offer = joined(say(f"rest-{time.time_ns()}", "转人工"))
    assert "还不能接入在线人工客服" in offer and "登记回电" in offer


@pytest.fixture(scope="module")
def wechat_api(stack: Stack) -> Iterator[FakeWeChatApi]:
    """WeChat's server API (access token, customer-service messages) on the stack's port."""
    port = urllib.parse.urlsplit(stack.env["WECHAT_API_BASE_URL"]).port
    with FakeWeChatApi(port or 0) as api:
        yield api


def test_a_wechat_user_gets_the_agents_replies_through_the_api(
    stack: Stack, wechat_api: FakeWeChatApi, console: Callable[[str], ConsoleAgent]
) -> None:
    wechat = WeChatPusher(f"{stack.rasa_url}/webhooks/wechat/webhook")
    li = console("li")
    user = f"o-handoff-{time.time_ns()}"
    assert "现在转接吗" in ask(wechat, wechat_api, user, "转人工")
    assert "已为您转接人工客服" in ask(wechat, wechat_api, user, "好的")
    handoff = next(
        h for h in li.get("/handoffs")["handoffs"] if h["channel"] == "wechat" and not h["agent"]
    )
    sent = len(wechat_api.texts_to(user))
    li.post(f"/handoffs/{handoff['id']}/claim")
    assert "我是人工客服li老师" in wechat_api.wait_for_texts(user, sent + 1)[-1]
    assert wechat.push(wechat.text(user, "我想问户口怎么迁")).body == "success"  # the bot is quiet
    wait_for_user_message(li, handoff["id"], "我想问户口怎么迁")
    li.post(f"/handoffs/{handoff['id']}/messages", {"text": "可以通过金凤凰人才码线上办理落户。"})
    assert wechat_api.wait_for_texts(user, sent + 2)[-1] == "可以通过金凤凰人才码线上办理落户。"
    li.post(f"/handoffs/{handoff['id']}/release")
    assert "人工客服已结束本次服务" in "\n".join(wechat_api.wait_for_texts(user, sent + 3))
