"""The shared form behaviour: consent, validation with reasons, read-back and changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import FollowupAction

from actions.forms import FINISH_ACTION
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


RULES = Path(__file__).resolve().parents[2] / "data" / "rules"
FINISH = FollowupAction(FINISH_ACTION)


async def validate(form: Any, tracker: Any, dispatcher: Any, domain: Any) -> dict[str, Any]:
    events = await form.run(dispatcher, tracker, domain)
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def followups(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == "followup"]


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


def confirming(slots: dict[str, Any], intent: str = "affirm", text: str = "确认提交") -> Any:
    return make_tracker(
        slots,
        intent=intent,
        text=text,
        active_loop="housing_form",
        set_this_turn={"request_confirmed": text},
    )


@pytest.mark.asyncio
async def test_a_confirmed_read_back_names_the_submission_as_what_follows(
    dispatcher: Any, domain: Any
) -> None:
    """The form ends here, so its finishing rule's action follows without a prediction."""
    events = await ValidateHousingForm().run(dispatcher, confirming(FILLED), domain)
    assert followups(events) == [FINISH]
    assert events[-1] == FINISH  # after the values it follows


@pytest.mark.asyncio
async def test_a_form_left_unfinished_names_nothing(dispatcher: Any, domain: Any) -> None:
    """A change read back again, or a slot still empty: Rasa's form asks the next question."""
    changed = confirming(FILLED, intent="change_field", text="我要改")
    assert followups(await ValidateHousingForm().run(dispatcher, changed, domain)) == []
    without_phone = {k: v for k, v in FILLED.items() if k != "phone"}
    unfinished = confirming(without_phone)
    assert followups(await ValidateHousingForm().run(dispatcher, unfinished, domain)) == []
    # every slot was filled and confirmed, but this turn's new phone is refused: the form
    # asks for it again, so the verdict must come from the validated values, not the typed ones
    rejected = make_tracker(
        {**FILLED, "request_confirmed": True},
        text="1381234567",
        active_loop="housing_form",
        set_this_turn={"phone": "1381234567"},
    )
    assert followups(await ValidateHousingForm().run(dispatcher, rejected, domain)) == []


@pytest.mark.asyncio
async def test_refused_consent_ends_the_form_and_names_what_follows(
    dispatcher: Any, domain: Any
) -> None:
    """The finishing rule runs the same action for a refusal; it says the form was declined."""
    tracker = make_tracker(
        {}, intent="deny", active_loop="housing_form", set_this_turn={"privacy_consent": False}
    )
    events = await ValidateHousingForm().run(dispatcher, tracker, domain)
    assert {"event": "slot", "name": "requested_slot", "value": None} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]
    assert followups(events) == [FINISH]


def test_every_request_form_ends_in_the_action_its_validation_names(domain: Any) -> None:
    """The validation's follow-up stands for the finishing rule, so the two must agree."""
    finishing: dict[str, set[str]] = {}
    for path in sorted(RULES.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules", []):
            steps = rule.get("steps", [])
            for i, step in enumerate(steps[1:], start=1):
                form = steps[i - 1].get("action")
                if step == {"active_loop": None} and form in domain["forms"]:
                    # the form's own run ended it (not a deactivation at the user's word)
                    after = [s["action"] for s in steps[i:] if "action" in s]
                    finishing.setdefault(form, set()).update(after[:1])
    request_forms = {
        form for form, spec in domain["forms"].items()
        if "request_confirmed" in spec["required_slots"]
    }  # fmt: skip
    assert request_forms == {"housing_form", "schooling_form", "hospital_form", "settlement_form"}
    assert {form: finishing.get(form) for form in request_forms} == {
        form: {FINISH_ACTION} for form in request_forms
    }


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
