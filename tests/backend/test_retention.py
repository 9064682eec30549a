"""The purge: past the notice's retention period no personal data is left, the audit trail is."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.backend.retention import purge
from tests.backend import payloads
from tests.backend.conftest import Clock

RAW = [payloads.PHONE, payloads.ID_NUMBER, "张三", "13900001111"]


def dump(engine: Engine) -> str:
    """Every value of every table, as one string to search."""
    tables = ["service_request", "request_event", "consent_record", "handoff", "handoff_message"]
    parts = []
    with engine.connect() as connection:
        for table in tables:
            for row in connection.execute(text(f"SELECT * FROM {table}")):  # noqa: S608
                parts.append(json.dumps([str(value) for value in row], ensure_ascii=False))
    return "\n".join(parts)


@pytest.fixture
def closed_request(client: TestClient, housing_request: dict[str, Any], clock: Clock) -> str:
    """A housing request its owner cancelled, with a phone number in the reason."""
    number = housing_request["number"]
    cancelled = client.post(
        f"/api/v1/requests/{number}/cancel",
        json={"phone_last4": "5678", "reason": "不需要了，电话13900001111，张三"},
    )
    assert cancelled.status_code == 200
    return number


def test_nothing_is_purged_inside_the_retention_period(
    closed_request: str, engine: Engine, clock: Clock
) -> None:
    with Session(engine) as session:
        report = purge(session, now=clock.now + timedelta(days=364), conversation_days=30)
    assert report.requests == 0
    assert payloads.PHONE in dump(engine)


def test_after_the_period_no_personal_data_is_left_but_the_audit_trail_is(
    closed_request: str, engine: Engine, clock: Clock, client: TestClient, sign_in_agent: Any
) -> None:
    later = clock.now + timedelta(days=3 * 365 + 1)  # the housing notice keeps 3 years
    with Session(engine) as session:
        report = purge(session, now=later, conversation_days=30)
    assert report.requests == 1 and report.audit_notes >= 1
    everything = dump(engine)
    for raw in RAW:
        assert raw not in everything
    clock.now = later
    auditor = sign_in_agent("auditor")  # three years on, with a session of that day
    events = client.get(
        f"/api/v1/requests/{closed_request}/events", headers=auditor.headers()
    ).json()
    assert [e["action"] for e in events] == ["created", "cancelled", "anonymised"]
    assert events[-1]["actor"] == "system" and "保存期限" in events[-1]["note"]
    with engine.connect() as connection:
        kept = connection.execute(
            text("SELECT number, kind, status, anonymised_at FROM service_request")
        ).one()
        audit = connection.execute(
            text("SELECT username, action FROM agent_audit WHERE action = 'purge'")
        ).all()
    assert kept[0] == closed_request and kept[1:3] == ("housing", "cancelled") and kept[3]
    assert [tuple(row) for row in audit] == [("system", "purge")]
    # a second run finds nothing more to do
    with Session(engine) as session:
        assert purge(session, now=later, conversation_days=30).requests == 0


def test_open_requests_are_never_purged(
    housing_request: dict[str, Any], engine: Engine, clock: Clock
) -> None:
    with Session(engine) as session:
        report = purge(session, now=clock.now + timedelta(days=10 * 365), conversation_days=30)
    assert report.requests == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE request_event SET note = 'rewritten'",
        "UPDATE request_event SET note = NULL, actor = 'someone'",
        "DELETE FROM request_event",
    ],
    ids=["rewrite-note", "note-and-actor", "delete"],
)
def test_the_audit_trail_allows_only_emptying_notes(
    engine: Engine, closed_request: str, statement: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement))


def test_the_tracker_store_keeps_no_number_after_the_form(
    tmp_path: Path, engine: Engine, clock: Clock
) -> None:
    tracker = tmp_path / "tracker.db"
    now = clock.now.timestamp()
    with sqlite3.connect(tracker) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
            "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
        )
        rows = [
            ("done", "user", now, json.dumps({"event": "user", "text": "手机13812345678"})),
            ("done", "slot", now, json.dumps({"event": "slot", "value": payloads.ID_NUMBER})),
            ("done", "active_loop", now, json.dumps({"event": "active_loop", "name": None})),
            ("filling", "active_loop", now, json.dumps({"event": "active_loop", "name": "f"})),
            ("filling", "user", now, json.dumps({"event": "user", "text": "13812345678"})),
            ("idle", "user", now - 40 * 86400, json.dumps({"event": "user", "text": "张三"})),
        ]
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)", rows
        )
    with Session(engine) as session:
        report = purge(
            session, now=clock.now, conversation_days=30, tracker_store_url=f"sqlite:///{tracker}"
        )
    assert report.tracker_conversations == 1 and report.tracker_events_masked == 2
    with sqlite3.connect(tracker) as db:
        stored = dict(
            db.execute("SELECT sender_id, group_concat(data, ' ') FROM events GROUP BY sender_id")
        )
    assert "idle" not in stored
    assert payloads.PHONE not in stored["done"] and payloads.ID_NUMBER not in stored["done"]
    assert "138****5678" in stored["done"]
    assert payloads.PHONE in stored["filling"]  # the open form still needs it


def test_the_purge_leaves_the_details_of_a_submission_waiting_for_retry(
    tmp_path: Path, engine: Engine, clock: Clock
) -> None:
    tracker = tmp_path / "tracker.db"
    now = clock.now.timestamp()

    def event(sender: str, data: dict[str, Any]) -> tuple[str, str, float, str]:
        return (sender, data["event"], now, json.dumps(data))

    with sqlite3.connect(tracker) as db:
        db.execute(
            "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
            "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"
        )
        rows = []
        for sender in ("pending", "retried"):
            rows += [
                event(sender, {"event": "active_loop", "name": "housing_form"}),
                event(sender, {"event": "user", "text": payloads.PHONE}),
                event(sender, {"event": "slot", "name": "phone", "value": payloads.PHONE}),
                # the backend was down: the form ended, the details wait for 「重试」
                event(sender, {"event": "active_loop", "name": None}),
                event(sender, {"event": "slot", "name": "submission_pending", "value": True}),
            ]
        rows.append(event("retried", {"event": "slot", "name": "phone", "value": None}))
        db.executemany(
            "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)", rows
        )
    with Session(engine) as session:
        purge(
            session, now=clock.now, conversation_days=30, tracker_store_url=f"sqlite:///{tracker}"
        )
    with sqlite3.connect(tracker) as db:
        stored = dict(
            db.execute("SELECT sender_id, group_concat(data, ' ') FROM events GROUP BY sender_id")
        )
    assert stored["pending"].count(payloads.PHONE) == 2  # 重试 resends them
    assert payloads.PHONE not in stored["retried"] and "138****5678" in stored["retried"]
