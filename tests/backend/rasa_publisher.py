"""Publish events to RabbitMQ with Rasa 3.6's own ``PikaEventBroker`` (run in .venv/rasa).

``python tests/backend/rasa_publisher.py QUEUE EXCHANGE < events.json``: the
analytics consumer test starts this in Rasa's environment, so the messages on
the queue are exactly what a Rasa server publishes (body, persistence, the
exchange and queue it declares). With ``--turns`` the input is a list of turns
(lists of events), each published as Yucai's broker publishes a turn
(``QueuedPikaEventBroker.publish_turn``, bot/serving/event_broker.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any


async def publish(queue: str, exchange: str, events: list[dict[str, object]]) -> None:
    """Connect as Rasa does, publish every event, and wait until each is sent."""
    import rasa.shared.core.events  # noqa: F401 - the broker's publish needs it loaded
    from rasa.core.brokers.pika import PikaEventBroker

    broker = _broker(PikaEventBroker, queue, exchange)
    await broker.connect()
    for event in events:
        broker.publish(event)
    # publish() schedules a task per event; Rasa has no public "flush": wait for them all
    await asyncio.gather(*list(broker._background_tasks))  # noqa: SLF001
    await broker.close()


async def publish_turns(queue: str, exchange: str, turns: list[list[dict[str, object]]]) -> None:
    """Connect as the production topology's Rasa does, publish each turn as one message."""
    import rasa.shared.core.events  # noqa: F401 - the broker's publish needs it loaded

    from bot.serving.event_broker import QueuedPikaEventBroker

    broker = _broker(QueuedPikaEventBroker, queue, exchange)
    await broker.connect()
    for turn in turns:
        broker.publish_turn(turn)
    await broker.close()  # drains its queue first
    if broker.waiting():
        raise SystemExit(f"{broker.waiting()} events were not published")


def _broker(cls: Any, queue: str, exchange: str) -> Any:
    """Make (not yet connect) a broker of ``cls`` on the test's queue and exchange."""
    return cls(
        os.environ.get("RABBITMQ_HOST", "127.0.0.1"),
        os.environ.get("RABBITMQ_USER", "guest"),
        os.environ.get("RABBITMQ_PASSWORD", "guest"),
        port=int(os.environ.get("RABBITMQ_PORT", "5672")),
        queues=[queue],
        exchange_name=exchange,
        raise_on_failure=True,
        connection_attempts=3,
        retry_delay_in_seconds=1,
        event_loop=asyncio.get_running_loop(),
    )


if __name__ == "__main__":
    if "--turns" in sys.argv:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project's bot package
        asyncio.run(publish_turns(sys.argv[1], sys.argv[2], json.load(sys.stdin)))
    else:
        asyncio.run(publish(sys.argv[1], sys.argv[2], json.load(sys.stdin)))
