"""One caller utterance → topic, details, answer to read out and the next question."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from bot.console.assist import HospitalRef, assist
from bot.knowledge import KnowledgeBase, load_knowledge_base

TODAY = date(2026, 11, 27)  # a Friday
HOSPITALS = [
    HospitalRef("cqmu_fah", "重庆医科大学附属第一医院", ("重医附一院", "附一院"), ("心血管内科",)),
    HospitalRef("cqmu_ch", "重庆医科大学附属儿童医院", ("儿童医院",), ("儿科",)),
]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    """The real knowledge base."""
    return load_knowledge_base()


def parse(intent: str, confidence: float = 0.95, **entities: str) -> dict[str, Any]:
    """Shape a result the way Rasa's /model/parse returns it."""
    return {
        "intent": {"name": intent, "confidence": confidence},
        "entities": [{"entity": name, "value": value} for name, value in entities.items()],
    }


def turn(
    kb: KnowledgeBase, text: str, result: dict[str, Any], known: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run one turn of the call screen."""
    return assist(
        text=text, parse=result, known=known or {}, kb=kb, today=TODAY, hospitals=HOSPITALS
    )


def test_a_housing_call_builds_up_turn_by_turn(kb: KnowledgeBase) -> None:
    first = turn(
        kb,
        "我想申请渝北的青年人才公租房",
        parse("request_housing", district="渝北区", housing_type="青年人才公祖房"),
    )
    assert (first["topic"], first["topic_label"], first["kind"]) == (
        "housing_apply",
        "申请人才住房",
        "housing",
    )
    assert {d["label"]: d["value"] for d in first["details"]} == {
        "意向区县": "渝北区",
        "住房类型": "青年人才公租房",
    }
    assert first["next_question"]["key"] == "household_size"
    second = turn(
        kb,
        "一家三口，明年3月入住",
        parse("inform", household_size="三口", move_in_month="明年3月"),
        first["known"],
    )
    assert second["kind"] == "housing"  # the kind carries over a bare answer
    assert second["known"]["household_size"] == 3 and second["known"]["move_in_month"] == "2027-03"
    assert second["next_question"]["key"] == "applicant_name"
    third = turn(
        kb, "电话是13812345678", parse("inform"), {**second["known"], "applicant_name": "王五"}
    )
    assert third["known"]["phone"] == "13812345678"  # found even without an entity
    assert third["next_question"]["key"] == "id_number"


def test_a_policy_question_gets_a_cited_answer_and_a_request_offer(kb: KnowledgeBase) -> None:
    result = turn(kb, "青年人才公租房有多少套", parse("ask_housing_policy"))
    answer = result["answer"]
    assert answer["source"].startswith("来源：") and answer["text"]
    assert answer["confident"] is True
    assert result["kind"] == "housing" and result["next_question"]["key"] == "housing_type"


def test_schooling_puts_the_district_where_the_child_goes(kb: KnowledgeBase) -> None:
    result = turn(
        kb,
        "孩子小学三年级，想转到渝北读书",
        parse("request_schooling", district="渝北区", school_stage="primary", grade="三年级"),
    )
    assert result["known"]["target_district"] == "渝北区" and "district" not in result["known"]
    assert (result["known"]["stage"], result["known"]["grade"]) == ("primary", 3)


def test_hospital_names_dates_and_half_days_are_read(kb: KnowledgeBase) -> None:
    result = turn(
        kb,
        "下周三上午去重医附一院看心血管内科",
        parse("request_hospital", visit_date="下周三上午", department="心血管内科"),
    )
    known = result["known"]
    assert known["hospital_code"] == "cqmu_fah" and known["department"] == "心血管内科"
    assert (known["visit_date"], known["half_day"]) == ("2026-12-02", "am")
    assert result["next_question"]["key"] == "applicant_name"
    assert {"label": "医院", "key": "hospital_code", "value": "重庆医科大学附属第一医院"} in result[
        "details"
    ]


def test_bad_values_are_pointed_out_not_kept(kb: KnowledgeBase) -> None:
    result = turn(
        kb,
        "身份证 110105194912310021",
        parse("inform", id_number="110105194912310021"),
        {"kind": "housing"},
    )
    assert "id_number" not in result["known"]
    assert result["problems"] and "校验" in result["problems"][0]


def test_nothing_understood_still_answers_something_useful(kb: KnowledgeBase) -> None:
    result = turn(kb, "嗯嗯", parse("nlu_fallback", 0.3))
    assert result["topic_label"] == "超出服务范围" and result["kind"] is None
    assert result["next_question"] is None


def test_a_bare_answer_leaves_the_answer_on_screen_alone(kb: KnowledgeBase) -> None:
    result = turn(kb, "三口人", parse("inform", household_size="三口人"), {"kind": "housing"})
    assert result["topic"] == "dialogue" and result["answer"] is None
    assert result["known"]["household_size"] == 3


def test_values_nlu_missed_are_read_from_the_words_for_the_current_request(
    kb: KnowledgeBase,
) -> None:
    housing = turn(kb, "我们一家三口，明年三月入住", parse("inform"), {"kind": "housing"})
    assert housing["known"]["household_size"] == 3
    assert housing["known"]["move_in_month"] == "2027-03"
    hospital = turn(kb, "下周三下午吧", parse("inform"), {"kind": "hospital"})
    assert hospital["known"]["visit_date"] == "2026-12-02"
    assert hospital["known"]["half_day"] == "pm"
    other = turn(kb, "我们一家三口", parse("inform"), {"kind": "schooling"})
    assert "household_size" not in other["known"]  # only fields of the request at hand


@pytest.mark.parametrize(
    "entities",
    [{}, {"household_size": "三口人"}, {"move_in_month": "三口人"}, {"grade": "三"}],
    ids=["no-entity", "household", "taken-for-a-month", "taken-for-a-grade"],
)
def test_household_size_said_in_words_is_filled_and_not_a_problem(
    kb: KnowledgeBase, entities: dict[str, str]
) -> None:
    result = turn(kb, "我家里三口人", parse("inform", **entities), known={"kind": "housing"})
    assert result["known"]["household_size"] == 3
    assert result["problems"] == []


def test_a_field_filled_earlier_has_no_stale_problem(kb: KnowledgeBase) -> None:
    known = {"kind": "housing", "household_size": 3}
    result = turn(kb, "三口人，下下个月", parse("inform", household_size="下下个月"), known=known)
    assert result["problems"] == []


def test_words_that_fill_nothing_are_still_a_problem(kb: KnowledgeBase) -> None:
    result = turn(kb, "在十五号那边", parse("inform", district="十五号"), known={"kind": "housing"})
    assert result["problems"] and "区县" in result["problems"][0]


def test_an_off_topic_question_gets_no_confident_answer(kb: KnowledgeBase) -> None:
    result = turn(kb, "蒸汽机是谁发明的", parse("ask_tech_transfer", confidence=0.6))
    assert result["answer"] is None or result["answer"]["confident"] is False
