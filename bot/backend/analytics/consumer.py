"""Consume Rasa's event broker queue on RabbitMQ into the analytics tables.

``python -m bot.backend.cli analytics-consume`` runs ``Consumer.run``. Rasa's
``PikaEventBroker`` publishes every tracker event, persistent, to a fanout
exchange bound to a durable queue (deploy/endpoints.prod.yml); Yucai's broker
sends a turn's events as one message, a JSON array of the same bodies
(``bot/serving/event_broker.py``), and both shapes are read here. This consumer
declares the same exchange and queue (so it may start first), takes up to
``ANALYTICS_BATCH_SIZE`` messages, stores them in one transaction and only
then acknowledges them all. A crash before the commit leaves them unacked:
RabbitMQ redelivers them and the unique event keys make the second pass a
no-op. A database error sends the batch back to the queue (nack, requeue).
A message that is not a Rasa event is logged (masked) and acknowledged: no
retry could ever store it. While RabbitMQ is away the consumer waits and
reconnects (``run_forever``); Rasa keeps publishing into the durable queue or,
while it cannot reach the broker either, buffers the events itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.backend.analytics.events import BadEventError, Parsed, decode, parse, unpack
from bot.backend.analytics.ingest import Ingester, IngestReport

logger = logging.getLogger(__name__)
#: seconds between attempts to reach RabbitMQ again
RECONNECT_SECONDS = 5.0


class BrokerSettings(BaseSettings):
    """Where Rasa's events are queued (the variables Rasa's prod endpoints use)."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = Field(default=5672, ge=1, le=65535)
    rabbitmq_user: str = "guest"
    rabbitmq_password: SecretStr = SecretStr("guest")
    rabbitmq_queue: str = "yucai_events"
    rabbitmq_exchange: str = "yucai-events"
    #: messages stored per transaction (and unacknowledged at most)
    analytics_batch_size: int = Field(default=200, ge=1, le=5000)
    #: a partial batch is stored after this long without a new message
    analytics_batch_seconds: float = Field(default=1.0, gt=0)
    #: touched on every pass of the loop (a Kubernetes probe checks its age); empty: none
    analytics_heartbeat_file: str = ""

    def parameters(self) -> pika.ConnectionParameters:
        """Return pika's connection parameters."""
        return pika.ConnectionParameters(
            host=self.rabbitmq_host,
            port=self.rabbitmq_port,
            credentials=pika.PlainCredentials(
                self.rabbitmq_user, self.rabbitmq_password.get_secret_value()
            ),
            heartbeat=30,
            blocked_connection_timeout=30,
            connection_attempts=3,
            retry_delay=2,
        )


@dataclass
class ConsumeReport:
    """Totals of a consumer run (printed by the CLI, asserted by tests)."""

    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    skipped: int = 0
    malformed: int = 0
    batches: int = 0
    requeued: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def add(self, batch: IngestReport) -> None:
        """Add one committed batch's counts."""
        self.batches += 1
        self.stored += batch.stored
        self.duplicates += batch.duplicates
        self.skipped += batch.skipped
        for kind, count in batch.reasons.items():
            self.kinds[kind] = self.kinds.get(kind, 0) + count


def declare(channel: BlockingChannel, settings: BrokerSettings) -> None:
    """Declare the exchange and queue exactly as Rasa's pika broker does, and bind them."""
    channel.exchange_declare(settings.rabbitmq_exchange, exchange_type="fanout", durable=False)
    channel.queue_declare(settings.rabbitmq_queue, durable=True)
    channel.queue_bind(settings.rabbitmq_queue, settings.rabbitmq_exchange)


def parse_bodies(bodies: list[bytes], report: ConsumeReport) -> list[Parsed | None]:
    """Parse a batch's messages, in order; what is not an event is logged and left out.

    A message is one event or a turn's array of them; in an array, each event that is
    not one is left out on its own.
    """
    parsed: list[Parsed | None] = []
    for body in bodies:
        try:
            items = unpack(body)
        except BadEventError as exc:
            _not_an_event(exc, body)
            report.malformed += 1
            continue
        whole = True
        for item in items:
            try:
                parsed.append(parse(decode(item)))
            except BadEventError as exc:
                _not_an_event(exc, item)
                whole = False
        if not whole:
            report.malformed += 1  # counted by message, as RabbitMQ counts them
    return parsed


