"""Submitting, retrying and abandoning requests, against the real backend."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, settings
from actions.backend_client import get_client
from actions.submission import (
    LISTEN,
    ActionAbandonRequest,
    ActionRetrySubmission,
    ActionSubmitRequest,
)
from bot.common.catalogue import HOUSING
from tests.actions.conftest import make_tracker, texts
from tests.faults.proxy import fault_proxy
from tests.support import free_port

VALID_ID = "11010519491231002X"
DATA = Path(__file__).resolve().parents[2] / "data"
SUBMITTING = {ActionSubmitRequest().name(), ActionRetrySubmission().name()}


def point_actions_at(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("BACKEND_URL", url)
    settings.get_settings.cache_clear()
    backend_client.get_client.cache_clear()


def notice_version(kind: str) -> str:
    return get_client().get_consent_notice(kind)["version"]


def housing_slots(**overrides: Any) -> dict[str, Any]:
    slots = {
        "request_kind": "housing",
        "privacy_consent": True,
        "consent_notice_version": notice_version("housing"),
        "consent_agreed_at": "2026-11-27T10:00:00+08:00",
        "request_confirmed": True,
        "housing_type": "talent_apartment",
        "district": "渝北区",
        "household_size": 3.0,
        "move_in_month": "2027-03",
        "applicant_name": "张伟",
        "phone": "13812345678",
        "id_number": VALID_ID,
    }
    return {**slots, **overrides}


def slot_events(events: list[Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def followups(events: list[Any]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


def count_requests(db_path: Any) -> int:
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        assert "service_request" in tables
        return int(conn.execute("select count(*) from service_request").fetchone()[0])


@pytest.mark.asyncio
async def test_submit_creates_the_request_and_clears_the_form(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    before = count_requests(backend["db_path"])
    events = await ActionSubmitRequest().run(dispatcher, make_tracker(housing_slots()), domain)
    slots = slot_events(events)
    assert slots["last_request_number"].startswith("HS")
    assert all(slots[s] is None for s in ("phone", "id_number", "district", "privacy_consent"))
    reply = texts(dispatcher)[0]
    assert slots["last_request_number"] in reply
    assert "138****5678" in reply and "13812345678" not in reply
    assert count_requests(backend["db_path"]) == before + 1


@pytest.mark.asyncio
async def test_backend_down_keeps_details_and_retry_does_not_duplicate(
    client_settings: None,
    backend: dict[str, Any],
    dispatcher: Any,
    domain: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slots = housing_slots(phone="13900001111")
    point_actions_at(monkeypatch, f"http://127.0.0.1:{free_port()}")
    down_events = await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain)
    kept = slot_events(down_events)
    assert kept["submission_pending"] is True and kept["idempotency_key"]
    assert "phone" not in kept, "the collected details must stay in the conversation"
    assert texts(dispatcher) == ["utter_backend_unavailable"]

    point_actions_at(monkeypatch, backend["url"])
    before = count_requests(backend["db_path"])
    retry_slots = {**slots, **kept}
    first = slot_events(
        await ActionRetrySubmission().run(dispatcher, make_tracker(retry_slots), domain)
    )
    # the answer to the retry was lost on the way back: the user retries again
    second = slot_events(
        await ActionRetrySubmission().run(dispatcher, make_tracker(retry_slots), domain)
    )
    assert first["last_request_number"] == second["last_request_number"]
    assert count_requests(backend["db_path"]) == before + 1


@pytest.mark.asyncio
async def test_a_slow_backend_holds_up_only_the_action_waiting_for_it(
    client_settings: None,
    backend: dict[str, Any],
    dispatcher: Any,
    domain: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the action server runs every action on one event loop: a backend call that
    # blocked it would stall every other user and its /health (HAProxy then
    # takes the server out), so the call waits in a worker thread
    tracker = make_tracker(housing_slots(phone="13900004444"))
    other_slots = housing_slots(phone="13900005555")
    before = count_requests(backend["db_path"])
    with fault_proxy(backend["port"]) as proxy:
        point_actions_at(monkeypatch, f"http://127.0.0.1:{proxy.port}")
        proxy.set_mode("hold_responses")
        submitting = asyncio.create_task(ActionSubmitRequest().run(dispatcher, tracker, domain))
        while proxy.held == 0:  # this loop runs on while the backend's answer is held
            await asyncio.sleep(0.01)
        # another user's action runs to its end meanwhile, on the same loop
        other = CollectingDispatcher()
        abandoned = await ActionAbandonRequest().run(other, make_tracker(other_slots), domain)
        assert SlotSet("phone", None) in abandoned
        assert texts(other) == ["utter_request_abandoned"]
        assert not submitting.done()
        proxy.set_mode("pass")
        events = await submitting
    assert slot_events(events)["last_request_number"] in texts(dispatcher)[0]
    assert count_requests(backend["db_path"]) == before + 1


@pytest.mark.asyncio
async def test_declined_consent_is_never_submitted(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    before = count_requests(backend["db_path"])
    events = await ActionSubmitRequest().run(
        dispatcher, make_tracker(housing_slots(privacy_consent=False)), domain
    )
    assert texts(dispatcher) == ["utter_consent_declined"]
    assert slot_events(events)["phone"] is None
    assert count_requests(backend["db_path"]) == before


@pytest.mark.asyncio
async def test_a_refused_field_is_asked_again(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    # the NLU can be bypassed ("/inform{...}"): the backend is the last check
    events = await ActionSubmitRequest().run(
        dispatcher, make_tracker(housing_slots(district="火星区")), domain
    )
    slots = slot_events(events)
    assert slots["district"] is None and slots["request_confirmed"] is None
    assert (
        any(isinstance(e, dict) and e.get("event") == "followup" for e in events)
        or FollowupAction(HOUSING.form) in events
    )
    assert "提交未成功" in texts(dispatcher)[0]


@pytest.mark.asyncio
async def test_schooling_and_hospital_requests_are_created(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    hospital = get_client().list_hospitals()[0]
    common = {
        "privacy_consent": True,
        "consent_agreed_at": "2026-11-27T10:00:00+08:00",
        "request_confirmed": True,
        "applicant_name": "李娜",
        "phone": "13698765432",
    }
    schooling = {
        **common,
        "request_kind": "schooling",
        "consent_notice_version": notice_version("schooling"),
        "child_name": "李小明",
        "school_stage": "primary",
        "grade": 3.0,
        "current_school": "成都市实验小学",
        "target_district": "渝北区",
    }
    from datetime import date, timedelta

    visit = (date.today() + timedelta(days=7)).isoformat()
    hospital_slots = {
        **common,
        "request_kind": "hospital",
        "consent_notice_version": notice_version("hospital"),
        "hospital": hospital["name"],
        "department": hospital["departments"][0],
        "visit_date": visit,
        "half_day": "am",
        "reason": "复查",
        "id_number": VALID_ID,
    }
    numbers = []
    for slots in (schooling, hospital_slots):
        events = await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain)
        numbers.append(slot_events(events).get("last_request_number"))
    assert numbers[0].startswith("SC") and numbers[1].startswith("HP"), texts(dispatcher)


@pytest.mark.asyncio
async def test_abandon_clears_everything(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    events = await ActionAbandonRequest().run(dispatcher, make_tracker(housing_slots()), domain)
    assert texts(dispatcher) == ["utter_request_abandoned"]
    assert set(slot_events(events)) >= set(HOUSING.slots)
    assert SlotSet("phone", None) in events


@pytest.mark.asyncio
async def test_retry_without_a_pending_submission(dispatcher: Any, domain: Any) -> None:
    events = await ActionRetrySubmission().run(dispatcher, make_tracker({}), domain)
    assert events == [] and texts(dispatcher) == ["utter_nothing_to_retry"]


@pytest.mark.asyncio
async def test_every_outcome_of_a_submission_names_listening_next(
    client_settings: None, backend: dict[str, Any], dispatcher: Any, domain: Any
) -> None:
    """Created, consent refused, not confirmed: Rasa waits for the user without a prediction."""
    created = await ActionSubmitRequest().run(dispatcher, make_tracker(housing_slots()), domain)
    assert slot_events(created)["last_request_number"].startswith("HS")
    assert followups(created) == [LISTEN] and created[-1] == FollowupAction(LISTEN)
    for slots in (housing_slots(privacy_consent=False), housing_slots(request_confirmed=False)):
        events = await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain)
        assert slot_events(events)["phone"] is None and followups(events) == [LISTEN]


@pytest.mark.asyncio
async def test_a_submission_that_could_not_get_through_waits_for_a_retry(
    client_settings: None, dispatcher: Any, domain: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    slots = housing_slots(idempotency_key="web-down:key")
    point_actions_at(monkeypatch, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("SUBMIT_RETRY_SECONDS", "0.5")
    events = await ActionSubmitRequest().run(dispatcher, make_tracker(slots), domain)
    assert slot_events(events)["submission_pending"] is True
    assert followups(events) == [LISTEN]
    retried = await ActionRetrySubmission().run(
        dispatcher, make_tracker({**slots, "submission_pending": True}, text="重试"), domain
    )
    assert slot_events(retried)["submission_pending"] is True
    assert followups(retried) == [LISTEN]


@pytest.mark.asyncio
async def test_a_reopened_form_is_the_only_follow_up(
    client_settings: None, dispatcher: Any, domain: Any
) -> None:
    events = await ActionSubmitRequest().run(
        dispatcher, make_tracker(housing_slots(district="火星区")), domain
    )
    assert slot_events(events)["district"] is None
    assert followups(events) == [HOUSING.form]


def test_every_rule_and_story_waits_for_the_user_after_a_submission() -> None:
    """The follow-up stands for what the training data predicts after a submission: listening."""
    seen = 0
    for path in sorted(DATA.glob("*/*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for flow in [*document.get("rules", []), *document.get("stories", [])]:
            steps = [
                s for s in flow.get("steps", []) if not {"slot_was_set", "active_loop"} & set(s)
            ]
            for i, step in enumerate(steps):
                if step.get("action") not in SUBMITTING:
                    continue
                seen += 1
                after = steps[i + 1] if i + 1 < len(steps) else None
                where = f"{path.name}: {flow.get('rule') or flow.get('story')}"
                if after is None:
                    # a rule or story that ends waits for the user, unless told not to
                    assert flow.get("wait_for_user_input", True), where
                else:  # the user speaks next
                    assert "action" not in after and "checkpoint" not in after, where
    assert seen >= 9  # the four forms' finishing rules, their stories, the retry rule
