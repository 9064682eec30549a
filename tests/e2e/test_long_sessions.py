"""A long conversation goes on in a new session at a quiet point; nothing is lost (M3).

A stack of its own with ``SESSION_MAX_TURNS=5`` (the smallest allowed), so a
session fills within the per-sender chat limit. The stored events are read with
plain SQL from the tracker database.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from bot.launcher import Stack
from tests.e2e.conftest import ARTIFACTS, joined, post_json, rows
from tests.support import running_stack

Say = Callable[[str, str], list[dict[str, Any]]]
LIMIT = 5
ID_NUMBER = "11010519491231002X"
NUMBER = re.compile(r"\bHS\d{8}-\d{4}[A-Z]?\b")
QUESTIONS = (
    "公积金贷款有啥子新规定",
    "金凤凰人才码有什么用",
    "娃儿读书入学有照顾吗",
    "指定的医院有多少家",
    "科技成果转化有什么支持",
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Backend, action server and Rasa with the trained model, five user messages a session."""
    workdir = tmp_path_factory.mktemp("long-sessions")
    with running_stack(
        workdir, ARTIFACTS / "logs-long", "long", {"SESSION_MAX_TURNS": str(LIMIT)}
    ) as s:
        yield s


@pytest.fixture(scope="module")
def say(stack: Stack) -> Say:
    def _say(sender: str, text: str) -> list[dict[str, Any]]:
        status, body = post_json(
            f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )
        assert status == 200 and isinstance(body, list), body
        return body

    return _say


def stored(stack: Stack, sender: str) -> list[dict[str, Any]]:
    """Return the conversation's stored events in order."""
    db = Path(stack.env["TRACKER_STORE_URL"].removeprefix("sqlite:///"))
    with sqlite3.connect(db) as conn:
        found = conn.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))
        return [json.loads(data) for (data,) in found]


def user_messages_before_each_continued_session(events: list[dict[str, Any]]) -> list[int]:
    """For each session that continues the one before, how many user messages came before it."""
    positions, users = [], 0
    for event in events:
        if event["event"] == "user":
            users += 1
        elif event["event"] == "session_started" and (event.get("metadata") or {}).get("continued"):
            positions.append(users)
    return positions


def ask(say: Say, sender: str, count: int) -> None:
    for index in range(count):
        reply = say(sender, QUESTIONS[index % len(QUESTIONS)])
        assert reply, "every question gets an answer"


def test_a_long_conversation_goes_on_in_a_new_session_and_keeps_every_event(
    say: Say, stack: Stack
) -> None:
    user = "e2e-long-conversation"
    ask(say, user, LIMIT + 2)
    events = stored(stack, user)
    continued = user_messages_before_each_continued_session(events)
    # the first quiet turn at or after the limit (a clarification question can delay it)
    assert len(continued) == 1 and LIMIT <= continued[0] <= LIMIT + 1
    sent = [e["text"] for e in events if e["event"] == "user"]
    assert len(sent) == LIMIT + 2, "every message stored once"

    # the new session answers like the old one, and the API still shows the whole conversation
    answer = joined(say(user, "金凤凰人才码有什么用"))
    assert "来源" in answer
    response = requests.get(
        f"{stack.rasa_url}/conversations/{user}/tracker",
        params={"include_events": "ALL"},
        headers=stack.rasa_headers(),
        timeout=30,
    )
    assert response.status_code == 200
    shown = [e for e in response.json()["events"] if e["event"] == "user"]
    assert len(shown) == LIMIT + 3


def test_a_request_in_progress_is_never_cut_and_its_number_works_afterwards(
    say: Say, stack: Stack
) -> None:
    backend_db = Path(stack.env["DATABASE_URL"].removeprefix("sqlite:///"))
    user = "e2e-long-with-a-request"
    ask(say, user, LIMIT - 3)
    # the form runs across the limit: no new session until the request is submitted
    assert "个人信息" in joined(say(user, "我想申请人才公寓，住渝北"))
    assert "几人" in joined(say(user, "同意"))
    assert "入住" in joined(say(user, "一家三口"))
    assert "姓名" in joined(say(user, "明年3月"))
    assert "手机" in joined(say(user, "张伟"))
    assert "身份证" in joined(say(user, "13812340000"))
    assert "请核对" in joined(say(user, ID_NUMBER))
    done = joined(say(user, "确认提交"))
    number = NUMBER.search(done).group(0)  # type: ignore[union-attr]
    assert user_messages_before_each_continued_session(stored(stack, user)) == []
    (row,) = rows(backend_db, "select * from service_request where number = ?", number)
    assert row["applicant_phone"] == "13812340000" and row["applicant_name"] == "张伟"
    assert json.loads(row["details"])["household_size"] == 3

    # the next quiet turn goes on in a new session; the request is still the user's to look up
    assert "编号" in joined(say(user, "我的申请到哪一步了"))
    continued = user_messages_before_each_continued_session(stored(stack, user))
    assert continued == [LIMIT + 5]
    assert "后四位" in joined(say(user, number))
    status = joined(say(user, "0000"))
    assert number in status and "已提交" in status