def _not_an_event(exc: BadEventError, what: Any) -> None:
    # it may hold a user's words: the PII filter masks the log line
    logger.warning("analytics: not a Rasa event (%s): %.200r", exc, what)


class Consumer:
    """Read the queue in batches, store each batch, acknowledge after commit."""

    def __init__(
        self,
        settings: BrokerSettings,
        sessions: sessionmaker[Session],
        ingester: Ingester,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.ingester = ingester
        self.stopping = False
        self.report = ConsumeReport()

    def stop(self) -> None:
        """Ask the loop to finish its batch and return."""
        self.stopping = True

    def _beat(self) -> None:
        if self.settings.analytics_heartbeat_file:
            Path(self.settings.analytics_heartbeat_file).touch()

    def acknowledge(self, channel: BlockingChannel, last_tag: int) -> None:
        """Acknowledge every message up to ``last_tag``: they are committed."""
        channel.basic_ack(delivery_tag=last_tag, multiple=True)

    def _flush(self, channel: BlockingChannel, batch: list[tuple[int, bytes]]) -> None:
        if not batch:
            return
        last_tag = batch[-1][0]
        parsed = parse_bodies([body for _, body in batch], self.report)
        try:
            with self.sessions() as session:
                stored = self.ingester.store(session, parsed)
        except SQLAlchemyError:
            logger.exception("analytics: storing %d events failed; requeued", len(batch))
            channel.basic_nack(delivery_tag=last_tag, multiple=True, requeue=True)
            self.report.requeued += len(batch)
            time.sleep(2)  # the database is away: do not spin on the same batch
            return
        self.acknowledge(channel, last_tag)
        self.report.messages += len(batch)
        self.report.add(stored)
        batch.clear()

    def run(
        self,
        *,
        idle_exit_seconds: float | None = None,
        on_batch: Callable[[ConsumeReport], Any] | None = None,
    ) -> ConsumeReport:
        """Consume until ``stop()`` (or, for tests and replays, until idle this long)."""
        connection = pika.BlockingConnection(self.settings.parameters())
        try:
            channel = connection.channel()
            declare(channel, self.settings)
            channel.basic_qos(prefetch_count=self.settings.analytics_batch_size)
            batch: list[tuple[int, bytes]] = []
            idle_since = time.monotonic()
            for method, _properties, body in channel.consume(
                self.settings.rabbitmq_queue,
                inactivity_timeout=self.settings.analytics_batch_seconds,
            ):
                if method is not None:
                    batch.append((method.delivery_tag, body))
                    idle_since = time.monotonic()
                full = len(batch) >= self.settings.analytics_batch_size
                if method is None or full:
                    had = bool(batch)
                    self._flush(channel, batch)
                    batch = []
                    if had and on_batch is not None:
                        on_batch(self.report)
                self._beat()
                idle = time.monotonic() - idle_since
                if self.stopping or (idle_exit_seconds is not None and idle >= idle_exit_seconds):
                    break
            self._flush(channel, batch)
            channel.cancel()  # unacked prefetched messages go back to the queue
        finally:
            if connection.is_open:
                connection.close()
        return self.report

    def run_forever(self) -> ConsumeReport:
        """Consume until ``stop()``, reconnecting whenever RabbitMQ goes away."""
        while not self.stopping:
            try:
                self.run()
            except AMQPError as exc:
                logger.warning(
                    "analytics: RabbitMQ unreachable (%s); retrying in %.0f s",
                    type(exc).__name__,
                    RECONNECT_SECONDS,
                )
                deadline = time.monotonic() + RECONNECT_SECONDS
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(0.2)
        return self.report
