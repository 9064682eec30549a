"""The outbox worker: runs in every backend worker process and sends owed updates.

Each round claims due notifications (a conditional update each, so two
processes never send the same one), sends them through Rasa with tenacity's
retries, and settles them: ``delivered``; ``awaiting_visit`` for a web user
who is away (tried again every ``NOTIFY_VISIT_POLL_SECONDS`` until they come
back, for at most ``NOTIFY_VISIT_DAYS``); ``failed`` after the last retry,
which the console lists for staff. Nothing is dropped without a row saying so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from bot.backend.config import Settings
from bot.backend.notifications import service
from bot.backend.notifications.delivery import PushFailed, RecipientAway, deliver
from bot.backend.rasa_client import RasaClient, rasa_for
from bot.backend.requests.models import ServiceRequest

logger = logging.getLogger(__name__)

#: how long a claimed notification stays with one worker before another may take it over
LEASE = timedelta(minutes=2)


def deliver_due(
    factory: sessionmaker[Session], rasa: RasaClient, *, settings: Settings, now: datetime
) -> int:
    """Send every due notification once (with retries); return how many were delivered."""
    with factory() as session:
        claimed = service.claim_due(session, now=now, lease=LEASE)
    delivered = 0
    for item in claimed:
        with factory() as session:
            delivered += _send_one(session, rasa, item, settings=settings, now=now)
    return delivered


def _send_one(
    session: Session,
    rasa: RasaClient,
    item: service.Claimed,
    *,
    settings: Settings,
    now: datetime,
) -> int:
    """Send one claimed notification and settle it; return 1 if it reached the user."""
    if service.opted_out(session, channel=item.channel, sender_id=item.sender_id):
        service.settle(session, notification_id=item.id, state="opted_out", now=now)
        return 0
    request = session.get(ServiceRequest, _request_id(session, item.id))
    assert request is not None
    retrying = Retrying(
        stop=stop_after_attempt(settings.notify_attempts),
        wait=wait_exponential(multiplier=settings.notify_retry_seconds, max=30),
        retry=retry_if_exception_type(PushFailed),
        reraise=True,
    )
    tries = 0
    try:
        for attempt in retrying:
            with attempt:
                tries += 1
                sent = deliver(
                    rasa,
                    request=request,
                    status=item.status,
                    now=now,
                    tz=settings.tz,
                    wechat_window=timedelta(hours=settings.wechat_service_window_hours),
                    revisit=item.state_before == "awaiting_visit",
                )
    except RecipientAway:
        if now - item.created_at > timedelta(days=settings.notify_visit_days):
            service.settle(
                session,
                notification_id=item.id,
                state="failed",
                now=now,
                attempts=tries,
                error=f"用户 {settings.notify_visit_days} 天内未再访问网页聊天",
            )
            return 0
        retry_at = now + timedelta(seconds=settings.notify_visit_poll_seconds)
        service.settle(
            session,
            notification_id=item.id,
            state="awaiting_visit",
            now=now,
            attempts=tries,
            retry_at=retry_at,
        )
        return 0
    except PushFailed as exc:
        logger.warning("status update %s not delivered after %d tries", item.id, tries)
        service.settle(
            session,
            notification_id=item.id,
            state="failed",
            now=now,
            attempts=tries,
            error=str(exc),
        )
        return 0
    service.settle(
        session, notification_id=item.id, state="delivered", now=now, attempts=tries, via=sent.via
    )
    return 1


def _request_id(session: Session, notification_id: int) -> int:
    return service.get(session, notification_id=notification_id).request_id


async def notify_forever(app: FastAPI, clock: Callable[[], datetime]) -> None:
    """Run rounds until cancelled at shutdown; one failed round never stops the loop."""
    settings: Settings = app.state.settings
    while True:
        await asyncio.sleep(settings.notify_interval_seconds)
        try:
            await asyncio.to_thread(
                deliver_due,
                app.state.session_factory,
                rasa_for(app),
                settings=settings,
                now=clock(),
            )
        except Exception:  # noqa: BLE001 - keep going; the rows are still owed
            logger.exception("status update round failed")
