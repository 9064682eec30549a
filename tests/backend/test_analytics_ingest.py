"""The consumer's storage turns a recorded Rasa event stream into the supervisors' figures.

Runs on SQLite and on a fresh PostgreSQL database; duplicates and a
redelivered batch must not change a single figure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.orm import Session

from bot.backend.analytics import figures as analytics
from bot.backend.analytics.consumer import ConsumeReport, parse_bodies
from bot.backend.analytics.events import BadEventError, decode, parse
from bot.backend.analytics.ingest import Ingester
from bot.backend.analytics.models import AnalyticsConversation, AnalyticsEvent, AnalyticsQuestion
from tests.backend.analytics_stream import (
    EXPECTED,
    EXPECTED_QUESTIONS,
    FIRST_DAY,
    RANGE,
    STREAM_FILE,
    TZ,
    stream,
    with_duplicates_and_redelivery,
)

KEY = b"test-analytics-sender-key"


@pytest.fixture
def ingester() -> Ingester:
    """The consumer's storage with a fixed pseudonym key."""
    return Ingester(sender_key=KEY, tz=TZ)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session on the migrated test database."""
    with Session(engine) as own:
        yield own


def store_batches(db: Session, ingester: Ingester, batches: list[list[dict[str, Any]]]) -> int:
    """Store batch by batch, one transaction each, as the consumer does; return new rows."""
    stored = 0
    for batch in batches:
        stored += ingester.store(db, [parse(decode(json.dumps(e).encode())) for e in batch]).stored
    return stored


def summary(figures: analytics.Figures) -> dict[str, int]:
    """The conversation figures the stream decides."""
    return {key: getattr(figures, key) for key in EXPECTED}


def questions(figures: analytics.Figures) -> list[tuple[str, int, int, int]]:
    """The policy staff's list as comparable tuples."""
    return [(q.text, q.count, q.unanswered, q.low_confidence) for q in figures.questions]


def test_stream_gives_the_expected_figures(db: Session, ingester: Ingester) -> None:
    store_batches(db, ingester, [stream()])
    figures = analytics.compute(db, RANGE)
    assert summary(figures) == EXPECTED
    assert figures.containment == pytest.approx(3 / 5)
    assert figures.fallback_rate == pytest.approx(2 / 10)
    assert questions(figures) == EXPECTED_QUESTIONS


def test_duplicates_and_a_redelivered_batch_change_nothing(db: Session, ingester: Ingester) -> None:
    once = store_batches(db, ingester, [stream()])
    again = store_batches(db, ingester, with_duplicates_and_redelivery(stream()))
    assert again == 0
    assert db.scalar(select(func.count()).select_from(AnalyticsEvent)) == once
    assert db.scalar(select(func.count()).select_from(AnalyticsConversation)) == 5
    figures = analytics.compute(db, RANGE)
    assert summary(figures) == EXPECTED
    assert questions(figures) == EXPECTED_QUESTIONS


def test_redelivery_first_gives_the_same_figures(db: Session, ingester: Ingester) -> None:
    store_batches(db, ingester, with_duplicates_and_redelivery(stream()))
    figures = analytics.compute(db, RANGE)
    assert summary(figures) == EXPECTED
    assert questions(figures) == EXPECTED_QUESTIONS


@pytest.mark.parametrize(("marked", "conversations"), [(True, 5), (False, 6)])
def test_a_long_conversation_carried_on_in_a_new_session_stays_one(
    db: Session, ingester: Ingester, marked: bool, conversations: int
) -> None:
    # bot/serving/long_sessions.py starts a new session in a long conversation and marks it
    later = 1795741300.0
    metadata = {"continued": True} if marked else {}
    carried_on = [
        {"sender_id": "web-a7f3", "event": "action", "timestamp": later,
         "name": "action_session_start", "policy": None, "confidence": None},
        {"sender_id": "web-a7f3", "event": "session_started", "timestamp": later,
         "metadata": metadata},
        {"sender_id": "web-a7f3", "event": "user", "timestamp": later + 5, "text": "谢谢",
         "parse_data": {"intent": {"name": "thank", "confidence": 0.99}},
         "input_channel": "socketio", "message_id": "m-later", "metadata": {}},
    ]  # fmt: skip
    store_batches(db, ingester, [stream() + carried_on])
    figures = analytics.compute(db, RANGE)
    assert figures.conversations == conversations  # without the mark, one counted twice
    assert figures.user_messages == EXPECTED["user_messages"] + 1
    assert db.scalar(select(func.count()).select_from(AnalyticsConversation)) == conversations


