"""Two Rasa instances taking tickets for one conversation at once lose none of them.

And a turn's ticket costs two round trips to Redis, in Rasa's own lock format.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.serving.lock_store import AtomicRedisLockStore


@pytest.fixture
def endpoint() -> EndpointConfig:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must test the lock store: Redis is not on 127.0.0.1:6379")
        pytest.skip("Redis is not listening on 127.0.0.1:6379")
    prefix = f"test{uuid.uuid4().hex[:10]}"  # keys of this test only, in the shared Redis
    return EndpointConfig(
        url="127.0.0.1", port=6379, db=1, key_prefix=prefix, socket_timeout=3,
        type="bot.serving.lock_store.AtomicRedisLockStore",
    )  # fmt: skip


def test_concurrent_tickets_from_two_instances_are_all_kept(endpoint: EndpointConfig) -> None:
    instances = [AtomicRedisLockStore(endpoint) for _ in range(2)]
    conversation = "web-race"
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(
            pool.map(lambda n: instances[n % 2].issue_ticket(conversation, 30), range(40))
        )
    assert sorted(tickets) == list(range(40))  # none issued twice
    lock = instances[0].get_lock(conversation)
    assert lock is not None and len(lock.tickets) == 40  # none lost
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda t: instances[t % 2].cleanup(conversation, t), tickets))
    assert instances[1].get_lock(conversation) is None  # the last one out removed it


def test_the_lock_serves_tickets_in_order(endpoint: EndpointConfig) -> None:
    store = AtomicRedisLockStore(endpoint)
    first, second = (store.issue_ticket("web-order", 30) for _ in range(2))
    lock = store.get_lock("web-order")
    assert lock is not None and not lock.is_locked(first) and lock.is_locked(second)
    store.cleanup("web-order", first)
    lock = store.get_lock("web-order")
    assert lock is not None and not lock.is_locked(second)
    store.cleanup("web-order", second)
    assert store.get_lock("web-order") is None


def test_an_uncontended_turn_takes_and_returns_its_ticket_in_two_round_trips(
    endpoint: EndpointConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each round trip was a blocking wait in the Rasa process's event loop (seven with
    # WATCH/MULTI: three to take the ticket, one to read the lock, three to return it)
    store = AtomicRedisLockStore(endpoint)
    store.red.ping()  # the connection is made, and the script loaded, before counting
    store.cleanup("web-warm", store.issue_ticket("web-warm", 30))
    sent: list[bytes] = []
    original = redis.connection.Connection.send_packed_command

    def counted(self: redis.connection.Connection, command: Any, check_health: bool = True) -> None:
        sent.append(b"".join(command) if isinstance(command, list) else command)
        original(self, command, check_health)

    monkeypatch.setattr(redis.connection.Connection, "send_packed_command", counted)

    async def turn() -> list[int]:
        async with store.lock("web-quick", 30) as lock:
            return [ticket.number for ticket in lock.tickets]

    assert asyncio.run(turn()) == [0]  # the lock it held was its own ticket's
    assert len(sent) == 2
    assert store.get_lock("web-quick") is None  # returned, and nobody waits: removed


def test_a_second_turn_of_a_conversation_waits_for_the_first(endpoint: EndpointConfig) -> None:
    store = AtomicRedisLockStore(endpoint)
    order: list[str] = []

    async def turn(name: str, hold: float) -> None:
        async with store.lock("web-queue", 30, wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    async def both() -> None:
        first = asyncio.create_task(turn("first", 0.3))
        await asyncio.sleep(0.05)
        await turn("second", 0)
        await first

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock("web-queue") is None


def test_locks_are_rasas_own_json_both_ways(endpoint: EndpointConfig) -> None:
    # an instance still on Rasa's store during a rolling upgrade shares locks with this one
    ours = AtomicRedisLockStore(endpoint)
    rasas = RedisLockStore(
        host="127.0.0.1", port=6379, db=1, key_prefix=endpoint.kwargs["key_prefix"]
    )
    assert rasas.issue_ticket("wechat-会话", 30) == 0
    assert ours.issue_ticket("wechat-会话", 30) == 1
    assert rasas.issue_ticket("wechat-会话", 30) == 2
    lock = rasas.get_lock("wechat-会话")
    assert lock is not None and lock.conversation_id == "wechat-会话"
    assert [t.number for t in lock.tickets] == [0, 1, 2]
    assert all(t.expires > time.time() + 20 for t in lock.tickets)
    ours.cleanup("wechat-会话", 0)
    lock = rasas.get_lock("wechat-会话")
    assert lock is not None and lock.now_serving == 1 and [t.number for t in lock.tickets] == [1, 2]


def test_expired_tickets_are_dropped_and_no_longer_hold_the_lock(endpoint: EndpointConfig) -> None:
    store = AtomicRedisLockStore(endpoint)
    stale = store.issue_ticket("web-stale", 0.05)  # a turn whose process died mid-way
    time.sleep(0.1)
    fresh = store.issue_ticket("web-stale", 30)
    lock = store.get_lock("web-stale")
    assert lock is not None and [t.number for t in lock.tickets] == [fresh]
    assert not lock.is_locked(fresh)
    store.cleanup("web-stale", stale)  # returning an expired ticket changes nothing
    store.cleanup("web-stale", fresh)
    assert store.get_lock("web-stale") is None
