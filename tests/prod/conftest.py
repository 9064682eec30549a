"""The production topology (``make run-prod``), started once for these tests, with fault proxies.

Rasa reaches its tracker database, Redis and RabbitMQ through proxies in this
process (tests/faults/proxy.py), and the action servers reach the backend
through one: a test can make a service unreachable, or lose an answer,
without touching the servers other developers share. Everything else is the
real thing: HAProxy, two Rasa instances, two action servers, a two-worker
backend, PostgreSQL, Redis, RabbitMQ.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from bot.channels.web_auth import WebChatSettings
from bot.launcher import ROOT
from bot.topology import Topology, missing_service
from tests.fake_wechat import FakeWeChatApi
from tests.fake_wechat import stack_env as wechat_env
from tests.faults.proxy import FaultProxy
from tests.support import free_port, running_topology

ARTIFACTS = ROOT / "var" / "test-results" / "prod"
#: a request number: random in production (HS20261129-4827K), sequential elsewhere
NUMBER = re.compile(r"\b[A-Z]{2}\d{8}-\d{4}[A-Z]?\b")
BUSY = "系统繁忙"


@dataclass
class Prod:
    """The running topology, its fault proxies and what users were told."""

    topology: Topology
    proxies: dict[str, FaultProxy]
    #: WeChat's servers (token and customer-service messages), played on 127.0.0.1
    wechat_api: FakeWeChatApi
    #: (sender, request number) for every number a user was shown
    told: list[tuple[str, str]] = field(default_factory=list)

    @property
    def signer(self) -> WebChatSettings:
        """Sign user tokens as the host site would (the REST channel is signed in production)."""
        return WebChatSettings.from_env(self.topology.env)

    def sender_id(self, user: str) -> str:
        """Return the conversation (and the requests' sender_id) of a signed-in ``user``."""
        return self.signer.user_sender_id(user)

    def say(self, sender: str, text: str, *, base: str | None = None, timeout: float = 30) -> str:
        """Send one REST message through HAProxy's internal listener; return the reply text.

        ``sender`` is the host site's user: the message carries a user token for
        it, and Rasa keys the conversation by ``sender_id(sender)``.
        """
        url = f"{base or self.topology.internal_url}/webhooks/rest/webhook"
        body = json.dumps({"sender": sender, "message": text}, ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.signer.sign_user_token(sender)}",
        }
        request = urllib.request.Request(url, body, headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            messages = json.loads(response.read())
        reply = "\n".join(m.get("text", "") for m in messages)
        for number in NUMBER.findall(reply):
            self.told.append((sender, number))
        return reply

    def timed_say(self, sender: str, text: str) -> tuple[str, float]:
        """Say something and measure how long the answer took."""
        started = time.monotonic()
        reply = self.say(sender, text)
        return reply, time.monotonic() - started

    def tracker(self, sender: str) -> dict[str, Any]:
        """Read a user's conversation through Rasa's HTTP API (internal listener, a JWT)."""
        url = f"{self.topology.internal_url}/conversations/{self.sender_id(sender)}/tracker"
        request = urllib.request.Request(url, headers=self.topology.rasa_headers("tests"))
        with urllib.request.urlopen(request, timeout=10) as response:
            return dict(json.loads(response.read()))

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Query the backend's database directly."""
        env = self.topology.env
        with psycopg2.connect(
            host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"], user="postgres",
            dbname=env["BACKEND_DB_NAME"],
        ) as conn, conn.cursor() as cursor:  # fmt: skip
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def event_backlog(self) -> float:
        """Tracker events both Rasa instances hold for RabbitMQ (their ``GET /metrics``)."""
        total = 0.0
        for n in (1, 2):
            request = urllib.request.Request(
                f"{self.topology.rasa_url(n)}/metrics",
                headers={"Authorization": f"Bearer {self.topology.env['METRICS_TOKEN']}"},
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read().decode()
            found = re.search(r"^yucai_event_broker_backlog (\S+)$", text, re.MULTILINE)
            assert found, "Rasa does not report its event backlog"
            total += float(found.group(1))
        return total

    def ready(self, url: str) -> tuple[int, dict[str, Any]]:
        """GET a /ready endpoint."""
        try:
            with urllib.request.urlopen(f"{url}/ready", timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")


def check_ledger(prod: Prod, log_dir: Path, secrets: tuple[str, ...]) -> None:
    """Nothing lost, nothing doubled, everything audited, nothing personal in the logs."""
    for sender, number in prod.told:  # every number a user was told exists exactly once
        found = prod.rows("select sender_id from service_request where number = %s", number)
        assert len(found) == 1, f"{number} told to {sender} exists {len(found)} times"
        assert found[0][0] == prod.sender_id(sender)
    doubled = prod.rows(
        "select idempotency_key from service_request group by idempotency_key having count(*) > 1"
    )
    assert doubled == [], "two requests share an idempotency key"
    unaudited = prod.rows(
        "select r.number from service_request r where not exists"
        " (select 1 from request_event e where e.request_id = r.id)"
    )
    assert unaudited == [], f"requests without an audit row: {unaudited}"
    changed = prod.rows(
        "select r.number from service_request r where r.status <> 'submitted' and not exists"
        " (select 1 from request_event e where e.request_id = r.id and e.to_status = r.status)"
    )
    assert changed == [], f"status changes without an audit row: {changed}"
    for path in log_dir.glob("*.log"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for secret in secrets:
            assert secret not in text, f"{path.name} shows a phone or ID number"


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prod]:
    """Start the topology once; skip (or fail under CI) without the shared services."""
    problem = missing_service()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the production topology: {problem}")
        pytest.skip(problem)
    env = dict(os.environ)
    proxies = {
        "tracker_db": FaultProxy(int(env.get("POSTGRES_PORT", "5432"))),
        "redis": FaultProxy(int(env.get("REDIS_PORT", "6379"))),
        "rabbitmq": FaultProxy(int(env.get("RABBITMQ_PORT", "5672"))),
    }
    backend_port = free_port()
    proxies["backend"] = FaultProxy(backend_port)
    log_dir = ARTIFACTS / "logs"
    for old in log_dir.glob("*.log"):
        old.unlink()
    extra = {
        "TRACKER_DB_PORT": str(proxies["tracker_db"].port),
        "REDIS_PORT": str(proxies["redis"].port),
        "RABBITMQ_PORT": str(proxies["rabbitmq"].port),
        "RABBITMQ_DIRECT_PORT": env.get("RABBITMQ_PORT", "5672"),  # for the cleanup
        "BACKEND_PORT": str(backend_port),
        # the actions reach the backend through its proxy (lost answers, kill after commit)
        "ACTIONS_BACKEND_URL": f"http://127.0.0.1:{proxies['backend'].port}",
    }
    wechat = wechat_env(tmp_path_factory.mktemp("wechat"))
    del wechat["WECHAT_STORE_URL"]  # the topology keeps it on Redis
    extra.update({**wechat, "WECHAT_REPLY_WITHIN_SECONDS": "4"})
    api_port = int(wechat["WECHAT_API_BASE_URL"].rsplit(":", 1)[1])
    try:
        with FakeWeChatApi(api_port) as api, running_topology(log_dir, "prod", extra) as topology:
            yield Prod(topology, proxies, api)
    finally:
        for proxy in proxies.values():
            proxy.close()