def test_the_range_is_local_days(db: Session, ingester: Ingester) -> None:
    store_batches(db, ingester, [stream()])
    first_day = analytics.compute(db, FIRST_DAY)
    # the greeting of 28 November 09:30 in Chongqing is 01:30 UTC: not the 27th
    assert first_day.conversations == 4
    assert first_day.user_messages == 9


def test_no_sender_id_and_no_raw_number_is_stored(db: Session, ingester: Ingester) -> None:
    store_batches(db, ingester, [stream()])
    stored = " ".join(
        str(value)
        for model in (AnalyticsConversation, AnalyticsEvent, AnalyticsQuestion)
        for row in db.scalars(select(model))
        for value in vars(row).values()
    )
    for secret in ("13812345678", "oWx_b81c", "web-a7f3", "rest-d44e"):
        assert secret not in stored
    # only questions worth a look keep text: the housing wish and the greeting do not
    texts = set(db.scalars(select(AnalyticsQuestion.text)))
    assert "我想申请人才公寓" not in texts
    assert "你好" not in texts


def test_an_empty_range_has_no_rates(db: Session) -> None:
    figures = analytics.compute(db, RANGE)
    assert figures.conversations == 0
    assert figures.containment is None
    assert figures.fallback_rate is None
    assert figures.questions == []


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"event": "user", "timestamp": 1}', "半个消息".encode()[:-1],
     b'{"sender_id": "x", "event": "user", "timestamp": "soon"}'],
)  # fmt: skip
def test_a_message_that_is_no_event_is_counted_not_stored(body: bytes) -> None:
    with pytest.raises(BadEventError):
        decode(body)
    report = ConsumeReport()
    assert parse_bodies([body], report) == []
    assert report.malformed == 1


def test_a_turns_array_is_its_events_in_order_and_a_bad_one_is_left_out_alone() -> None:
    events = stream()[:6]
    bad = {"event": "user", "timestamp": 1}  # no sender
    report = ConsumeReport()
    parsed = parse_bodies(
        [json.dumps(events[:2]).encode(), json.dumps([events[2], bad, events[3]]).encode(),
         json.dumps(events[4]).encode(), b"[]", json.dumps(events[5:]).encode()],
        report,
    )  # fmt: skip
    assert parsed == [parse(decode(dict(e))) for e in events]
    assert report.malformed == 2  # the array with a bad event, the empty one


