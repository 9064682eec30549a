"""The queued RabbitMQ event broker publishes what Rasa's does (bot/serving/event_broker.py).

On the real RabbitMQ (127.0.0.1:5672), with queues and exchanges of this
test's own, deleted afterwards; RabbitMQ "going away" is a fault proxy in
front of it, nothing is stopped on the shared server.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import aio_pika
import pytest
import rasa.shared.core.events  # noqa: F401 - the stock broker's publish needs it loaded
from prometheus_client import REGISTRY
from rasa.core.brokers.pika import PikaEventBroker

from bot.serving import event_broker
from bot.serving.event_broker import QueuedPikaEventBroker
from tests.faults.proxy import fault_proxy

RABBITMQ_PORT = 5672


@pytest.fixture
def rabbitmq() -> None:
    try:
        socket.create_connection(("127.0.0.1", RABBITMQ_PORT), timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the event broker tests on RabbitMQ (127.0.0.1:5672)")
        pytest.skip("RabbitMQ is not listening on 127.0.0.1:5672")


@pytest.fixture
def names(rabbitmq: None) -> Iterator[dict[str, str]]:
    """Two queues and exchanges of this test's own, deleted afterwards."""
    run = uuid.uuid4().hex[:10]
    made = {key: f"yucai_broker_test_{key}_{run}" for key in ("stock", "queued")}
    yield made
    asyncio.run(_delete(made.values()))


async def _delete(names: Any) -> None:
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
            await channel.exchange_delete(name)


def _events(count: int, sender: str = "broker-test") -> list[dict[str, Any]]:
    return [
        {"sender_id": sender, "event": "user", "timestamp": 1_700_000_000 + n,
         "text": f"人才住房怎么申请 {n}", "parse_data": {"intent": {"name": "ask_housing"}}}
        for n in range(count)
    ]  # fmt: skip


def _broker(cls: type[PikaEventBroker], name: str, port: int = RABBITMQ_PORT) -> PikaEventBroker:
    return cls(
        "127.0.0.1", "guest", "guest", port=port, queues=[name], exchange_name=name,
        connection_attempts=3, retry_delay_in_seconds=1, event_loop=asyncio.get_running_loop(),
    )  # fmt: skip


async def _drain(name: str, expected: int, within: float = 30) -> list[aio_pika.IncomingMessage]:
    """Read the queue until ``expected`` messages came (or ``within`` seconds), then a bit more."""
    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    got: list[aio_pika.IncomingMessage] = []
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, durable=True)
        deadline = time.monotonic() + within
        quiet_until = None
        while time.monotonic() < deadline:
            message = await queue.get(no_ack=True, fail=False)
            if message is not None:
                got.append(message)
                continue
            if len(got) >= expected:
                quiet_until = quiet_until or time.monotonic() + 0.5  # a duplicate would show
                if time.monotonic() > quiet_until:
                    break
            await asyncio.sleep(0.05)
    return got


def _shape(message: aio_pika.IncomingMessage) -> tuple[Any, ...]:
    return (message.body, message.delivery_mode, message.app_id, message.headers or {})


def test_every_event_goes_out_once_as_rasas_own_broker_sends_it(names: dict[str, str]) -> None:
    events = _events(300)
    headers = {"rasa-environment": "test"}

    async def run() -> tuple[list[Any], list[Any], int, int]:
        stock = _broker(PikaEventBroker, names["stock"])
        queued = _broker(QueuedPikaEventBroker, names["queued"])
        await stock.connect()
        await queued.connect()
        tasks_before = len(asyncio.all_tasks())
        for event in events:
            queued.publish(event, headers)
        tasks_while_queued = len(asyncio.all_tasks()) - tasks_before
        for event in events:
            stock.publish(event, headers)
        await asyncio.gather(*list(stock._background_tasks))  # noqa: SLF001 - no public flush
        await queued.close()  # drains first
        await stock.close()
        backlog = queued.backlog()
        return (
            await _drain(names["stock"], len(events)), await _drain(names["queued"], len(events)),
            tasks_while_queued, backlog,
        )  # fmt: skip

    stock, queued, tasks_while_queued, backlog = asyncio.run(run())
    assert tasks_while_queued == 0  # Rasa's own broker starts a task per event here
    assert backlog == 0
    assert len(queued) == len(events)
    assert sorted(map(_shape, queued)) == sorted(map(_shape, stock))
    assert {m.delivery_mode for m in queued} == {aio_pika.DeliveryMode.PERSISTENT}


def test_a_turn_goes_out_as_one_message_of_rasas_event_bodies(names: dict[str, str]) -> None:
    turns = [_events(n, sender=f"turn-{n}") for n in (1, 7, 25)]

    async def run() -> tuple[list[int], list[aio_pika.IncomingMessage], int]:
        queued = _broker(QueuedPikaEventBroker, names["queued"])
        await queued.connect()
        counted = []
        for turn in turns:
            queued.publish_turn(turn)
            counted.append(queued.waiting())  # counted in events, not messages
        queued.publish_turn([])
        await queued.close()
        return counted, await _drain(names["queued"], len(turns)), queued.waiting()

    counted, arrived, left = asyncio.run(run())
    assert counted == [1, 8, 33] and left == 0
    assert len(arrived) == len(turns)  # nothing for the empty turn
    by_size = sorted(arrived, key=lambda message: len(message.body))
    assert json.loads(by_size[0].body) == turns[0][0]  # a lone event is Rasa's own message
    assert [json.loads(m.body) for m in by_size[1:]] == turns[1:]  # in order, whole
    assert {m.delivery_mode for m in arrived} == {aio_pika.DeliveryMode.PERSISTENT}


