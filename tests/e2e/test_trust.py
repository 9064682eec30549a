"""Answers people can trust (issue 14), through the whole stack over REST.

Off-topic questions get no policy answer and no source line, whatever the
classifier thought; a question that asks two things gets both facts; asking
about a service opens no form; English gets English; a number seen earlier is
offered for the next cancellation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import joined

Say = Callable[[str, str], list[dict[str, Any]]]
# figures only policy answers state
POLICY_FACTS = ("10826", "6 万套", "77 家", "938", "372", "683", "7593", "438", "215 名", "68 项")


def user(prefix: str, text: str) -> str:
    return f"e2e-{prefix}-{abs(hash(text)) % 100_000}"


@pytest.mark.parametrize(
    "question",
    [
        "谁发明了蒸汽火车",  # an inventor
        "什么是分子生物学",  # what a science is
        "秦朝是哪一年灭亡的",  # a historical date
        "俄罗斯的国歌叫什么",  # an anthem
        "长江的源头在哪里",  # geography
        "你喜欢看电影吗",  # chit-chat
        "电费怎么在网上交",  # another service
    ],
)
def test_an_off_topic_question_gets_no_policy_answer(say: Say, question: str) -> None:
    reply = joined(say(user("offtopic", question), question))
    assert "来源" not in reply, f"{question!r} → {reply!r}"
    assert not any(fact in reply for fact in POLICY_FACTS), f"{question!r} → {reply!r}"


@pytest.mark.parametrize(
    ("question", "facts"),
    [
        ("定点医院有几家？用编上编支持了多少名？", ["77 家", "372"]),
        ("以前承诺件要多少天，现在要多少天", ["35 天", "14 天"]),
        ("科创板挂牌企业有好多家，信用贷款放了多少钱", ["683", "220 亿"]),
    ],
)
def test_a_two_part_question_gets_both_facts_and_one_source(
    say: Say, question: str, facts: list[str]
) -> None:
    reply = joined(say(user("twopart", question), question))
    for fact in facts:
        assert fact in reply, f"{question!r} → {reply!r}"
    assert reply.count("来源：") == 1 and "核对）来源" in reply


@pytest.mark.parametrize(
    ("question", "fact", "payload"),
    [
        ("青年人才公租房一共有好多套", "6 万套", "/request_housing"),
        ("申请人才公寓要什么条件", "没有写", "/request_housing"),
        ("定点医院都有哪些", "77 家", "/request_hospital"),
    ],
)
def test_asking_about_a_service_opens_no_form(
    say: Say, question: str, fact: str, payload: str
) -> None:
    messages = say(user("howmany", question), question)
    reply = joined(messages)
    assert fact in reply and "个人信息" not in reply and "同意" not in reply
    assert payload in [b["payload"] for m in messages for b in m.get("buttons") or []]


def test_an_explicit_wish_still_opens_the_form(say: Say) -> None:
    reply = joined(say("e2e-wish", "我要申请人才公寓"))
    assert "个人信息" in reply and "同意" in reply


@pytest.mark.parametrize(
    ("question", "fact"),
    [
        ("How many designated hospitals are there for scientists?", "77"),
        ("How many talent apartments does Chongqing have?", "10,826"),
    ],
)
def test_an_english_question_gets_an_english_cited_answer(
    say: Say, question: str, fact: str
) -> None:
    reply = joined(say(user("english", question), question))
    assert fact in reply and "Source: Chongqing Daily" in reply and "checked" in reply
    assert "来源" not in reply


def test_an_english_request_is_told_requests_are_in_chinese(say: Say) -> None:
    messages = say("e2e-english-request", "I would like to book a hospital appointment")
    reply = joined(messages)
    assert "Chinese" in reply and "个人信息" not in reply
    assert "/human_handoff" in [b["payload"] for m in messages for b in m.get("buttons") or []]


def test_cancel_after_a_status_lookup_offers_that_number(
    say: Say, someone_elses_request: str
) -> None:
    number, sender = someone_elses_request, "e2e-cancel-after-status"
    assert "编号" in joined(say(sender, "我的申请到哪一步了"))
    assert "后四位" in joined(say(sender, number))
    assert number in joined(say(sender, "2222"))
    offer = joined(say(sender, "帮我取消这个申请"))
    assert f"是刚才的 {number} 吗" in offer
    assert "后四位" in joined(say(sender, "是的"))  # the proof is still asked for
    joined(say(sender, "不办了"))
