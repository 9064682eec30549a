"""Give chats nobody claimed in time back to the bot, so no user waits forever.

Runs inside the backend process: every few seconds it looks for handoffs that
have waited longer than ``HANDOFF_WAIT_SECONDS``, tells the user honestly on
their own channel, resumes the bot and closes the handoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.backend import metrics
from bot.backend.handoffs import service
from bot.backend.handoffs.models import Handoff
from bot.backend.rasa_client import AssistantUnavailableError, RasaClient, rasa_for

logger = logging.getLogger(__name__)

TIMED_OUT = (
    "抱歉，人工客服暂时都在忙，没能及时接入。接下来由我（渝才助手）继续为您服务；"
    "需要的话可以回复“转人工”再试，或登记回电。"
)
SWEEP_EVERY_SECONDS = 5.0


def sweep_once(
    factory: sessionmaker[Session], rasa: RasaClient, *, now: datetime, wait: timedelta
) -> int:
    """Release every handoff waiting longer than ``wait``; return how many were released.

    Each release is a conditional update (``waiting`` → ``closed``) held open
    while the user is told: a concurrent claim or another backend worker's
    sweeper waits on the row and then finds it no longer waiting, so exactly
    one party closes the chat and the user is told once. If Rasa cannot be
    reached the update is rolled back and the next round tries again.
    """
    with factory() as session:
        stale = session.scalars(
            select(Handoff.id).where(Handoff.status == "waiting", Handoff.created_at < now - wait)
        ).all()
    released = 0
    for handoff_id in stale:
        with factory() as session:
            if not service.take_for_timeout(session, handoff_id=handoff_id, now=now):
                continue  # claimed by an agent or released by another sweeper meanwhile
            handoff = session.get(Handoff, handoff_id)
            assert handoff is not None
            try:
                rasa.append(
                    handoff.sender_id,
                    [
                        {"event": "bot", "text": TIMED_OUT},
                        {"event": "resume"},
                        {"event": "action", "name": "action_listen"},
                    ],
                    deliver=True,
                )
            except AssistantUnavailableError:
                session.rollback()
                logger.warning("handoff %s timed out but Rasa is unreachable; retrying", handoff_id)
                continue
            service.add_message(session, handoff=handoff, author="system", text=TIMED_OUT, now=now)
            session.commit()
            metrics.handoff_timed_out(handoff.team)
            released += 1
    return released


async def sweep_forever(app: FastAPI, clock: Callable[[], datetime]) -> None:
    """Sweep until cancelled at shutdown; one failure never stops the loop."""
    wait = timedelta(seconds=app.state.settings.handoff_wait_seconds)
    while True:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
        try:
            await asyncio.to_thread(
                sweep_once, app.state.session_factory, rasa_for(app), now=clock(), wait=wait
            )
        except Exception:  # noqa: BLE001 - keep sweeping; the next round may succeed
            logger.exception("handoff sweep failed")