def test_at_most_publishers_messages_wait_for_rabbitmq_at_once(names: dict[str, str]) -> None:
    async def run() -> tuple[int, int]:
        queued = _broker(QueuedPikaEventBroker, names["queued"])
        await queued.connect()
        in_flight = 0
        most = 0
        send = queued._send  # noqa: SLF001 - counting the sends in progress

        async def counted(body: bytes, headers: dict[str, Any] | None) -> None:
            nonlocal in_flight, most
            in_flight += 1
            most = max(most, in_flight)
            try:
                await send(body, headers)
            finally:
                in_flight -= 1

        queued._send = counted  # type: ignore[method-assign]  # noqa: SLF001
        for event in _events(500):
            queued.publish(event)
        await queued.close()
        return most, len(await _drain(names["queued"], 500))

    most, arrived = asyncio.run(run())
    assert 1 < most <= event_broker.PUBLISHERS
    assert arrived == 500


def test_events_published_while_rabbitmq_is_away_arrive_when_it_is_back(
    names: dict[str, str],
) -> None:
    with fault_proxy(RABBITMQ_PORT) as proxy:
        events = _events(40, sender="broker-away")

        async def run() -> tuple[int, list[aio_pika.IncomingMessage]]:
            queued = _broker(QueuedPikaEventBroker, names["queued"], port=proxy.port)
            await queued.connect()
            for event in events[:10]:
                queued.publish(event)
            proxy.set_mode("refuse")
            await asyncio.sleep(1)
            for event in events[10:]:
                queued.publish(event)
            await asyncio.sleep(2)  # the publishers fail and keep what they could not send
            kept = queued.waiting()
            assert REGISTRY.get_sample_value("yucai_event_broker_backlog") == kept
            proxy.set_mode("pass")  # aio-pika reconnects; Rasa's callback publishes the rest
            arrived = await _drain(names["queued"], len(events), within=60)
            await queued.close()
            return kept, arrived

        kept, arrived = asyncio.run(run())
    assert kept >= 30  # the events published while it was away were kept, not dropped
    bodies = {m.body for m in arrived}
    assert len(bodies) == len(events)  # every event, each at least once (a retry may repeat one)


def test_a_turn_kept_while_rabbitmq_is_away_arrives_whole_and_is_counted_by_events(
    names: dict[str, str],
) -> None:
    with fault_proxy(RABBITMQ_PORT) as proxy:
        turns = [_events(6, sender=f"away-{n}") for n in range(5)]

        async def run() -> tuple[int, list[aio_pika.IncomingMessage]]:
            queued = _broker(QueuedPikaEventBroker, names["queued"], port=proxy.port)
            await queued.connect()
            proxy.set_mode("refuse")
            await asyncio.sleep(1)
            for turn in turns:
                queued.publish_turn(turn)
            await asyncio.sleep(2)  # the publishers fail and keep what they could not send
            kept = queued.waiting()
            assert REGISTRY.get_sample_value("yucai_event_broker_backlog") == kept
            proxy.set_mode("pass")
            arrived = await _drain(names["queued"], len(turns), within=60)
            await queued.close()
            return kept, arrived

        kept, arrived = asyncio.run(run())
    assert kept == 30  # five turns of six events, kept and counted as events
    assert sorted({m.body for m in arrived}) == sorted(json.dumps(t).encode() for t in turns)


def test_close_waits_while_rabbitmq_takes_events_and_gives_up_when_it_takes_none(
    names: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``rasa export`` publishes a whole tracker store, then closes at once
    monkeypatch.setattr(event_broker, "CLOSE_DRAIN_SECONDS", 0.05)
    events = _events(2000, sender="broker-export")

    async def export() -> list[aio_pika.IncomingMessage]:
        queued = _broker(QueuedPikaEventBroker, names["queued"])
        await queued.connect()
        for event in events:
            queued.publish(event)
        await queued.close()
        return await _drain(names["queued"], len(events))

    assert len({m.body for m in asyncio.run(export())}) == len(events)

    with fault_proxy(RABBITMQ_PORT) as proxy:

        async def stalled() -> tuple[float, int]:
            queued = _broker(QueuedPikaEventBroker, names["stock"], port=proxy.port)
            await queued.connect()
            proxy.set_mode("hold_responses")  # RabbitMQ confirms nothing from now on
            for event in events[:50]:
                queued.publish(event)
            started = time.monotonic()
            await queued.close()
            return time.monotonic() - started, queued.waiting()

        took, left = asyncio.run(stalled())
        proxy.set_mode("pass")
    assert took < 10 and left > 0  # no hang on shutdown; what was not confirmed is counted
