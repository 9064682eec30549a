"""The backend goes away in the middle of a conversation, and comes back."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.launcher import Stack
from tests.e2e.conftest import ARTIFACTS, joined, rows, tracker_text

Say = Callable[[str, str], list[dict[str, Any]]]
NUMBER = re.compile(r"\b(HS|SC|HP)\d{8}-\d{4}[A-Z]?\b")
PHONE = "13712349876"
ID_NUMBER = "11010519491231002X"


def fill_housing_form(say: Say, user: str) -> str:
    say(user, "帮我申请青年人才公租房，想住沙坪坝")
    say(user, "同意")
    say(user, "2个人")
    say(user, "2027年5月")
    say(user, "周杰")
    say(user, PHONE)
    return joined(say(user, ID_NUMBER))


def test_backend_down_at_submission_then_retry_creates_one_request(
    stack: Stack, say: Say, backend_db: Path
) -> None:
    user = "e2e-backend-down"
    assert "请核对" in fill_housing_form(say, user)
    before = rows(backend_db, "select count(*) as n from service_request")[0]["n"]
    stack.restart("backend", start_again=False)
    try:
        down = joined(say(user, "确认提交"))
        assert "暂时连接不上" in down and "重试" in down
        assert not NUMBER.search(down)
    finally:
        stack.restart("backend")
    # the form has ended but its details wait for 重试 in the tracker store
    waiting = tracker_text(stack, user)
    assert PHONE in waiting and ID_NUMBER in waiting
    done = joined(say(user, "重试"))
    number = NUMBER.search(done).group(0)  # type: ignore[union-attr]
    # once the request is made, no raw number is left in the conversation's stored events
    stored = tracker_text(stack, user)
    assert PHONE not in stored and ID_NUMBER not in stored
    assert rows(backend_db, "select count(*) as n from service_request")[0]["n"] == before + 1
    # a second retry (a double tap) finds nothing left to send
    assert "没有需要重新提交" in joined(say(user, "重试"))
    same = rows(backend_db, "select count(*) as n from service_request where number = ?", number)
    assert same[0]["n"] == 1


def test_logs_never_show_phone_or_id_numbers(stack: Stack, say: Say) -> None:
    fill_housing_form(say, "e2e-log-check")
    say("e2e-log-check", "不办了")
    logs = {
        path.name: path.read_text(encoding="utf-8", errors="replace")
        for path in (ARTIFACTS / "logs").glob("*.log")
    }
    assert set(logs) >= {"backend.log", "actions.log", "rasa.log"}
    for name, text in logs.items():
        assert PHONE not in text, f"{name} shows a phone number"
        assert ID_NUMBER not in text, f"{name} shows an ID number"
