"""Publish events to RabbitMQ with Rasa 3.6's own ``PikaEventBroker`` (run in .venv/rasa).

``python tests/backend/rasa_publisher.py QUEUE EXCHANGE < events.json``: the
analytics consumer test starts this in Rasa's environment, so the messages on
the queue are exactly what a Rasa server publishes (body, persistence, the
exchange and queue it declares).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys


async def publish(queue: str, exchange: str, events: list[dict[str, object]]) -> None:
    """Connect as Rasa does, publish every event, and wait until each is sent."""
    import rasa.shared.core.events  # noqa: F401 - the broker's publish needs it loaded
    from rasa.core.brokers.pika import PikaEventBroker

    broker = PikaEventBroker(
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
    await broker.connect()
    for event in events:
        broker.publish(event)
    # publish() schedules a task per event; Rasa has no public "flush": wait for them all
    await asyncio.gather(*list(broker._background_tasks))  # noqa: SLF001
    await broker.close()


if __name__ == "__main__":
    asyncio.run(publish(sys.argv[1], sys.argv[2], json.load(sys.stdin)))
