"""Drive a webhook over HTTP: sequential turns (M1), one long conversation (M3), a sweep (M2).

An asyncio client on aiohttp (Rasa's environment already has it): one task per
connection, each talking whole conversations in a row, a new sender per
conversation. Every loop is bounded in count and in time; every request has a
timeout. A turn fails on a non-200, a body that is not a list, an empty or
"busy" reply, or a reply without what its step expects.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.bench.scripts import Conversation, Step
from bot.bench.stats import Level, summarise

REQUEST_TIMEOUT_S = 30.0
#: what Yucai says when a turn failed inside (bot/serving): a failure, not an answer
BUSY = "系统繁忙"


@dataclass
class Webhook:
    """Where to send turns and how to sign each sender's messages."""

    url: str
    headers: Callable[[str], dict[str, str]] = lambda _sender: {}
    sender_prefix: str = "bench"

    def new_sender(self) -> str:
        """Return a sender id nobody has used."""
        return f"{self.sender_prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class Tally:
    """Every turn sent to one target, and the first few failures, for the report."""

    turns: int = 0
    errors: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)

    def failed(self, reason: str, step: Step, detail: str) -> None:
        """Count a failure and keep a few examples."""
        self.errors += 1
        self.reasons[reason] += 1
        if len(self.samples) < 5:
            self.samples.append({"reason": reason, "said": step.text, "detail": detail[:200]})

    def as_dict(self) -> dict[str, Any]:
        """Return the tally as JSON-ready data."""
        return {
            "turns": self.turns,
            "errors": self.errors,
            "reasons": dict(self.reasons),
            "samples": self.samples,
        }


async def turn(
    http: aiohttp.ClientSession, hook: Webhook, sender: str, step: Step, tally: Tally
) -> float | None:
    """Send one message; return its latency in ms, or None (counted) when it failed."""
    body = {"sender": sender, "message": step.text}
    tally.turns += 1
    started = time.perf_counter()
    try:
        async with http.post(hook.url, json=body, headers=hook.headers(sender)) as response:
            raw = await response.read()
            elapsed = (time.perf_counter() - started) * 1000
            status = response.status
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        tally.failed("connection", step, repr(exc))
        return None
    if status != 200:
        tally.failed(f"http {status}", step, raw.decode("utf-8", "replace"))
        return None
    try:
        messages = json.loads(raw)
        reply = "\n".join(str(m.get("text", "")) for m in messages)
    except (ValueError, AttributeError, TypeError):
        tally.failed("not a list of messages", step, raw.decode("utf-8", "replace"))
        return None
    if BUSY in reply or (step.must_answer and not reply.strip()):
        tally.failed("empty or busy reply", step, reply)
        return None
    if step.expect and not re.search(step.expect, reply):
        tally.failed("unexpected reply", step, reply)
        return None
    return elapsed


def _session(connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    return aiohttp.ClientSession(connector=connector, timeout=timeout)


async def sequential(
    hook: Webhook,
    conversations: Iterator[Conversation],
    tally: Tally,
    *,
    turns: int,
    seconds: float,
) -> dict[str, Any]:
    """Talk conversations one turn at a time (M1): at most ``turns`` turns or ``seconds``."""
    by_kind: dict[str, list[float]] = {}
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    async with _session(1) as http:
        while len(latencies) < turns and time.monotonic() < deadline:
            sender = hook.new_sender()
            for step in next(conversations):
                if len(latencies) >= turns or time.monotonic() >= deadline:
                    break
                elapsed = await turn(http, hook, sender, step, tally)
                if elapsed is None:
                    break  # the rest of this conversation would make no sense
                latencies.append(elapsed)
                by_kind.setdefault(step.kind, []).append(elapsed)
    summary = summarise(latencies).as_dict()
    if summary["p50_ms"]:
        summary["p99_over_p50"] = summary["p99_ms"] / summary["p50_ms"]
    summary["by_kind"] = {kind: summarise(values).as_dict() for kind, values in by_kind.items()}
    return summary


async def one_conversation(
    hook: Webhook, steps: Sequence[Step], tally: Tally, *, turns: int, seconds: float
) -> list[float]:
    """Send ``turns`` messages (the steps in a cycle) as one sender (M3); stop at ``seconds``."""
    sender = hook.new_sender()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    async with _session(1) as http:
        for step in itertools.islice(itertools.cycle(steps), turns):
            if time.monotonic() >= deadline:
                break
            elapsed = await turn(http, hook, sender, step, tally)
            if elapsed is not None:
                latencies.append(elapsed)
    return latencies


async def level(
    hook: Webhook,
    conversations: Callable[[], Conversation],
    tally: Tally,
    *,
    connections: int,
    seconds: float,
    warmup: float,
) -> Level:
    """Keep ``connections`` conversations going for ``warmup`` + ``seconds``; time the window."""
    started = time.monotonic()
    window_start, window_end = started + warmup, started + warmup + seconds
    latencies: list[float] = []
    errors_in_window = 0

    async def user(http: aiohttp.ClientSession) -> None:
        nonlocal errors_in_window
        while time.monotonic() < window_end:
            sender = hook.new_sender()
            for step in conversations():
                if time.monotonic() >= window_end:
                    return
                elapsed = await turn(http, hook, sender, step, tally)
                now = time.monotonic()
                in_window = window_start <= now <= window_end
                if elapsed is None:
                    errors_in_window += in_window
                    break
                if in_window:
                    latencies.append(elapsed)

    async with _session(connections) as http:
        await asyncio.gather(*(user(http) for _ in range(connections)))
    summary = summarise(latencies, errors_in_window)
    return Level(
        connections=connections,
        seconds=seconds,
        turns=summary.turns,
        errors=errors_in_window,
        p50_ms=summary.p50_ms,
        p99_ms=summary.p99_ms,
    )


def first_answer(hook: Webhook, step: Step, *, since: float, timeout: float) -> float:
    """Poll the webhook until it gives a real answer; return seconds since ``since`` (M4)."""
    deadline = time.monotonic() + timeout
    sender = hook.new_sender()
    body = json.dumps({"sender": sender, "message": step.text}, ensure_ascii=False).encode()
    while time.monotonic() < deadline:
        headers = {"Content-Type": "application/json", **hook.headers(sender)}
        request = urllib.request.Request(hook.url, body, headers)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
                messages = json.loads(response.read())
            if any(str(m.get("text", "")).strip() for m in messages):
                return time.monotonic() - since
        except (urllib.error.URLError, OSError, ValueError, AttributeError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"no answer from {hook.url} within {timeout:.0f} s")
