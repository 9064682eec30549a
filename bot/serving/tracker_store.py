"""Rasa's SQL tracker store that keeps no raw phone or ID number once a request has ended.

``endpoints.yml`` (SQLite, ``make run``) and ``deploy/endpoints.prod.yml``
(PostgreSQL, ``python -m bot.serving``) name it as
``type: bot.serving.tracker_store.MaskingSQLTrackerStore`` with the stock SQL
store's options. Rasa rebuilds every turn from the stored events, so a form's
raw answers must stay stored while the form (or a 「重试」 of its submission)
still needs them; the rule is ``bot.common.tracker_pii``'s. On each save:

- while a request is open, the new events are stored as Rasa stores them;
- otherwise they are stored masked, and if this turn may have ended a request
  (a form stopped, a personal slot was cleared, a restart or a new session), the
  sender's stored events of every session are masked in place, in the same
  transaction as the new ones — once per ended request, not every turn.

A new conversation's tracker is stored with its first turn (Rasa saves it on its
own first, a transaction and a count of rows before every first turn).

On PostgreSQL a pooled connection is checked as it leaves the pool, by its socket
rather than a ``SELECT 1`` each time (``bot/serving/db_liveness.py``).

Rasa appends only the events beyond the number already stored, so rewriting a
stored row never makes it store or publish an event twice. That number is
remembered on the tracker when it is read back and after each save (Rasa counts
the stored rows with a query on every save, and its ``stream_events`` reads the
whole conversation back a second time just to find the new events); a tracker
not read from this store falls back to Rasa's count. Events published to
the event broker (RabbitMQ in production) are always masked: analytics has no
use for a raw number, and the backend gets the details from the action server.
"""

from __future__ import annotations

import itertools
import json
import logging
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.common.tracker_pii import TEXT_EVENTS, holds_raw_details, mask_event, may_end_a_request
from bot.serving import db_liveness

logger = logging.getLogger(__name__)


#: attribute of a tracker: how many of its events (since its session started) are stored
STORED_EVENTS = "_yucai_stored_events"


def stored_events(tracker: DialogueStateTracker) -> int | None:
    """Return how many of the tracker's events are known to be stored, if known."""
    value = getattr(tracker, STORED_EVENTS, None)
    return value if isinstance(value, int) else None


