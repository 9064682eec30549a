"""Odd messages get a clear Chinese reply over REST, never an error or silence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import joined, rows

Say = Callable[[str, str], list[dict[str, Any]]]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "文字"),
        ("   ", "文字"),
        ("😀😀😀", "文字"),
        ("？？？！！", "文字"),
        ("啊" * 10_000, "500"),
        ("'; DROP TABLE service_request; --", ""),
        ("<script>alert('x')</script>", ""),
        ("讲个笑话嘛", "笑话"),
        ("你是机器人吗", "智能助手"),
    ],
    ids=["empty", "spaces", "emoji", "punctuation", "10k-chars", "sql", "html", "joke", "bot"],
)
def test_odd_messages_get_a_clear_reply(
    say: Say, backend_db: Path, message: str, expected: str
) -> None:
    before = rows(backend_db, "select count(*) as n from service_request")[0]["n"]
    reply = joined(say(f"e2e-odd-{abs(hash(message)) % 10_000}", message))
    assert reply.strip(), "every message deserves an answer"
    assert expected in reply
    assert "Traceback" not in reply and "<script>" not in reply
    assert rows(backend_db, "select count(*) as n from service_request")[0]["n"] == before


def test_odd_input_in_a_form_is_refused_and_the_form_goes_on(say: Say) -> None:
    user = "e2e-odd-form"
    say(user, "帮我申请人才公寓")
    say(user, "同意")
    say(user, "人才公寓")
    reply = joined(say(user, "<b>渝北</b>'); DELETE FROM service_request;--"))
    assert reply.strip()
    assert "🙂" not in reply
    # still in the form: a valid answer is taken
    assert "几人" in joined(say(user, "渝北区"))