def test_request_and_handoff_figures(db: Session) -> None:
    """Requests by kind, channel, district and day; the funnel; handoff waiting times."""
    from datetime import datetime, timedelta, timezone

    from bot.backend.handoffs.models import Handoff
    from bot.backend.requests.models import RequestEvent, ServiceRequest

    base = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)  # 09:00 in Chongqing

    def request(n: int, kind: str, channel: str, details: dict[str, Any], day: int) -> int:
        at = base + timedelta(days=day, minutes=n)
        row = ServiceRequest(
            number=f"HS2026112{7 + day}-{n:04d}", kind=kind, status="submitted",
            applicant_name="张三", applicant_phone="13800000000", channel=channel,
            sender_id=f"s{n}", details=details, idempotency_key=f"k{n}",
            request_hash="h", created_at=at, updated_at=at,
        )  # fmt: skip
        db.add(row)
        db.flush()
        db.add(RequestEvent(request_id=row.id, actor="applicant", action="created",
                            to_status="submitted", created_at=at))  # fmt: skip
        return row.id

    def move(request_id: int, status: str, after: timedelta) -> None:
        created = db.get(ServiceRequest, request_id)
        assert created is not None
        db.add(RequestEvent(request_id=request_id, actor="agent:li", action="status_changed",
                            to_status=status, created_at=created.created_at + after))  # fmt: skip

    a = request(1, "housing", "socketio", {"district": "渝北区"}, 0)
    b = request(2, "housing", "wechat", {"district": "渝北区"}, 0)
    c = request(3, "schooling", "wechat", {"district": "江北区"}, 1)
    request(4, "hospital", "hotline", {"hospital_code": "H1"}, 1)
    move(a, "accepted", timedelta(hours=1))
    move(a, "in_progress", timedelta(hours=2))
    move(a, "completed", timedelta(hours=3))
    move(b, "accepted", timedelta(hours=5))
    move(c, "accepted", timedelta(hours=2))
    for n, wait in enumerate((60, 180, None)):
        db.add(Handoff(
            sender_id=f"h{n}", channel="socketio", team="housing", topic="housing", summary="",
            details={}, status="closed" if wait is None else "active", tracker_offset=0,
            created_at=base, claimed_at=None if wait is None else base + timedelta(seconds=wait),
        ))  # fmt: skip
    db.commit()
    figures = analytics.compute(db, RANGE)
    assert figures.requests == 4
    assert dict(figures.by_kind) == {
        "人才住房申请": 2,
        "子女入学服务申请": 1,
        "定点医院就医绿色通道预约": 1,
    }
    assert dict(figures.by_channel) == {"网页聊天": 1, "微信": 2, "热线": 1}
    assert dict(figures.by_district) == {"渝北区": 2, "江北区": 1, "未填写": 1}
    assert figures.by_day == [("2026-11-27", 2), ("2026-11-28", 2)]
    assert figures.funnel == [("submitted", 4), ("accepted", 3), ("in_progress", 1),
                              ("completed", 1)]  # fmt: skip
    assert figures.acceptance_median_seconds == 2 * 3600
    assert figures.acceptance_p90_seconds == 5 * 3600
    assert (figures.handoffs, figures.handoffs_claimed, figures.handoffs_unclaimed) == (3, 2, 1)
    assert figures.wait_median_seconds == 60
    assert figures.wait_p90_seconds == 180


def test_a_handoff_after_the_range_of_its_messages_keeps_containment_in_bounds(
    db: Session, ingester: Ingester
) -> None:
    events = stream()
    for event in events:
        if event["event"] == "pause":  # the WeChat user's handoff, moved to the next day
            event["timestamp"] += 86400
    store_batches(db, ingester, [events])
    second_day = analytics.compute(db, analytics.DayRange(RANGE.end, RANGE.end, TZ))
    assert (second_day.conversations, second_day.escalated) == (1, 0)
    assert second_day.containment == 1


def test_the_purge_empties_the_kept_latest_messages_of_idle_conversations(
    db: Session, ingester: Ingester
) -> None:
    from datetime import datetime, timezone

    from bot.backend.retention import purge

    store_batches(db, ingester, [stream()])
    kept = select(AnalyticsConversation.last_text).where(
        AnalyticsConversation.last_text.is_not(None)
    )
    # the latest message of each conversation whose last one was typed (not a button)
    assert sorted(db.scalars(kept)) == sorted(["我想申请人才公寓", "明天天气怎么样", "你好"])
    # 30 days after the 27th: the 28th's conversation is not idle long enough yet
    report = purge(db, now=datetime(2026, 12, 27, 12, tzinfo=timezone.utc), conversation_days=30)
    assert report.analytics_messages == 2
    assert db.scalars(kept).all() == ["你好"]
    figures = analytics.compute(db, RANGE)
    assert questions(figures) == EXPECTED_QUESTIONS  # the list for policy staff stays


RECORDED_FILE = STREAM_FILE.parent / "rasa_recorded_stream.json"


