"""Start each thing the bench measures on free ports and fresh data, and stop it again.

- the echo server (the ceiling) and the stock ``rasa init`` bot: one process each;
- Yucai as ``make run`` starts it (``bot.launcher.Stack``: backend, actions, Rasa on SQLite);
- Yucai's production topology (``bot.topology``, ``make run-prod``) on this machine's
  PostgreSQL, Redis and RabbitMQ, with databases, queue and Redis prefix of its own,
  reached through HAProxy's internal listener with signed REST senders.

Everything binds 127.0.0.1 and gets its own secrets, so a running ``make run`` or
another developer's tests are never touched. ``tests/support.py`` starts the same
two Yucai shapes for the tests; this module may not import the tests, hence the
few lines of settings said twice.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.bench.load import Webhook
from bot.channels.web_auth import WebChatSettings
from bot.common.secrets import generated_env
from bot.launcher import (
    BACKEND_BIN,
    RASA_BIN,
    ROOT,
    Service,
    Stack,
    default_env,
    endpoints_with_tracker_db,
)
from bot.topology import Topology, prod_env

Headers = Callable[[], dict[str, str]]
#: what every server of the bench shares: one TF thread, no telemetry, no chat limits
#: (M3 is 200 turns of one sender; the limits protect users, they cost nothing here)
COMMON_ENV = {
    "TF_INTRA_OP_PARALLELISM_THREADS": "1",
    "TF_INTER_OP_PARALLELISM_THREADS": "1",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "RASA_TELEMETRY_ENABLED": "false",
    "SANIC_HOST": "127.0.0.1",
    "CHAT_TURNS_PER_MINUTE": "0",
    "CHAT_TURNS_PER_MINUTE_PER_ADDRESS": "0",
    "SERVICE_HOURS": "mon-sun 00:00-24:00",
    "PYTHONDONTWRITEBYTECODE": "1",
}


@dataclass
class Running:
    """A started target: its webhook, when it was launched, and the processes to weigh."""

    name: str
    hook: Webhook
    launched_at: float
    rasa_pids: list[int]
    processes: dict[str, int] = field(default_factory=dict)
    parse_url: str | None = None
    parse_headers: Headers = dict


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _process(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    log.parent.mkdir(parents=True, exist_ok=True)
    out: IO[bytes] = open(log, "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        out.close()


@contextmanager
def echo(log_dir: Path, base_env: dict[str, str]) -> Iterator[Running]:
    """Start the sanic echo server (bot/bench/echo.py)."""
    port = free_port()
    command = [str(RASA_BIN / "python"), "-m", "bot.bench.echo", str(port)]
    launched = time.monotonic()
    with _process(command, cwd=ROOT, env=base_env, log=log_dir / "echo.log") as process:
        hook = Webhook(f"http://127.0.0.1:{port}/webhooks/rest/webhook")
        yield Running("echo", hook, launched, [process.pid], {"echo": process.pid})


@contextmanager
def stock(log_dir: Path, base_env: dict[str, str], project: Path, model: Path) -> Iterator[Running]:
    """Start the stock ``rasa init`` bot as shipped (in-memory trackers, API without auth)."""
    port = free_port()
    command = [str(RASA_BIN / "rasa"), "run", "--enable-api", "--interface", "127.0.0.1",
               "--port", str(port), "--model", str(model)]  # fmt: skip
    launched = time.monotonic()
    with _process(command, cwd=project, env=base_env, log=log_dir / "stock.log") as process:
        base = f"http://127.0.0.1:{port}"
        yield Running(
            "stock", Webhook(f"{base}/webhooks/rest/webhook"), launched, [process.pid],
            {"rasa": process.pid}, parse_url=f"{base}/model/parse",
        )  # fmt: skip


def _yucai_env(base_env: dict[str, str]) -> dict[str, str]:
    env = default_env()
    env.update(base_env)
    env.update({**generated_env(), **COMMON_ENV})
    return env


@contextmanager
def yucai(workdir: Path, log_dir: Path, base_env: dict[str, str], model: Path) -> Iterator[Running]:
    """Start Yucai as ``make run`` does, on free ports with fresh SQLite databases."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = _yucai_env(base_env)
    action_port = free_port()
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
            "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "WECHAT_STORE_URL": f"sqlite:///{workdir / 'wechat.db'}",
            "BACKEND_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(action_port),
            "RASA_PORT": str(free_port()),
        }
    )
    env["BACKEND_URL"] = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    # make run's endpoints.yml, on this stack's action port and tracker database
    endpoints = endpoints_with_tracker_db(workdir / "endpoints.yml", workdir / "tracker.db")
    stack = Stack(env=env, model=model, endpoints=endpoints, log_dir=log_dir)
    stack.prepare_backend()
    launched = time.monotonic()
    try:
        stack.start()
        pids = {s.name: s.process.pid for s in stack.services if s.process is not None}
        yield Running(
            "yucai", Webhook(f"{stack.rasa_url}/webhooks/rest/webhook"), launched,
            [pids["rasa"]], pids, parse_url=f"{stack.rasa_url}/model/parse",
            parse_headers=stack.rasa_headers,
        )  # fmt: skip
    finally:
        _terminate_all(stack.services)
        stack.stop()


