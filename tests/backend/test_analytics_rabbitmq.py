"""The analytics consumer on the real RabbitMQ (127.0.0.1:5672), fed by Rasa's own publisher.

Rasa 3.6's ``PikaEventBroker`` (in Rasa's environment) publishes the recorded
stream with duplicates to a queue of this test's own; a first consumer stores
a batch and dies before acknowledging it, so RabbitMQ redelivers; a second
consumer drains the queue. The figures are those of the stream, once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pika
import pytest
from pika.adapters.blocking_connection import BlockingChannel
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.backend.analytics import figures as analytics
from bot.backend.analytics.consumer import BrokerSettings, Consumer
from bot.backend.analytics.events import decode, parse
from bot.backend.analytics.ingest import Ingester
from bot.backend.analytics.models import AnalyticsEvent
from tests.backend.analytics_stream import EXPECTED, EXPECTED_QUESTIONS, RANGE, TZ, stream

ROOT = Path(__file__).resolve().parents[2]
RASA_PYTHON = ROOT / ".venv" / "rasa" / "bin" / "python"
PUBLISHER = Path(__file__).resolve().parent / "rasa_publisher.py"


class ConsumerDiedError(RuntimeError):
    """The first consumer's end: after the commit, before the acknowledgement."""


class DiesBeforeAck(Consumer):
    """A consumer killed between committing a batch and acknowledging it."""

    def acknowledge(self, channel: BlockingChannel, last_tag: int) -> None:
        """Die instead of acknowledging."""
        raise ConsumerDiedError


@pytest.fixture
def broker() -> Iterator[BrokerSettings]:
    """A queue and exchange of this test's own on the shared RabbitMQ, deleted afterwards."""
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the analytics consumer on RabbitMQ (127.0.0.1:5672)")
        pytest.skip("RabbitMQ is not listening on 127.0.0.1:5672")
    name = f"yucai_analytics_test_{uuid.uuid4().hex[:12]}"
    settings = BrokerSettings(
        rabbitmq_queue=name,
        rabbitmq_exchange=name,
        analytics_batch_size=10,
        analytics_batch_seconds=0.5,
    )
    yield settings
    connection = pika.BlockingConnection(settings.parameters())
    try:
        channel = connection.channel()
        channel.queue_delete(name)
        channel.exchange_delete(name)
    finally:
        connection.close()


def counted(events: list[dict[str, object]]) -> int:
    """Count the events a figure uses (the others are acknowledged and skipped)."""
    return sum(1 for event in events if parse(decode(dict(event))) is not None)


def publish_with_rasa(
    settings: BrokerSettings,
    events: list[dict[str, object]] | list[list[dict[str, object]]],
    *options: str,
) -> None:
    """Publish through Rasa's PikaEventBroker (``--turns``: Yucai's) in Rasa's environment."""
    subprocess.run(
        [
            str(RASA_PYTHON),
            str(PUBLISHER),
            settings.rabbitmq_queue,
            settings.rabbitmq_exchange,
            *options,
        ],
        input=json.dumps(events, ensure_ascii=False),
        text=True,
        cwd=ROOT,
        check=True,
        timeout=120,
        capture_output=True,
    )


def test_consumer_stores_the_stream_once_despite_duplicates_and_redelivery(
    broker: BrokerSettings, engine: Engine
) -> None:
    events = stream()
    publish_with_rasa(broker, events + events[10:20] + events[:3])
    sessions = sessionmaker(bind=engine)
    ingester = Ingester(sender_key=b"test-analytics-sender-key", tz=TZ)

    first = DiesBeforeAck(broker, sessions, ingester)
    with pytest.raises(ConsumerDiedError):
        first.run(idle_exit_seconds=3)
    with Session(engine) as session:
        committed = session.scalar(select(func.count()).select_from(AnalyticsEvent))
    assert committed  # the batch was stored, its messages never acknowledged

    second = Consumer(broker, sessions, ingester)
    report = second.run(idle_exit_seconds=3)
    assert report.messages == len(events) + 13  # every message, the first batch again
    # the redelivered first batch (10) and the published duplicates, counted where they count
    assert report.duplicates == counted(events[:10] + events[10:20] + events[:3])
    assert committed + report.stored == counted(events)
    assert report.malformed == 0
    with Session(engine) as session:
        figures = analytics.compute(session, RANGE)
    assert {key: getattr(figures, key) for key in EXPECTED} == EXPECTED
    assert [(q.text, q.count, q.unanswered, q.low_confidence) for q in figures.questions] == (
        EXPECTED_QUESTIONS
    )
    # nothing is left on the queue
    connection = pika.BlockingConnection(broker.parameters())
    try:
        left = connection.channel().queue_declare(broker.rabbitmq_queue, passive=True)
        assert left.method.message_count == 0
    finally:
        connection.close()


def turns_of(events: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    """Cut a stream into turns as Rasa saves them: a sender's events up to its next message."""
    turns: list[list[dict[str, object]]] = []
    for event in events:
        last = turns[-1][-1] if turns else None
        if last is None or last["sender_id"] != event["sender_id"] or event["event"] == "user":
            turns.append([])
        turns[-1].append(event)
    return turns


def test_a_turns_events_sent_as_one_message_give_the_same_figures(
    broker: BrokerSettings, engine: Engine
) -> None:
    """The production broker's turn messages: every event stored once, the stream's figures."""
    events = stream()
    turns = turns_of(events)
    assert len(turns) < len(events) / 2 and max(map(len, turns)) > 1
    publish_with_rasa(broker, [*turns, turns[3], turns[7]], "--turns")  # two turns sent again

    sessions = sessionmaker(bind=engine)
    ingester = Ingester(sender_key=b"test-analytics-sender-key", tz=TZ)
    report = Consumer(broker, sessions, ingester).run(idle_exit_seconds=3)
    assert report.messages == len(turns) + 2  # a turn a message, not an event a message
    assert report.stored == counted(events)
    assert report.duplicates == counted(turns[3] + turns[7])
    assert report.malformed == 0
    with sessions() as session:
        figures = analytics.compute(session, RANGE)
        stored = session.scalar(select(func.count()).select_from(AnalyticsEvent))
    assert stored == counted(events)
    assert {key: getattr(figures, key) for key in EXPECTED} == EXPECTED
    assert [(q.text, q.count, q.unanswered, q.low_confidence) for q in figures.questions] == (
        EXPECTED_QUESTIONS
    )


def test_the_consumer_process_runs_until_sigterm(
    broker: BrokerSettings, engine: Engine, ready_database_url: str
) -> None:
    """``python -m bot.backend.cli analytics-consume`` as the topology starts it."""
    env = {
        **os.environ,
        "DATABASE_URL": ready_database_url,
        "RABBITMQ_QUEUE": broker.rabbitmq_queue,
        "RABBITMQ_EXCHANGE": broker.rabbitmq_exchange,
        "ANALYTICS_BATCH_SECONDS": "0.2",
    }
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "backend" / "bin" / "python"), "-m", "bot.backend.cli",
         "analytics-consume"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        publish_with_rasa(broker, stream())
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline and stored < counted(stream()):
            time.sleep(0.3)
            with Session(engine) as session:
                stored = session.scalar(select(func.count()).select_from(AnalyticsEvent)) or 0
        assert stored == counted(stream())
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert f"新存 {counted(stream())}" in output
    with Session(engine) as session:
        figures = analytics.compute(session, RANGE)
    assert {key: getattr(figures, key) for key in EXPECTED} == EXPECTED
