"""The shared form behaviour: consent, validation with reasons, read-back and changes."""

from __future__ import annotations

from typing import Any

import pytest

from actions.housing import ValidateHousingForm
from actions.schooling import ValidateSchoolingForm
from actions.settlement import ValidateSettlementForm
from tests.actions.conftest import make_tracker, texts

FILLED = {
    "privacy_consent": True,
    "consent_notice_version": "v1",
    "consent_agreed_at": "2026-11-27T10:00:00+08:00",
    "housing_type": "talent_apartment",
    "district": "渝北区",
    "household_size": 3.0,
    "move_in_month": "2027-03",
    "applicant_name": "张伟",
    "phone": "13812345678",
    "id_number": "11010519491231002X",
}


async def validate(form: Any, tracker: Any, dispatcher: Any, domain: Any) -> dict[str, Any]:
    events = await form.run(dispatcher, tracker, domain)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.asyncio
async def test_confirming_the_read_back(dispatcher: Any, domain: Any) -> None:
    tracker = make_tracker(
        FILLED,
        intent="affirm",
        text="确认提交",
        active_loop="housing_form",
        set_this_turn={"request_confirmed": "确认提交"},
    )
    slots = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert slots["request_confirmed"] is True
    assert slots["request_kind"] == "housing"


@pytest.mark.asyncio
async def test_changing_a_field_with_its_new_value(dispatcher: Any, domain: Any) -> None:
    tracker = make_tracker(
        FILLED,
        intent="change_field",
        text="手机号改成139 1234 5678",
        active_loop="housing_form",
        entities=[{"entity": "field", "value": "phone"}],
        set_this_turn={"phone": "139 1234 5678", "request_confirmed": "手机号改成139 1234 5678"},
    )
    slots = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert slots["phone"] == "13912345678"
    assert slots["request_confirmed"] is None  # read back again before submitting
    assert any("已更新手机号" in t for t in texts(dispatcher))


@pytest.mark.asyncio
async def test_changing_a_field_without_a_value_asks_for_it_again(
    dispatcher: Any, domain: Any
) -> None:
    tracker = make_tracker(
        FILLED,
        intent="change_field",
        text="区县要改一下",
        active_loop="housing_form",
        entities=[{"entity": "field", "value": "district"}],
        set_this_turn={"request_confirmed": "区县要改一下"},
    )
    slots = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert slots["district"] is None and slots["request_confirmed"] is None


@pytest.mark.asyncio
async def test_a_vague_change_asks_which_field(dispatcher: Any, domain: Any) -> None:
    tracker = make_tracker(
        FILLED,
        intent="change_field",
        text="我要改",
        active_loop="housing_form",
        set_this_turn={"request_confirmed": "我要改"},
    )
    slots = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert slots["request_confirmed"] is None
    assert "要修改哪一项" in texts(dispatcher)[0] and "手机号" in texts(dispatcher)[0]


@pytest.mark.asyncio
async def test_declining_consent_ends_the_form(dispatcher: Any, domain: Any) -> None:
    form = ValidateHousingForm()
    tracker = make_tracker({"privacy_consent": False}, intent="deny", active_loop="housing_form")
    required = await form.required_slots(
        list(domain["forms"]["housing_form"]["required_slots"]), dispatcher, tracker, domain
    )
    assert required == []


@pytest.mark.parametrize(
    ("slot", "value", "reason_word"),
    [
        ("phone", "1381234567", "手机"),
        ("id_number", "110105194912310021", "校验"),
        ("district", "成都武侯区", "区"),
        ("household_size", "二十个人", "人"),
    ],
)
@pytest.mark.asyncio
async def test_invalid_values_are_refused_with_a_reason(
    slot: str, value: str, reason_word: str, dispatcher: Any, domain: Any
) -> None:
    slots = {k: v for k, v in FILLED.items() if k != slot}
    tracker = make_tracker(
        slots, text=value, active_loop="housing_form", set_this_turn={slot: value}
    )
    result = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert result[slot] is None
    assert result["validation_failures"] == 1.0
    assert any(reason_word in t for t in texts(dispatcher)), texts(dispatcher)


@pytest.mark.asyncio
async def test_the_third_failure_offers_a_human(dispatcher: Any, domain: Any) -> None:
    slots = {k: v for k, v in FILLED.items() if k != "phone"} | {"validation_failures": 2.0}
    tracker = make_tracker(
        slots, text="12345", active_loop="housing_form", set_this_turn={"phone": "12345"}
    )
    result = await validate(ValidateHousingForm(), tracker, dispatcher, domain)
    assert "utter_too_many_failures" in texts(dispatcher)
    assert result["validation_failures"] == 0.0


@pytest.mark.asyncio
async def test_values_from_the_first_message_are_kept(dispatcher: Any, domain: Any) -> None:
    # 我想给我女儿办小学入学，我们住渝北
    tracker = make_tracker(
        {},
        intent="request_schooling",
        text="我想给我女儿办小学入学，我们住渝北",
        active_loop="schooling_form",
        set_this_turn={"school_stage": "primary", "target_district": "渝北区"},
    )
    slots = await validate(ValidateSchoolingForm(), tracker, dispatcher, domain)
    assert slots["school_stage"] == "primary" and slots["target_district"] == "渝北区"


@pytest.mark.asyncio
async def test_a_grade_said_with_its_stage_fills_both(dispatcher: Any, domain: Any) -> None:
    tracker = make_tracker(
        {"privacy_consent": True, "child_name": "王小明"},
        text="初二",
        active_loop="schooling_form",
        set_this_turn={"school_stage": "初二"},
    )
    slots = await validate(ValidateSchoolingForm(), tracker, dispatcher, domain)
    assert slots["school_stage"] == "junior" and slots["grade"] == 2.0


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("text", "service"),
    [
        ("我想申请办理人才落户手续", "settle"),
        ("帮我把人事档案转过来", "file_transfer"),
        ("落户和档案转存都帮我办了", "both"),
        ("请人才管家帮我办个事", None),  # names no errand: the form asks
    ],
)
async def test_the_wish_itself_names_the_settlement_errand(
    dispatcher: Any, domain: Any, text: str, service: str | None
) -> None:
    tracker = make_tracker(
        {}, intent="request_settlement", text=text, active_loop="settlement_form"
    )
    slots = await validate(ValidateSettlementForm(), tracker, dispatcher, domain)
    assert slots.get("settlement_service") == service


@pytest.mark.asyncio
async def test_the_errand_is_not_read_again_from_a_later_answer(
    dispatcher: Any, domain: Any
) -> None:
    """After the wish, the question reads the answer (domain.yml's from_text), not this."""
    tracker = make_tracker(
        {"privacy_consent": True, "consent_notice_version": "v1"},
        intent="inform",
        text="四川成都，以前落户在那边",
        active_loop="settlement_form",
    )
    slots = await validate(ValidateSettlementForm(), tracker, dispatcher, domain)
    assert "settlement_service" not in slots
