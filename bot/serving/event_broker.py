"""Rasa's RabbitMQ event broker with a fixed set of publishers (docs/performance.md, row 20).

Rasa 3.6's ``PikaEventBroker.publish`` starts one asyncio task per event, and
each task waits for RabbitMQ's confirmation. A turn publishes 5–30 events, so
under load thousands of these tasks were alive at once in a busy Rasa
instance: one production-topology instance held 13,000 unsent or unconfirmed
events after a few minutes at 8 connections, its RSS grew by 527 MiB in 11,000
turns, and every one of those tasks (a coroutine, its frame, future, context,
message and timer) was walked by Python's cycle collector, whose full passes
took 300–450 ms; the event loop, and with it every turn of the instance,
waited behind both.

Here ``publish`` turns the event into its JSON bytes at once and queues them;
``PUBLISHERS`` long-lived tasks take them in order and send them, so at most
that many are in flight and a backlog is a queue of bytes. Kept from Rasa's
broker: the same exchange, queues and message (persistent, the same body,
headers and ``app_id``), publisher confirms, and Rasa's list of unpublished
events, which its reconnect callback publishes again once RabbitMQ is back. An
event published before the exchange is set up waits for it (Rasa's broker
dropped it). ``close`` lets the queue drain while RabbitMQ takes events
(Rasa's closed at once, and the events still waiting were lost).
``yucai_event_broker_backlog`` (``GET /metrics``) counts the events RabbitMQ
has not confirmed: queued, being sent, or kept while it is away. Rasa's
``raise_on_failure`` is not honoured (Rasa raised it inside a background task,
where nobody could catch it; ``deploy/endpoints.prod.yml`` does not set it).

A turn's new events go out as **one message** (``publish_turn``, row 37): a JSON array
of the same event bodies, in order. RabbitMQ stores, confirms and delivers a
persistent message at a cost that hardly depends on its size, and so do the
publisher here and the analytics consumer (``bot/backend/analytics/consumer.py``
reads both shapes); one message per event cost the machine some 5 ms a turn in
all three. ``publish`` still sends one event as Rasa's broker does (``rasa
export``, and any other caller).

Hand-written rather than a library's: aio-pika (which Rasa's broker uses) has
no publishing pool, and the part that decides what is kept on failure is
Rasa's own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from typing import Any

import aio_pika
from prometheus_client import Gauge
from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.utils.io import DEFAULT_ENCODING

logger = logging.getLogger(__name__)

#: messages sent and awaiting RabbitMQ's confirmation at once, per Rasa process
PUBLISHERS = 16
#: how long ``close`` waits for RabbitMQ to take any queued event before giving up
CLOSE_DRAIN_SECONDS = 5.0

Queued = tuple[bytes, "dict[str, Any] | None"]


class TurnBody(bytes):
    """The body of a message holding several events (a JSON array), and how many."""

    events: int


def events_in(body: bytes) -> int:
    """Return how many tracker events a queued or kept body holds."""
    return getattr(body, "events", 1)


_brokers: weakref.WeakSet[QueuedPikaEventBroker] = weakref.WeakSet()
BACKLOG = Gauge(
    "yucai_event_broker_backlog",
    "Tracker events RabbitMQ has not confirmed yet: queued, being sent, or kept while it is away.",
)
BACKLOG.set_function(lambda: sum(broker.waiting() for broker in list(_brokers)))


class QueuedPikaEventBroker(PikaEventBroker):
    """``PikaEventBroker`` whose events wait in one queue for ``PUBLISHERS`` senders."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outbox: asyncio.Queue[Queued] | None = None
        self._exchange_ready: asyncio.Event | None = None
        self._publishers: list[asyncio.Task[None]] = []
        self._sending = 0
        self._queued = 0
        _brokers.add(self)

    def backlog(self) -> int:
        """Events queued and not yet handed to RabbitMQ."""
        return self._queued

    def waiting(self) -> int:
        """Events RabbitMQ has not confirmed: queued, being sent, or kept for the reconnection."""
        kept = sum(events_in(body) for body in self._unpublished_events)
        return self.backlog() + self._sending + kept

    async def connect(self) -> None:
        """Connect as Rasa does, then let the publishers send."""
        self._start()
        await super().connect()
        assert self._exchange_ready is not None
        self._exchange_ready.set()

    def publish(self, event: dict[str, Any] | bytes, headers: dict[str, Any] | None = None) -> None:
        """Queue ``event`` (a Rasa event, or the bytes of one kept after a failure)."""
        body = event if isinstance(event, bytes) else json.dumps(event).encode(DEFAULT_ENCODING)
        self._enqueue(body, headers)

    def publish_turn(self, events: list[dict[str, Any]]) -> None:
        """Queue a turn's new events as one message: the JSON array of their bodies, in order."""
        if not events:
            return
        if len(events) == 1:
            self.publish(events[0])
            return
        body = TurnBody(json.dumps(events).encode(DEFAULT_ENCODING))
        body.events = len(events)
        self._enqueue(body, None)

    def _enqueue(self, body: bytes, headers: dict[str, Any] | None) -> None:
        self._start()
        assert self._outbox is not None
        self._queued += events_in(body)
        self._outbox.put_nowait((body, headers))

    def _start(self) -> None:
        if self._outbox is not None:
            return
        self._outbox = asyncio.Queue()
        self._exchange_ready = asyncio.Event()
        self._publishers = [self._loop.create_task(self._publisher()) for _ in range(PUBLISHERS)]

    async def _publisher(self) -> None:
        assert self._outbox is not None and self._exchange_ready is not None
        await self._exchange_ready.wait()
        while True:
            body, headers = await self._outbox.get()
            self._queued -= events_in(body)
            try:
                await self._send(body, headers)
            finally:
                self._outbox.task_done()

    async def _send(self, body: bytes, headers: dict[str, Any] | None) -> None:
        message = aio_pika.Message(
            body,
            headers=headers,
            app_id=self.rasa_environment,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        self._sending += events_in(body)
        try:
            assert self._exchange is not None
            await self._exchange.publish(message, "")
        except asyncio.CancelledError:
            self._keep(body)
            raise
        except Exception:  # noqa: BLE001 - Rasa's broker keeps the event whatever failed
            logger.error("Publishing an event to RabbitMQ failed; it is kept for the reconnection")
            self._keep(body)
        finally:
            self._sending -= events_in(body)

    def _keep(self, body: bytes) -> None:
        if self.should_keep_unpublished_messages:
            # Rasa's reconnect callback hands these to ``publish``, which takes bytes too
            self._unpublished_events.append(body)

    async def close(self) -> None:
        """Let the queue drain while it goes down, stop the publishers, close as Rasa does.

        ``rasa export`` publishes a whole tracker store and then closes: the queue
        drains for as long as RabbitMQ keeps taking events, and is given up on
        only after ``CLOSE_DRAIN_SECONDS`` in which it took none.
        """
        while self._outbox is not None and self._exchange is not None:
            waiting = self.waiting()
            try:
                await asyncio.wait_for(self._outbox.join(), CLOSE_DRAIN_SECONDS)
                break
            except asyncio.TimeoutError:
                if self.waiting() >= waiting:  # RabbitMQ took nothing in that time
                    logger.warning("%d events were not published before closing", self.waiting())
                    break
        for task in self._publishers:
            task.cancel()
        await asyncio.gather(*self._publishers, return_exceptions=True)
        self._publishers = []
        await super().close()
