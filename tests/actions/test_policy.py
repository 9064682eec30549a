"""Policy answers come from the knowledge base, cited; unclear questions are asked about."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionHandleFallback, clarify_choices
from actions.policy import ActionAnswer, out_of_scope_response
from tests.actions.conftest import make_tracker, texts

SOURCE = "来源：重庆日报《让科技工作者既有获得感又有使命感》"


def with_ranking(tracker: Tracker, ranking: list[tuple[str, float]]) -> Tracker:
    tracker.latest_message["intent"] = {"name": "nlu_fallback", "confidence": 0.4}
    tracker.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.45},
        *({"name": n, "confidence": c} for n, c in ranking),
    ]
    return tracker


async def answer(tracker: Tracker, domain: dict[str, Any]) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    assert await ActionAnswer().run(dispatcher, tracker, domain) == []
    return dispatcher


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("intent", "text", "fact"),
    [
        ("ask_housing_policy", "青年公租房有好多套", "6 万套"),
        ("ask_housing_policy", "公积金贷款有没有照顾", "住房公积金支持人才安居实施细则"),
        ("ask_housing_policy", "人才房租金多少", "没有写"),
        ("ask_hospital_policy", "定点医院几家", "77 家"),
        ("ask_general_service", "联系服务专家多少名", "215 名"),
        ("ask_general_service", "办事还要等35天吗", "14 天"),
        ("ask_finance", "科创板挂牌", "683 家"),
    ],
)
async def test_a_policy_answer_states_the_fact_and_its_source(domain, intent, text, fact):
    dispatcher = await answer(make_tracker(text=text, intent=intent), domain)
    [message] = dispatcher.messages
    assert fact in message["text"] and message["text"].endswith(SOURCE)


@pytest.mark.asyncio
async def test_an_answer_offers_its_request_outside_a_form_only(domain):
    outside = await answer(make_tracker(text="人才公寓有多少", intent="ask_housing_policy"), domain)
    assert outside.messages[0]["buttons"][0]["payload"] == "/request_housing"
    inside = await answer(
        make_tracker(text="人才公寓", intent="ask_housing_policy", active_loop="housing_form"),
        domain,
    )
    assert inside.messages[0]["buttons"] == []


@pytest.mark.asyncio
async def test_a_clicked_topic_button_answers_the_question_typed_before(domain):
    tracker = make_tracker(text="/ask_finance", intent="ask_finance")
    tracker.events.insert(0, {"event": "user", "text": "科创板挂了几家企业"})
    dispatcher = await answer(tracker, domain)
    assert "683" in dispatcher.messages[0]["text"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "response"),
    [
        ("明天会下雨吗", "utter_out_of_scope_weather"),
        ("推荐一只股票", "utter_out_of_scope_investing"),
        ("讲个笑话", "utter_out_of_scope_jokes"),
        ("哪家火锅好吃", "utter_out_of_scope_food"),
        ("轻轨几点收班", "utter_out_of_scope_travel"),
        ("帮我写个论文", "utter_out_of_scope"),
    ],
)
async def test_out_of_scope_points_to_where_to_ask(domain, text, response):
    assert out_of_scope_response(text) == response
    dispatcher = await answer(make_tracker(text=text, intent="out_of_scope"), domain)
    assert texts(dispatcher) == [response]
    assert response in domain["responses"]


def test_clarify_only_when_two_known_intents_are_close():
    close = [("ask_housing_policy", 0.38), ("request_housing", 0.33), ("greet", 0.1)]
    assert clarify_choices([{"name": n, "confidence": c} for n, c in close]) == [
        "ask_housing_policy",
        "request_housing",
    ]
    apart = [("ask_housing_policy", 0.6), ("request_housing", 0.2)]
    assert clarify_choices([{"name": n, "confidence": c} for n, c in apart]) == []
    unknown = [("greet", 0.4), ("ask_finance", 0.35)]
    assert clarify_choices([{"name": n, "confidence": c} for n, c in unknown]) == []


@pytest.mark.asyncio
async def test_fallback_asks_which_topic_was_meant(domain):
    tracker = with_ranking(
        make_tracker(text="人才公寓的事"), [("ask_housing_policy", 0.4), ("request_housing", 0.35)]
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHandleFallback().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_clarify"
    assert [b["payload"] for b in message["buttons"]] == [
        "/ask_housing_policy",
        "/request_housing",
        "/human_handoff",
    ]
    assert events == [UserUtteranceReverted()]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "pointer"),
    [
        ("明天重庆下不下雨", "utter_out_of_scope_weather"),
        ("讲个段子来听", "utter_out_of_scope_jokes"),
    ],
)
async def test_an_unsure_guess_on_plainly_off_topic_words_points_to_where_it_is_answered(
    domain, text, pointer
):
    # the classifier torn between two topics it knows; the words are plainly weather / jokes
    tracker = with_ranking(
        make_tracker(text=text), [("cancel_request", 0.23), ("ask_general_service", 0.2)]
    )
    dispatcher = CollectingDispatcher()
    events = await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == [pointer]
    assert events == [UserUtteranceReverted()]


@pytest.mark.asyncio
async def test_fallback_answers_a_long_tail_question_from_the_knowledge_base(domain):
    tracker = with_ranking(make_tracker(text="主题宣讲覆盖了多少人"), [("greet", 0.2)])
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert "26 万" in dispatcher.messages[0]["text"] and SOURCE in dispatcher.messages[0]["text"]


@pytest.mark.asyncio
async def test_fallback_admits_it_is_not_sure(domain):
    tracker = with_ranking(make_tracker(text="量子纠缠怎么解释"), [("greet", 0.2)])
    dispatcher = CollectingDispatcher()
    await ActionHandleFallback().run(dispatcher, tracker, domain)
    assert texts(dispatcher) == ["utter_not_sure"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("intent", "text"),
    [
        ("ask_tech_transfer", "蒸汽机是谁发明的"),
        ("ask_school_policy", "什么是天文学"),
        ("ask_general_service", "辛亥革命是哪一年"),
        ("ask_general_service", "法国国歌叫什么"),
    ],
)
async def test_a_confident_intent_is_not_enough_to_answer(domain, intent, text):
    """The coverage bar applies to every answer: an off-topic question gets no policy entry."""
    dispatcher = await answer(make_tracker(text=text, intent=intent), domain)
    assert texts(dispatcher) == ["utter_not_sure"]


@pytest.mark.asyncio
async def test_a_two_part_question_gets_both_facts_and_one_source_line(domain):
    tracker = make_tracker(text="人才住房有多少套？定点医院呢？", intent="ask_housing_policy")
    [message] = (await answer(tracker, domain)).messages
    assert "10826" in message["text"] and "77 家" in message["text"]
    assert message["text"].count("来源") == 1 and message["text"].endswith(SOURCE)
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads == ["/request_housing", "/request_hospital"]


@pytest.mark.asyncio
async def test_an_answer_says_when_it_was_checked(domain):
    tracker = make_tracker(text="定点医院有几家", intent="ask_hospital_policy")
    [message] = (await answer(tracker, domain)).messages
    assert f"（2026年11月27日核对）{SOURCE}" in message["text"]


@pytest.mark.asyncio
async def test_an_english_question_gets_an_english_cited_answer(domain):
    tracker = make_tracker(
        text="How many designated hospitals are there?", intent="ask_hospital_policy"
    )
    tracker.latest_message["language"] = "en"
    [message] = (await answer(tracker, domain)).messages
    assert "77 hospitals" in message["text"] and "Source: Chongqing Daily" in message["text"]
    assert "来源" not in message["text"]


@pytest.mark.asyncio
async def test_an_english_request_is_told_requests_are_in_chinese(domain):
    tracker = make_tracker(text="I want to book a hospital appointment", intent="out_of_scope")
    [message] = (await answer(tracker, domain)).messages
    assert "only be handled in Chinese" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/human_handoff"]


@pytest.mark.asyncio
async def test_an_english_question_we_cannot_answer_is_not_guessed(domain):
    tracker = make_tracker(text="Who invented the steam engine?", intent="out_of_scope")
    [message] = (await answer(tracker, domain)).messages
    assert message["text"].startswith("Sorry, I am not sure") and "Source" not in message["text"]


@pytest.mark.asyncio
async def test_a_topic_button_without_a_question_gets_the_topics_overview(domain):
    tracker = make_tracker(text="/ask_funding", intent="ask_funding")
    tracker.events.insert(0, {"event": "user", "text": "/policy_topics"})
    [message] = (await answer(tracker, domain)).messages
    assert "包干制" in message["text"] and message["text"].endswith(SOURCE)
