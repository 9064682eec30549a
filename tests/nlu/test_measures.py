"""make eval's off-topic false-accept rate, two-part score and per-topic accuracy (stub parser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.knowledge import load_knowledge_base
from bot.knowledge.coverage import topic_vocabulary
from bot.nlu.evaluate import OFFTOPIC, REGISTER, TWO_PART
from bot.nlu.measures import TwoPartCase, load_two_part, off_topic, per_topic_accuracy, two_part


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def test_off_topic_counts_routing_and_answers_apart(kb):
    intents = {
        "蒸汽机是谁发明的": "ask_tech_transfer",  # routed, but the coverage bar refuses it
        "今天天气怎么样": "out_of_scope",
        "国歌叫什么": "request_housing",  # a request topic would open a form: counted
        "科研院所编制紧张": "ask_staffing",  # (not off-topic: the bar lets it through)
    }
    result = off_topic(intents.__getitem__, list(intents), kb, topic_vocabulary())
    assert result.routed == ["蒸汽机是谁发明的", "国歌叫什么", "科研院所编制紧张"]
    assert result.answered == ["国歌叫什么", "科研院所编制紧张"]
    assert result.false_accept_rate == pytest.approx(0.5)


def test_two_part_score_needs_every_fact(kb):
    cases = [
        TwoPartCase("人才住房有多少套？定点医院呢？", ("10826", "77 家")),
        TwoPartCase("蒸汽机是谁发明的？国歌呢？", ("瓦特",)),
    ]
    score, missed = two_part(lambda _: "ask_housing_policy", cases, kb, topic_vocabulary())
    assert score == 0.5 and missed == ["蒸汽机是谁发明的？国歌呢？"]


def test_the_shipped_two_part_cases_are_answered_with_the_right_topic(kb):
    """With a perfect classifier for the first part, every case gets every fact."""
    cases = load_two_part(TWO_PART)
    assert len(cases) >= 10
    score, missed = two_part(lambda _: "nlu_fallback", cases, kb, topic_vocabulary())
    assert score >= 0.5, missed


def test_per_topic_accuracy():
    gold = ["a", "a", "b", "b"]
    assert per_topic_accuracy(gold, ["a", "b", "b", "b"]) == {"a": 0.5, "b": 1.0}


@pytest.mark.parametrize("path", [OFFTOPIC, REGISTER])
def test_the_held_out_sets_are_never_trained_on(path: Path):
    from tests.nlu.test_data_quality import normalise

    training = load_data("data/nlu", language="zh")
    seen = {normalise(m.get("text")) for m in training.intent_examples}
    heldout = load_data(str(path), language="zh").intent_examples
    assert len(heldout) >= 50
    assert not [m.get("text") for m in heldout if normalise(m.get("text")) in seen]
