"""The router settles what the form of a question says: English, and asking versus applying."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.routing import QuestionRouter, ask_instead_of_request, english_intent


@pytest.mark.parametrize(
    ("intent", "text", "expected"),
    [
        ("request_housing", "人才住房一共有好多套", "ask_housing_policy"),
        ("request_housing", "青年人才公租房有哪些", "ask_housing_policy"),
        ("request_housing", "申请人才公寓要什么条件", "ask_housing_policy"),
        ("request_schooling", "子女入学服务办了多少人次", "ask_school_policy"),
        ("request_hospital", "定点医院一共有几家", "ask_hospital_policy"),
        ("request_settlement", "落户需要什么条件", "ask_hukou"),
        # an explicit wish opens the form
        ("request_housing", "我要申请人才公寓", None),
        ("request_housing", "帮我办一套公租房，要什么条件你们再告诉我", None),
        ("request_hospital", "想预约定点医院看病", None),
        ("request_schooling", "直接帮孩子报名小学", None),
        ("request_housing", "人才公寓", None),
        # only request intents are routed
        ("ask_housing_policy", "人才住房有多少套", None),
    ],
)
def test_asking_about_a_service_is_not_applying(intent, text, expected):
    assert ask_instead_of_request(intent, text) == expected


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("How many talent apartments are there?", "ask_housing_policy"),
        ("Can my family move their hukou with me?", "ask_hukou"),
        ("What is lump-sum research funding?", "ask_funding"),
        ("Who invented the telephone?", "out_of_scope"),
        ("What is the capital of France?", "out_of_scope"),
    ],
)
def test_an_english_question_goes_to_its_entrys_topic(text, intent):
    assert english_intent(text) == intent


def test_the_router_overrules_the_classifier():
    router = QuestionRouter({})
    english = Message({TEXT: "How many designated hospitals are there?"})
    english.set(INTENT, {"name": "out_of_scope", "confidence": 0.9})
    asking = Message({TEXT: "人才住房一共有好多套"})
    asking.set(INTENT, {"name": "request_housing", "confidence": 0.8})
    chinese = Message({TEXT: "我要申请人才公寓"})
    chinese.set(INTENT, {"name": "request_housing", "confidence": 0.8})
    router.process([english, asking, chinese])
    assert english.get(INTENT)["name"] == "ask_hospital_policy"
    assert english.get("language") == "en"
    assert english.get("intent_ranking")[0] == {"name": "ask_hospital_policy", "confidence": 1.0}
    assert asking.get(INTENT)["name"] == "ask_housing_policy"
    assert chinese.get(INTENT) == {"name": "request_housing", "confidence": 0.8}
    assert chinese.get("language") is None
