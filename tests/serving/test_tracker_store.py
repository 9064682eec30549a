"""The tracker store keeps raw phone and ID numbers only while their request is open.

Each test runs on SQLite and on a fresh PostgreSQL database (127.0.0.1:5432,
dropped afterwards; skipped with the reason where the server is missing,
except under ``CI=true``). The stored rows are read with plain SQL, as anyone
with access to the database would read them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import sqlalchemy as sa
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.common.catalogue import HOUSING
from bot.common.tracker_pii import mask_event
from bot.launcher import endpoints_with_tracker_db
from bot.serving import db_liveness, tracker_store
from bot.serving.tracker_store import MaskingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
PHONE = "13712349876"
ID_NUMBER = "11010519491231002X"
NAME = "周杰伦"
CLASS_PATH = "bot.serving.tracker_store.MaskingSQLTrackerStore"
POSTGRES = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


class Recorder(EventBroker):
    """An event broker that keeps what it is given (RabbitMQ's place in production)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)


class TurnRecorder(Recorder):
    """A broker that takes a turn's events as one message, as the production one does."""

    def __init__(self) -> None:
        super().__init__()
        self.turns: list[list[dict[str, Any]]] = []

    def publish_turn(self, events: list[dict[str, Any]]) -> None:
        self.turns.append(events)
        self.published.extend(events)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _postgres_database() -> Iterator[dict[str, Any]]:
    """Create an empty database for one test and drop it afterwards."""
    try:
        admin = psycopg2.connect(**POSTGRES, connect_timeout=3)
    except psycopg2.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must test the tracker store on PostgreSQL: {exc}")
        pytest.skip(f"PostgreSQL is not reachable on 127.0.0.1:5432 ({exc})")
    admin.autocommit = True
    name = f"test_tracker_{uuid.uuid4().hex[:10]}"  # other runs share the server
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {
            "dialect": "postgresql",
            "host": POSTGRES["host"],
            "port": POSTGRES["port"],
            "username": POSTGRES["user"],
            "db": name,
        }
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def options(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Give the options of an empty tracker database of each kind."""
    if request.param == "sqlite":
        yield {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
        return
    yield from _postgres_database()


@pytest.fixture
def broker() -> Recorder:
    return Recorder()


@pytest.fixture
def store(options: dict[str, Any], domain: Domain, broker: Recorder) -> Iterator[Any]:
    made = MaskingSQLTrackerStore(domain=domain, event_broker=broker, **options)
    yield made
    made.engine.dispose()


def stored(store: MaskingSQLTrackerStore, sender: str) -> str:
    """Return every stored row of a conversation as one text, read with plain SQL."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        )
        # decoded: Rasa stores JSON with \\u escapes
        return "\n".join(json.dumps(json.loads(data), ensure_ascii=False) for (data,) in rows)


def said(text: str, **entities: str) -> UserUttered:
    """Build a user message with the entities NLU would extract."""
    found = [
        {"entity": name, "value": value, "start": text.find(value), "end": len(text)}
        for name, value in entities.items()
    ]
    parse = {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": found}
    return UserUttered(text, parse["intent"], found, parse_data=parse)


async def turn(store: MaskingSQLTrackerStore, sender: str, *events: Event) -> DialogueStateTracker:
    """Continue the conversation as Rasa does: retrieve, add the turn's events, save."""
    tracker = await store.get_or_create_tracker(sender)
    for event in events:
        tracker.update(event)
    await store.save(tracker)
    return tracker


async def fill_housing_form(store: MaskingSQLTrackerStore, sender: str) -> None:
    """Answer the housing form up to the read-back, with a phone, an ID and a name."""
    await turn(store, sender, said("帮我申请人才住房"), ActiveLoop(HOUSING.form))
    await turn(store, sender, said(NAME), SlotSet("applicant_name", NAME))
    await turn(store, sender, said(f"手机 {PHONE}", phone=PHONE), SlotSet("phone", PHONE))
    await turn(store, sender, said(ID_NUMBER, id_number=ID_NUMBER), SlotSet("id_number", ID_NUMBER))


def ended(*extra: Event) -> list[Event]:
    """Return what the submit or abandon action returns: every slot of the kind cleared."""
    return [ActiveLoop(None), *(SlotSet(slot, None) for slot in HOUSING.slots), *extra]


@pytest.mark.asyncio
async def test_an_open_form_keeps_its_answers_and_a_submitted_one_keeps_none(
    store: MaskingSQLTrackerStore,
) -> None:
    sender = "submitted"
    await fill_housing_form(store, sender)
    rows = stored(store, sender)
    assert PHONE in rows and ID_NUMBER in rows  # the form and its read-back read them
    tracker = await store.retrieve(sender)
    assert tracker is not None and tracker.get_slot("id_number") == ID_NUMBER
    await turn(
        store,
        sender,
        said("确认提交"),
        *ended(BotUttered("提交成功！经办人员会通过您留的手机号 137****9876 联系您。")),
    )
    rows = stored(store, sender)
    assert PHONE not in rows and ID_NUMBER not in rows
    assert "137****9876" in rows and "1101**********002X" in rows
    assert '"value": "周**"' in rows  # the name slot; a name typed as text is not recognisable
    tracker = await store.retrieve(sender)
    assert tracker is not None and tracker.get_slot("phone") is None
    assert tracker.active_loop_name is None


@pytest.mark.asyncio
async def test_masking_old_rows_adds_none_and_the_next_turn_adds_its_own(
    store: MaskingSQLTrackerStore,
) -> None:
    sender = "counted"
    await fill_housing_form(store, sender)
    await turn(store, sender, said("不办了"), *ended())
    before = await store.retrieve(sender)
    assert before is not None
    await turn(store, sender, said("你好"))
    after = await store.retrieve(sender)
    assert after is not None and len(after.events) == len(before.events) + 1
    assert [e.as_dict()["event"] for e in after.events][: len(before.events)] == [
        e.as_dict()["event"] for e in before.events
    ]


@pytest.mark.asyncio
async def test_a_failed_submission_keeps_the_details_for_retry_until_it_goes_through(
    store: MaskingSQLTrackerStore,
) -> None:
    sender = "retrying"
    await fill_housing_form(store, sender)
    # the backend was down: the form ended, the details and the key stay (actions/submission.py)
    await turn(
        store,
        sender,
        said("确认提交"),
        ActiveLoop(None),
        SlotSet("idempotency_key", f"{sender}:abc"),
        SlotSet("submission_pending", True),
    )
    rows = stored(store, sender)
    assert PHONE in rows and ID_NUMBER in rows
    tracker = await store.retrieve(sender)
    assert tracker is not None
    assert (tracker.get_slot("phone"), tracker.get_slot("id_number")) == (PHONE, ID_NUMBER)
    await turn(store, sender, said("重试"), *ended(SlotSet("last_request_number", "HS1")))
    rows = stored(store, sender)
    assert PHONE not in rows and ID_NUMBER not in rows


@pytest.mark.asyncio
async def test_a_number_typed_outside_any_request_is_stored_masked(
    store: MaskingSQLTrackerStore,
) -> None:
    sender = "chatting"
    await turn(store, sender, said(f"我的身份证是{ID_NUMBER}，电话{PHONE}，能办什么"))
    rows = stored(store, sender)
    assert PHONE not in rows and ID_NUMBER not in rows and "137****9876" in rows


@pytest.mark.asyncio
async def test_a_new_session_masks_the_form_an_old_session_left_open(
    store: MaskingSQLTrackerStore,
) -> None:
    sender = "expired"
    await fill_housing_form(store, sender)
    # two idle hours later Rasa starts a new session without the old slots (domain.yml)
    await turn(store, sender, SessionStarted(), said("你好"))
    full = await store.retrieve_full_tracker(sender)
    assert full is not None and len(full.events) > 4
    rows = stored(store, sender)
    assert PHONE not in rows and ID_NUMBER not in rows


@pytest.mark.asyncio
async def test_published_events_never_carry_a_raw_number(
    store: MaskingSQLTrackerStore, broker: Recorder
) -> None:
    sender = "published"
    await fill_housing_form(store, sender)
    published = json.dumps(broker.published)
    assert broker.published and all(e["sender_id"] == sender for e in broker.published)
    assert PHONE not in published and ID_NUMBER not in published
    assert "137****9876" in published
    assert len({e["event"] for e in broker.published}) > 1


def test_both_endpoint_files_name_this_store_and_rasa_builds_it(
    tmp_path: Path, domain: Domain
) -> None:
    for path in (ROOT / "endpoints.yml", ROOT / "deploy" / "endpoints.prod.yml"):
        config = yaml.safe_load(path.read_text("utf-8"))
        assert config["tracker_store"]["type"] == CLASS_PATH, path
    # a class path Rasa cannot import would silently give an in-memory store
    endpoint = EndpointConfig(type=CLASS_PATH, dialect="sqlite", db=str(tmp_path / "t.db"))
    built = TrackerStore.create(endpoint, domain)
    assert isinstance(getattr(built, "_tracker_store", built), MaskingSQLTrackerStore)


def test_a_stack_of_its_own_serves_make_runs_endpoints_on_its_own_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests and make bench start Rasa as make run does, not with a look-alike file."""
    monkeypatch.setenv("ACTION_SERVER_PORT", "5999")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "t" * 40)
    written = endpoints_with_tracker_db(tmp_path / "endpoints.yml", tmp_path / "own.db")
    served = ROOT / "endpoints.yml"
    store = read_endpoint_config(str(written), "tracker_store")
    assert store is not None and store.type == CLASS_PATH
    assert store.kwargs["db"] == str(tmp_path / "own.db")
    actions = read_endpoint_config(str(written), "action_endpoint")
    assert actions is not None and actions.url == "http://127.0.0.1:5999/webhook"
    assert actions.kwargs["enable_selective_domain"] is True
    assert actions.headers == {"Authorization": "Bearer " + "t" * 40}
    mine, theirs = written.read_text("utf-8").splitlines(), served.read_text("utf-8").splitlines()
    assert [a for a, b in zip(mine, theirs, strict=True) if a != b] == [
        f'  db: "{tmp_path / "own.db"}"'
    ]


def event_rows(store: MaskingSQLTrackerStore, sender: str) -> int:
    with store.engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}
            ).scalar_one()
        )


async def greeted(store: MaskingSQLTrackerStore, sender: str) -> DialogueStateTracker:
    """Store a new conversation's greeting and return the conversation as read back."""
    await turn(store, sender, SessionStarted(), said("你好"))
    tracker = await store.retrieve(sender)
    assert tracker is not None
    return tracker


@pytest.mark.asyncio
async def test_a_save_stores_and_publishes_each_new_event_once_without_reading_back(
    store: MaskingSQLTrackerStore, broker: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = "remembered"
    tracker = await greeted(store, sender)
    rows, published = event_rows(store, sender), len(broker.published)
    assert rows == len(tracker.events) and published == rows

    # neither a second read of the conversation nor a count of its rows is needed now
    async def no_read_back(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the conversation was read back to find the new events")

    def no_count(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the stored rows were counted")

    monkeypatch.setattr(store, "retrieve", no_read_back)
    monkeypatch.setattr(store, "_additional_events", no_count)
    tracker.update(said("人才公寓怎么申请"))
    tracker.update(BotUttered("可以在线申请。"))
    await store.save(tracker)
    tracker.update(said("谢谢"))
    await store.save(tracker)  # the same tracker saved again adds only its newest event
    assert event_rows(store, sender) == rows + 3
    assert [e.get("text") for e in broker.published[published:]] == [
        "人才公寓怎么申请",
        "可以在线申请。",
        "谢谢",
    ]


@pytest.mark.asyncio
async def test_a_new_event_is_masked_once_for_the_broker_and_its_row_both(
    store: MaskingSQLTrackerStore, broker: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    sender = "masked-once"
    tracker = await greeted(store, sender)
    masked: list[dict[str, Any]] = []

    def counted_mask(data: dict[str, Any]) -> dict[str, Any]:
        masked.append(data)
        return mask_event(data)

    monkeypatch.setattr(tracker_store, "mask_event", counted_mask)
    published = len(broker.published)
    tracker.update(said(f"我的电话是{PHONE}"))
    tracker.update(BotUttered("收到。"))
    await store.save(tracker)
    assert [data.get("text") for data in masked] == [f"我的电话是{PHONE}", "收到。"]  # once each
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).scalars()
        stored_now = [json.loads(row) for row in rows][-2:]
    sent = [{k: v for k, v in e.items() if k != "sender_id"} for e in broker.published[published:]]
    assert sent == stored_now  # the broker and the rows got the same masked events
    assert PHONE not in json.dumps(sent) and "137****9876" in json.dumps(sent)


@pytest.mark.asyncio
async def test_a_turns_new_events_go_to_a_turn_broker_as_one_message(
    options: dict[str, Any], domain: Domain
) -> None:
    per_event, per_turn = Recorder(), TurnRecorder()
    for broker in (per_event, per_turn):
        store = MaskingSQLTrackerStore(domain=domain, event_broker=broker, **options)
        try:
            tracker = await greeted(store, f"turns-{type(broker).__name__}")
            tracker.update(said(f"电话{PHONE}"))
            tracker.update(BotUttered("收到。"))
            await store.save(tracker)
        finally:
            store.engine.dispose()
    assert [len(turn) for turn in per_turn.turns] == [len(per_turn.published) - 2, 2]
    unstamped = [[{k: v for k, v in e.items() if k not in ("timestamp", "sender_id")}
                  for e in b.published] for b in (per_event, per_turn)]  # fmt: skip
    assert unstamped[0] == unstamped[1]  # the same masked bodies, in the same order
    assert PHONE not in json.dumps(per_turn.turns)


@pytest.mark.asyncio
async def test_a_tracker_not_read_from_the_store_is_counted_as_rasa_counts(
    store: MaskingSQLTrackerStore, domain: Domain
) -> None:
    sender = "built-elsewhere"
    await turn(store, sender, SessionStarted(), said("你好"))
    stored_before = await store.retrieve(sender)
    assert stored_before is not None
    # a tracker rebuilt from events (as Rasa's HTTP API may) knows nothing of the store
    rebuilt = DialogueStateTracker.from_events(sender, list(stored_before.events), domain.slots)
    rebuilt.update(said("再见"))
    await store.save(rebuilt)
    assert event_rows(store, sender) == len(stored_before.events) + 1


def rows_without_times(store: MaskingSQLTrackerStore, sender: str) -> list[tuple[Any, ...]]:
    """Return a conversation's rows in order, each event's own time left out."""
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT type_name, intent_name, action_name, data FROM events"
                " WHERE sender_id = :s ORDER BY id"
            ),
            {"s": sender},
        )
        return [
            (kind, intent, action, {k: v for k, v in json.loads(data).items() if k != "timestamp"})
            for kind, intent, action, data in rows
        ]


@pytest.mark.asyncio
@pytest.mark.parametrize("wrapped", [False, True], ids=["bare", "fail-safe wrapper"])
async def test_a_new_conversation_is_stored_with_its_first_turn_as_rasas_store_stores_it(
    store: MaskingSQLTrackerStore,
    options: dict[str, Any],
    domain: Domain,
    broker: Recorder,
    monkeypatch: pytest.MonkeyPatch,
    wrapped: bool,
) -> None:
    tracker_store.install()  # as the Rasa process has it (bot/serving/tuning.py)
    # make run's Agent wraps the store; the production topology uses it bare
    ours: TrackerStore = FailSafeTrackerStore(store) if wrapped else store
    stock = SQLTrackerStore(domain=domain, **options)  # the same database, another sender
    tracker = await ours.get_or_create_tracker("ours")
    theirs = await stock.get_or_create_tracker("stock")
    assert event_rows(store, "ours") == 0 and broker.published == []  # nothing said yet
    assert event_rows(store, "stock") == 1  # Rasa's own store saved the lone action_listen

    def no_count(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the stored rows were counted")

    monkeypatch.setattr(store, "_additional_events", no_count)
    first_turn = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        said("你好"),
        BotUttered("您好，请问有什么可以帮您？"),
        ActionExecuted("action_listen"),
    ]
    for event in first_turn:
        tracker.update(event)
        theirs.update(event)
    await ours.save(tracker)
    await stock.save(theirs)
    assert len(rows_without_times(store, "ours")) == len(first_turn) + 1
    assert rows_without_times(store, "ours") == rows_without_times(store, "stock")
    assert [event["event"] for event in broker.published] == [
        kind for kind, *_ in rows_without_times(store, "ours")
    ]  # each published once
    again = await ours.get_or_create_tracker("ours")
    again.update(said("谢谢"))
    await ours.save(again)
    assert event_rows(store, "ours") == len(first_turn) + 2
    stock.engine.dispose()


@pytest.mark.asyncio
async def test_the_rows_of_a_turn_are_those_rasas_own_store_writes(
    store: MaskingSQLTrackerStore, options: dict[str, Any], domain: Domain
) -> None:
    stock = SQLTrackerStore(domain=domain, **options)  # the same database, another sender
    events = [
        SessionStarted(),
        ActionExecuted("action_listen"),
        said("帮我申请人才住房"),
        ActionExecuted("housing_form"),
        ActiveLoop(HOUSING.form),
        *ended(BotUttered("已提交。")),  # a submission's answer: every slot cleared, one save
        ActionExecuted("action_listen"),
    ]
    for each, sender in ((store, "ours"), (stock, "stock")):
        tracker = await each.get_or_create_tracker(sender, append_action_listen=False)
        for event in events:
            tracker.update(event)
        await each.save(tracker)

    def rows(sender: str) -> list[tuple[Any, ...]]:
        with store.engine.connect() as connection:
            return [
                tuple(row)
                for row in connection.execute(
                    sa.text(
                        "SELECT type_name, timestamp, intent_name, action_name, data"
                        " FROM events WHERE sender_id = :s ORDER BY id"
                    ),
                    {"s": sender},
                )
            ]

    ours = rows("ours")
    assert len(ours) == len(events) > 20
    assert ours == rows("stock")  # in order, column by column
    stock.engine.dispose()


@pytest.fixture
def postgres_store(domain: Domain, broker: Recorder) -> Iterator[MaskingSQLTrackerStore]:
    """The store on an empty PostgreSQL database, as the production topology runs it."""
    for options in _postgres_database():
        made = MaskingSQLTrackerStore(domain=domain, event_broker=broker, **options)
        yield made
        made.engine.dispose()


def _backend_pid(store: MaskingSQLTrackerStore) -> int:
    """Return the server process behind the connection the store's pool hands out next."""
    with store.engine.connect() as connection:
        return int(connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _end_backend(pid: int) -> None:
    """End one server session as a restart or a failover does (FATAL notice, socket closed)."""
    admin = psycopg2.connect(**POSTGRES, connect_timeout=3)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
            deadline = time.monotonic() + 10  # it is asked to end, and ends a moment later
            while time.monotonic() < deadline:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,))
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.05)
    finally:
        admin.close()
    time.sleep(0.1)  # the notice and the hang-up reach the pooled socket


@pytest.mark.asyncio
async def test_a_connection_the_server_ended_is_never_handed_to_a_turn(
    postgres_store: MaskingSQLTrackerStore,
) -> None:
    await turn(postgres_store, "restarted", said("你好"))
    pid = _backend_pid(postgres_store)
    _end_backend(pid)
    tracker = await postgres_store.retrieve("restarted")  # the next turn's first statement
    assert tracker is not None and tracker.latest_message.text == "你好"
    assert _backend_pid(postgres_store) != pid


@pytest.mark.asyncio
async def test_a_connection_in_use_leaves_the_pool_without_a_round_trip_of_its_own(
    postgres_store: MaskingSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pool_pre_ping sent SELECT 1 at every checkout: two round trips a turn, each waited
    # for in Rasa's event loop; a connection in use is checked by its socket instead
    pings: list[str] = []
    dialect = postgres_store.engine.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda _c: pings.append("pre-ping") or True)
    answers = db_liveness.answers
    monkeypatch.setattr(db_liveness, "answers", lambda c: pings.append("ping") or answers(c))
    pid = _backend_pid(postgres_store)
    for _ in range(3):
        await turn(postgres_store, "busy", said("你好"))
    assert pings == []
    assert _backend_pid(postgres_store) == pid  # the same healthy connection throughout
    monkeypatch.setattr(db_liveness, "FULL_PING_AFTER_S", 0.0)  # as after a long rest
    await turn(postgres_store, "busy", said("在吗"))
    assert pings == ["ping", "ping"]  # read back, then saved: one checkout each
    assert _backend_pid(postgres_store) == pid


@pytest.mark.asyncio
async def test_a_rested_connection_that_no_longer_answers_is_replaced(
    postgres_store: MaskingSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # what no socket shows: a firewall dropped the idle connection
    await turn(postgres_store, "dropped", said("你好"))
    pid = _backend_pid(postgres_store)
    monkeypatch.setattr(db_liveness, "FULL_PING_AFTER_S", 0.0)
    monkeypatch.setattr(db_liveness, "answers", lambda _c: False)
    tracker = await postgres_store.retrieve("dropped")
    assert tracker is not None and tracker.latest_message.text == "你好"
    monkeypatch.undo()
    assert _backend_pid(postgres_store) != pid


@pytest.mark.asyncio
async def test_a_conversation_is_read_back_as_rasas_query_reads_it(
    store: MaskingSQLTrackerStore, domain: Domain
) -> None:
    """``tuning``'s statements built once select the rows Rasa's ORM query selects, in order."""
    from bot.serving import tuning

    tuning.install()
    ours = SQLTrackerStore._retrieve
    rasas = ours.__wrapped__  # type: ignore[attr-defined]

    def at(stamp: float, event: Event) -> Event:
        event.timestamp = stamp
        return event

    sessions = {
        "no-session": [ActionExecuted("action_listen", timestamp=1.0), at(1.5, said("你好"))],
        "two-sessions": [
            SessionStarted(timestamp=1.0), at(2.0, said("第一次")), SessionStarted(timestamp=5.0),
            ActionExecuted("action_listen", timestamp=5.0), at(6.0, said("第二次")),
        ],
        # stamped before the latest session start but stored after it; one stamped at it
        "late-stamp": [
            SessionStarted(timestamp=2.0), at(3.0, said("早")), SessionStarted(timestamp=9.0),
            ActionExecuted("action_listen", timestamp=8.0), at(9.0, said("同时")),
            at(10.0, said("晚")),
        ],
    }  # fmt: skip
    for sender, events in sessions.items():
        tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
        await store.save(tracker)
    for sender in [*sessions, "nobody"]:
        for every in (False, True):
            read = [await way(store, sender, every) for way in (ours, rasas)]
            if sender == "nobody":
                assert read == [None, None]
                continue
            mine, theirs = ([e.as_dict() for e in t.events] for t in read)
            assert mine == theirs and mine, (sender, every)
    latest = await ours(store, "late-stamp", False)
    assert [e.type_name for e in latest.events] == ["session_started", "user", "user"]
    assert len((await ours(store, "late-stamp", True)).events) == 6