def _prod_settings(base_env: dict[str, str]) -> dict[str, str]:
    run = f"bench_{uuid.uuid4().hex[:8]}"
    ports = ("BACKEND_PORT", "YUCAI_PUBLIC_PORT", "YUCAI_INTERNAL_PORT", "ACTION_LB_PORT",
             "HAPROXY_STATS_PORT", "RASA_PORT_1", "RASA_PORT_2", "ACTION_SERVER_PORT_1",
             "ACTION_SERVER_PORT_2")  # fmt: skip
    env = _yucai_env(base_env)
    env.update({name: str(free_port()) for name in ports})
    env.update(
        {
            "BACKEND_DB_NAME": f"yucai_{run}",
            "TRACKER_DB_NAME": f"yucai_{run}_rasa",
            "REDIS_KEY_PREFIX": run.replace("_", ""),
            "RABBITMQ_QUEUE": f"yucai_events_{run}",
            "RABBITMQ_EXCHANGE": f"yucai-events-{run}",
        }
    )
    return prod_env(env)


@contextmanager
def yucai_prod(log_dir: Path, base_env: dict[str, str], model: Path) -> Iterator[Running]:
    """Start the production topology on fresh databases; drop them afterwards."""
    env = _prod_settings(base_env)
    topology = Topology(env=env, model=model, log_dir=log_dir)
    try:
        topology.provision()
        launched = time.monotonic()
        topology.start()
        signer = WebChatSettings.from_env(env)
        hook = Webhook(
            f"{topology.internal_url}/webhooks/rest/webhook",
            headers=lambda sender: {"Authorization": f"Bearer {signer.sign_user_token(sender)}"},
        )
        pids = {s.name: s.process.pid for s in topology.services if s.process is not None}
        yield Running(
            "yucai_prod", hook, launched, [pids["rasa1"], pids["rasa2"]], pids,
            parse_url=f"{topology.internal_url}/model/parse",
            parse_headers=lambda: topology.rasa_headers("bench"),
        )  # fmt: skip
    finally:
        _terminate_all(topology.services)
        topology.stop()
        _drop_prod_data(topology.env)


def _terminate_all(services: list[Service]) -> None:
    """Ask every process to stop at once: stopping them one by one can outlast ``timeout``."""
    for service in services:
        if service.process is not None and service.process.poll() is None:
            service.process.terminate()


def _drop_prod_data(env: dict[str, str]) -> None:
    for database in (env["BACKEND_DB_NAME"], env["TRACKER_DB_NAME"]):
        subprocess.run(
            [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "provision-postgres",
             "--role", "unused", "--database", database, "--drop"],
            cwd=ROOT, env=env, check=False, capture_output=True, timeout=60,
        )  # fmt: skip
    import aio_pika  # Rasa's environment has it (its event broker)

    async def drop() -> None:
        connection = await aio_pika.connect(
            host=env["RABBITMQ_HOST"], port=int(env["RABBITMQ_PORT"]),
            login=env["RABBITMQ_USER"], password=env["RABBITMQ_PASSWORD"], timeout=10,
        )  # fmt: skip
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(env["RABBITMQ_QUEUE"])
            await channel.exchange_delete(env["RABBITMQ_EXCHANGE"])

    try:
        asyncio.run(drop())
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the figures
        print(f"bench: could not remove the run's RabbitMQ queue: {exc!r}")
