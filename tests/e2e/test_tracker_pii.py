"""Rasa's tracker database keeps a form's phone and ID numbers only while the form needs them.

The rows are read with plain SQL from the stack's tracker database
(``endpoints.yml``'s store, bot/serving/tracker_store.py), as anyone holding
the file would read them. The retry after a failed submission is covered in
test_faults.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot.launcher import Stack
from tests.e2e.conftest import joined, tracker_text

Say = Callable[[str, str], list[dict[str, Any]]]
NUMBER = re.compile(r"\b(HS|SC|HP)\d{8}-\d{4}[A-Z]?\b")
PHONE = "13698761234"
ID_NUMBER = "500105198806120039"


def test_a_submitted_housing_request_leaves_no_raw_number_in_the_tracker_store(
    stack: Stack, say: Say
) -> None:
    user = "e2e-tracker-pii"
    say(user, "我想申请人才公寓，住渝北")
    say(user, "同意")
    say(user, "一家三口")
    say(user, "明年3月")
    assert "手机" in joined(say(user, "刘洋"))
    assert "身份证" in joined(say(user, f"我的手机是{PHONE}"))
    assert "请核对" in joined(say(user, ID_NUMBER))
    # half way (the read-back is open): the form still holds what it collected
    open_form = tracker_text(stack, user)
    assert PHONE in open_form and ID_NUMBER in open_form
    done = joined(say(user, "确认提交"))
    assert NUMBER.search(done), done
    stored = tracker_text(stack, user)
    assert PHONE not in stored and ID_NUMBER not in stored
    assert "136****1234" in stored and "5001**********0039" in stored
    # nowhere else in the database either, and the conversation carries on
    assert PHONE not in tracker_text(stack) and ID_NUMBER not in tracker_text(stack)
    assert "编号" in joined(say(user, "我的申请到哪一步了"))
