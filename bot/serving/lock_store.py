"""Rasa's Redis lock store with every ticket change one atomic script, for several instances.

Rasa 3.6's ``RedisLockStore`` issues, updates and returns tickets as
GET → change → SET (RasaHQ/rasa#9213; the atomic version was reverted from
the open-source edition in PR #11428). Two instances taking tickets for the
same conversation at once can both read the same lock and one overwrites the
other's ticket: that message then waits for the whole lock lifetime, or two
turns of one conversation run at once.

Here each change is one Lua script that Redis runs atomically (``EVALSHA``):
no ticket is lost across instances, and a change costs one round trip. The
lock is Rasa's own JSON (``TicketLock.dumps``: a list of ticket JSON strings),
so Rasa's ``get_lock`` reads it and a lock written by Rasa's store is read
here. ``lock`` takes a ticket and learns in the same round trip whether it is
the one served; only a waiting turn polls as Rasa does. An uncontended turn
costs two round trips (take, return) instead of seven with ``WATCH``/``MULTI``
(three to take, one to read, three to return): on the production topology
each was a blocking wait on Redis in the Rasa process's event loop
(docs/performance.md, row 27).

Configured in ``deploy/endpoints.prod.yml`` as
``type: bot.serving.lock_store.AtomicRedisLockStore`` with the usual
``RedisLockStore`` keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

#: KEYS[1] the lock; ARGV: operation, now (the caller's clock, as Rasa's tickets use),
#: then "issue": lifetime, conversation id; "finish" / "cleanup": the ticket number.
#: Returns {the ticket issued (or -1), the ticket now served (or -1), the lock's JSON or false}.
#: A ticket has expired when now > expires (Rasa's ``Ticket.has_expired``).
_SCRIPT = """
local op, now = ARGV[1], tonumber(ARGV[2])
local raw = redis.call('GET', KEYS[1])
if not raw and op ~= 'issue' then return {-1, -1, false} end
local conversation_id, tickets = ARGV[4], {}
if raw then
  local lock = cjson.decode(raw)
  if type(lock.conversation_id) == 'string' then conversation_id = lock.conversation_id end
  for _, text in ipairs(lock.tickets or {}) do
    local ticket = cjson.decode(text)
    if not (now > ticket.expires) then table.insert(tickets, ticket) end
  end
end
local issued = -1
if op == 'issue' then
  issued = 0
  if #tickets > 0 then issued = tickets[#tickets].number + 1 end
  table.insert(tickets, {number = issued, expires = now + tonumber(ARGV[3])})
elseif op == 'finish' or op == 'cleanup' then
  local number = tonumber(ARGV[3])
  for i, ticket in ipairs(tickets) do
    if ticket.number == number then table.remove(tickets, i) break end
  end
  if op == 'cleanup' and #tickets == 0 then
    redis.call('DEL', KEYS[1])
    return {issued, -1, false}
  end
end
local texts = {}
for i, ticket in ipairs(tickets) do
  texts[i] = cjson.encode(string.format('{"number": %d, "expires": %.17g}',
                                        ticket.number, ticket.expires))
end
local encoded = '{"conversation_id": ' .. cjson.encode(conversation_id)
  .. ', "tickets": [' .. table.concat(texts, ', ') .. ']}'
redis.call('SET', KEYS[1], encoded)
local serving = -1
if #tickets > 0 then serving = tickets[1].number end
return {issued, serving, encoded}
"""


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket changes are single atomic scripts."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        """Build from the endpoint configuration, like Rasa's ``type: redis``."""
        kwargs: dict[str, Any] = dict(endpoint_config.kwargs)
        super().__init__(host=endpoint_config.url or "localhost", **kwargs)
        self._script = self.red.register_script(_SCRIPT)

    def _change(self, conversation_id: str, *args: Any) -> tuple[int, int, TicketLock | None]:
        issued, serving, raw = self._script(
            keys=[self.key_prefix + conversation_id], args=[args[0], repr(time.time()), *args[1:]]
        )
        lock = TicketLock.from_dict(json.loads(raw)) if raw else None
        return int(issued), int(serving), lock

    def _issue(self, conversation_id: str, lock_lifetime: float) -> tuple[int, int, TicketLock]:
        """Take the next ticket; return it, the ticket served, and the lock (Rasa's LockError)."""
        try:
            ticket, serving, lock = self._change(
                conversation_id, "issue", repr(float(lock_lifetime)), conversation_id
            )
        except Exception as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc
        assert lock is not None  # issuing always stores the lock
        return ticket, serving, lock

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Take the next ticket, atomically."""
        return self._issue(conversation_id, lock_lifetime)[0]

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``lock``, told in the ticket's own round trip whether the ticket is served."""
        ticket, serving, lock = self._issue(conversation_id, lock_lifetime)
        try:
            if serving == ticket:
                yield lock
            else:  # someone else's turn of this conversation runs: wait as Rasa waits
                yield await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        finally:
            self.cleanup(conversation_id, ticket)

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets, atomically."""
        self._change(conversation_id, "expire")

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Return a ticket, atomically."""
        self._change(conversation_id, "finish", int(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Return a ticket and delete the lock if nobody waits, in one atomic step."""
        self._change(conversation_id, "cleanup", int(ticket_number))
