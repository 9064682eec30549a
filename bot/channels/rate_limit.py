"""Chat turns per sender and per client address, limited with a polite Chinese reply.

An in-process sliding window: each Rasa process counts its own turns (with
several Rasa processes behind the production listener, the listener's own
per-address limit is the shared one; README: security). The limits come from
``CHAT_TURNS_PER_MINUTE`` (per sender) and ``CHAT_TURNS_PER_MINUTE_PER_ADDRESS``.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

SLOW_DOWN = "您发送得太快了，请稍等片刻再发。如需人工帮助，可以稍后回复“转人工”。"
WINDOW_SECONDS = 60.0
#: at most this many keys are remembered; the oldest are forgotten first
MAX_KEYS = 100_000


class TurnLimiter:
    """Allow at most ``limit`` turns per key within a minute."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._turns: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> int | None:
        """Count a turn for ``key``; return seconds to wait if it is over the limit, else None."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            turns = self._turns.pop(key, None) or deque()
            while turns and turns[0] <= now - WINDOW_SECONDS:
                turns.popleft()
            self._turns[key] = turns  # re-inserted last: dict order is recency
            if len(self._turns) > MAX_KEYS:
                self._turns.pop(next(iter(self._turns)))
            if len(turns) >= self.limit:
                return max(1, math.ceil(turns[0] + WINDOW_SECONDS - now))
            turns.append(now)
            return None


class ChatLimits:
    """The per-sender and per-address limiters of one channel."""

    def __init__(self, per_sender: int, per_address: int) -> None:
        self.sender = TurnLimiter(per_sender)
        self.address = TurnLimiter(per_address)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ChatLimits:
        """Read the limits (0 turns a limit off)."""
        env = os.environ if env is None else env
        return cls(
            per_sender=int(env.get("CHAT_TURNS_PER_MINUTE", "20") or 20),
            per_address=int(env.get("CHAT_TURNS_PER_MINUTE_PER_ADDRESS", "120") or 120),
        )

    def retry_after(self, *, sender: str, address: str | None) -> int | None:
        """Count a turn; return seconds to wait if the sender or the address is over its limit."""
        by_address = self.address.retry_after(address) if address else None
        by_sender = self.sender.retry_after(sender)
        waits = [wait for wait in (by_address, by_sender) if wait is not None]
        return max(waits) if waits else None
