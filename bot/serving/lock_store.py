"""Rasa's Redis lock store with every read-modify-write made atomic, for several instances.

Rasa 3.6's ``RedisLockStore`` issues, updates and returns tickets as
GET → change → SET (RasaHQ/rasa#9213; the atomic version was reverted from
the open-source edition in PR #11428). Two instances taking tickets for the
same conversation at once can both read the same lock and one overwrites the
other's ticket: that message then waits for the whole lock lifetime, or two
turns of one conversation run at once. Here each change runs under Redis
``WATCH``/``MULTI`` and is retried if the lock changed meanwhile, so tickets
are never lost across instances.

Configured in ``deploy/endpoints.prod.yml`` as
``type: bot.serving.lock_store.AtomicRedisLockStore`` with the usual
``RedisLockStore`` keys.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import WatchError

T = TypeVar("T")
#: a change that reads the current lock (or None) and returns the new one (None: delete)
Change = Callable[[TicketLock | None], tuple[TicketLock | None, T]]
MAX_ATTEMPTS = 50


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are transactions (optimistic, retried)."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """Build from the endpoint configuration, like Rasa's ``type: redis``."""
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs)
        super().__init__(host=endpoint_config.url or "localhost", **kwargs)

    def _transact(self, conversation_id: str, change: Change[T]) -> T:
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(current)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except WatchError:
                    continue  # another instance changed the lock: read it again
        raise LockError(f"lock of '{conversation_id}' kept changing; gave up")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Take the next ticket, atomically."""

        def take(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, take)
        except LockError:
            raise
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets, atomically."""

        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Return a ticket, atomically."""

        def done(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transact(conversation_id, done)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return a ticket and delete the lock if nobody waits, in one transaction."""

        def done(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._transact(conversation_id, done)