def test_a_stream_recorded_from_the_real_assistant(db: Session, ingester: Ingester) -> None:
    """Five REST conversations with the trained model (data/record_stream.py), 29 November."""
    events = json.loads(RECORDED_FILE.read_text(encoding="utf-8"))
    store_batches(db, ingester, [events])
    store_batches(db, ingester, with_duplicates_and_redelivery(events))
    day = analytics.DayRange(date(2026, 11, 29), date(2026, 11, 29), TZ)
    figures = analytics.compute(db, day)
    assert (figures.conversations, figures.escalated) == (5, 1)  # the callback over REST
    assert (figures.user_messages, figures.fallbacks) == (14, 0)
    assert questions(figures) == [
        ("人才公寓能养猫吗", 1, 1, 0),
        ("人才公寓可以养宠物吗", 1, 1, 0),
        ("我的手机号138****5678能查申请吗", 1, 0, 1),
    ]
    assert "13812345678" in RECORDED_FILE.read_text(encoding="utf-8")  # raw in the stream
    assert "13812345678" not in str([vars(q) for q in db.scalars(select(AnalyticsQuestion))])


def _conversation_events(sender: str, start: float, messages: int) -> list[dict[str, Any]]:
    """A session of ``messages`` user messages, the last one answered "not sure"."""
    events: list[dict[str, Any]] = [
        {"sender_id": sender, "event": "session_started", "timestamp": start, "metadata": {}},
    ]
    for number in range(messages):
        at = start + 10 * (number + 1)
        events.append(
            {"sender_id": sender, "event": "user", "timestamp": at, "text": f"第{number}个问题",
             "parse_data": {"intent": {"name": "ask_policy", "confidence": 0.4}},
             "input_channel": "rest", "message_id": f"{sender}-{number}", "metadata": {}}
        )  # fmt: skip
    events.append(
        {"sender_id": sender, "event": "bot", "timestamp": start + 10 * messages + 1,
         "text": "这个我还不确定", "metadata": {"utter_action": "utter_not_sure"}}
    )  # fmt: skip
    return events


def _statements_for(db: Session, ingester: Ingester, events: list[dict[str, Any]]) -> int:
    counted: list[str] = []

    def count(*_args: Any) -> None:
        counted.append("statement")

    bind = db.get_bind()
    sqlalchemy_event.listen(bind, "before_cursor_execute", count)
    try:
        store_batches(db, ingester, [events])
    finally:
        sqlalchemy_event.remove(bind, "before_cursor_execute", count)
    return len(counted)


def test_a_batch_is_stored_with_the_same_few_statements_whatever_its_size(
    db: Session, ingester: Ingester
) -> None:
    # one statement per kind of row, not two to four per event (docs/performance.md, row 34)
    start = 1795700000.0
    small = [e for n in range(2) for e in _conversation_events(f"few-{n}", start + n, 3)]
    large = [e for n in range(40) for e in _conversation_events(f"many-{n}", start + n, 3)]
    assert _statements_for(db, ingester, small) == _statements_for(db, ingester, large)
    assert db.scalar(select(func.count()).select_from(AnalyticsConversation)) == 42
    assert db.scalar(select(func.count()).select_from(AnalyticsEvent)) == 42 * 4 + 42
    reasons = db.execute(select(AnalyticsQuestion.reason, func.count()).group_by("reason")).all()
    # every conversation: two low-confidence questions and one unanswered (the last)
    assert dict(reasons) == {"low_confidence": 84, "unanswered": 42}


def test_an_event_delivered_before_its_session_start_belongs_to_that_session(
    db: Session, ingester: Ingester
) -> None:
    events = _conversation_events("web-late-start", 1795700000.0, 2)
    store_batches(db, ingester, [events[1:] + events[:1]])  # the session start comes last
    assert db.scalar(select(func.count()).select_from(AnalyticsConversation)) == 1
    stored = db.scalars(select(AnalyticsEvent.conversation_id)).all()
    assert len(stored) == 4 and len(set(stored)) == 1