_EVENTS = SQLTrackerStore.SQLEvent.__table__
#: a sender's stored rows that can hold a number (user text, slots, entities, bot replies)
_TEXT_ROWS = select(_EVENTS.c.id, _EVENTS.c.data).where(
    _EVENTS.c.sender_id == bindparam("sender_id"), _EVENTS.c.type_name.in_(TEXT_EVENTS)
)
_REWRITE = (
    _EVENTS.update().where(_EVENTS.c.id == bindparam("row_id")).values(data=bindparam("masked"))
)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Store conversations in SQL with phone and ID numbers masked once their request ends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Rasa's SQL store; on PostgreSQL, a connection the server closed is never handed out."""
        super().__init__(*args, **kwargs)
        db_liveness.watch(self.engine)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        if tracker is not None and not fetch_events_from_all_sessions:
            # the current session, as the stored-row count of Rasa's save counts it
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    async def create_tracker(
        self, sender_id: str, append_action_listen: bool = True
    ) -> DialogueStateTracker:
        """Start a new conversation's tracker, to be stored with its first turn.

        Rasa saves a new tracker at once (its lone ``action_listen``): a transaction, and a
        count of the stored rows, before the turn that saves the tracker again anyway. None
        of a tracker made here is stored yet, so the turn's save writes all of it, once.
        """
        tracker = self.init_tracker(sender_id)
        if append_action_listen:
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        setattr(tracker, STORED_EVENTS, 0)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the new events; mask them, and the stored ones, when no request is open."""
        known = stored_events(tracker)
        new_events: list[dict[str, Any]] | None = None
        masked_events: list[dict[str, Any]] | None = None
        if known is None:
            await self.stream_events(tracker)
        else:
            new_events = [e.as_dict() for e in itertools.islice(tracker.events, known, None)]
            if self.event_broker is not None:
                # serialised and masked once for the broker and the rows both (row 36)
                masked_events = [mask_event(data) for data in new_events]
                publish(self.event_broker, tracker.sender_id, masked_events)
        keep_raw = holds_raw_details(tracker.active_loop_name, tracker.current_slot_values())
        with self.session_scope() as session:
            if new_events is None:
                new_events = [e.as_dict() for e in self._additional_events(session, tracker)]
            if not keep_raw and any(may_end_a_request(data) for data in new_events):
                masked = self._mask_stored(session, tracker.sender_id)
                logger.debug("a request ended: %d stored events masked", masked)
            if not keep_raw and masked_events is None:
                masked_events = [mask_event(data) for data in new_events]
            rows = []
            for data, masked_data in zip(new_events, masked_events or new_events, strict=True):
                stored = data if keep_raw else masked_data
                rows.append(
                    {
                        "sender_id": tracker.sender_id,
                        "type_name": stored["event"],
                        "timestamp": stored.get("timestamp"),
                        "intent_name": stored.get("parse_data", {})
                        .get("intent", {})
                        .get(INTENT_NAME_KEY),
                        "action_name": stored.get("name"),
                        "data": json.dumps(stored),
                    }
                )
            if rows:
                # one INSERT for all of them, in order; the ORM built an object per row and
                # flushed them one by one (row 17: some 25 rows when a form ends)
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _mask_stored(self, session: Session, sender_id: str) -> int:
        """Rewrite the sender's stored events that still hold a number; return how many."""
        # each row's id and text, not an ORM object per row, by a statement built once, and
        # one UPDATE for the rows that change: the ORM's way was about a third slower
        connection = session.connection()
        changed = []
        for row_id, text in connection.execute(_TEXT_ROWS, {"sender_id": sender_id}):
            data = json.loads(text)
            masked = mask_event(data)
            if masked != data:
                changed.append({"row_id": row_id, "masked": json.dumps(masked)})
        if changed:
            connection.execute(_REWRITE, changed)
        return len(changed)

    async def _stream_new_events(
        self, event_broker: EventBroker, new_events: list[Event], sender_id: str
    ) -> None:
        """Publish the new events with phone and ID numbers masked."""
        publish(event_broker, sender_id, [mask_event(event.as_dict()) for event in new_events])


def publish(event_broker: EventBroker, sender_id: str, events: list[dict[str, Any]]) -> None:
    """Publish a turn's (masked) events: as one message where the broker can, else one each.

    Each body is the event as Rasa publishes it, with ``sender_id`` (row 37).
    """
    bodies = [{"sender_id": sender_id, **data} for data in events]
    publish_turn = getattr(event_broker, "publish_turn", None)
    if publish_turn is not None:
        publish_turn(bodies)
        return
    for body in bodies:
        event_broker.publish(body)


def install() -> None:
    """Let Rasa's fail-safe wrapper (``make run``) ask this store for a new conversation.

    ``Agent`` wraps the tracker store in ``FailSafeTrackerStore``, which makes and saves a
    new sender's tracker itself; handed to this store, the tracker is stored with its first
    turn instead (``MaskingSQLTrackerStore.create_tracker``). Any other store is left to
    the wrapper. Idempotent.
    """
    if getattr(FailSafeTrackerStore.create_tracker, "_yucai", False):
        return
    original = FailSafeTrackerStore.create_tracker

    async def create_tracker(
        self: FailSafeTrackerStore, sender_id: str, append_action_listen: bool = True
    ) -> DialogueStateTracker:
        inner = self._tracker_store
        if isinstance(inner, MaskingSQLTrackerStore):
            return await inner.create_tracker(sender_id, append_action_listen)
        return await original(self, sender_id, append_action_listen)

    create_tracker._yucai = True  # type: ignore[attr-defined]
    FailSafeTrackerStore.create_tracker = create_tracker
