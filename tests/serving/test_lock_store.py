"""Two Rasa instances taking tickets for one conversation at once lose none of them."""

from __future__ import annotations

import os
import socket
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
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
