"""Small helpers shared by the test layers that start real processes."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.common.secrets import generated_env
from bot.launcher import BACKEND_BIN, ROOT, Stack, default_env, endpoints_with_tracker_db
from bot.topology import Topology, prod_env

MODEL = ROOT / "models" / "yucai.tar.gz"


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, timeout: float = 30) -> None:
    """Poll a URL until it answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(url)


@contextmanager
def running_stack(
    workdir: Path, log_dir: Path, name: str, extra_env: dict[str, str]
) -> Iterator[Stack]:
    """Start backend, action server and Rasa with the trained model on free ports."""
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does it)")
    env = default_env()
    action_port = free_port()
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
            "BACKEND_PORT": str(free_port()),
            "ACTION_SERVER_PORT": str(action_port),
            "RASA_PORT": str(free_port()),
            # every stack has its own secrets (placeholders would not start)
            **generated_env(),
            "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            # every test talks from 127.0.0.1: the per-address limit would count them all
            "CHAT_TURNS_PER_MINUTE_PER_ADDRESS": "100000",
            "SANIC_HOST": "127.0.0.1",
            # people answer chat handoffs round the clock in the tests (issue 5)
            "SERVICE_HOURS": "mon-sun 00:00-24:00",
            # a loaded CI machine can take minutes to load the model
            "STARTUP_TIMEOUT": "600",
            **extra_env,
        }
    )
    env["BACKEND_URL"] = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    # make run's endpoints.yml (its tracker store masks numbers once their request ends)
    endpoints = endpoints_with_tracker_db(workdir / "endpoints.yml", workdir / "tracker.db")
    stack = Stack(env=env, model=MODEL, endpoints=endpoints, log_dir=log_dir)
    stack.prepare_backend()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@contextmanager
def running_topology(
    log_dir: Path, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[Topology]:
    """Start the production topology (``make run-prod``) on free ports and fresh databases.

    The backend and tracker databases are new for this run (other developers
    share the PostgreSQL server) and dropped afterwards; Redis keys carry a
    prefix of this run. ``extra_env`` may point a service elsewhere (a fault proxy).
    """
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does it)")
    run = f"{name}_{uuid.uuid4().hex[:8]}"
    env = default_env()
    env.update(
        {
            "BACKEND_PORT": str(free_port()),
            "YUCAI_PUBLIC_PORT": str(free_port()),
            "YUCAI_INTERNAL_PORT": str(free_port()),
            "ACTION_LB_PORT": str(free_port()),
            "HAPROXY_STATS_PORT": str(free_port()),
            "RASA_PORT_1": str(free_port()),
            "RASA_PORT_2": str(free_port()),
            "ACTION_SERVER_PORT_1": str(free_port()),
            "ACTION_SERVER_PORT_2": str(free_port()),
            "BACKEND_DB_NAME": f"yucai_{run}",
            "TRACKER_DB_NAME": f"yucai_{run}_rasa",
            "REDIS_KEY_PREFIX": run.replace("_", ""),
            "RABBITMQ_QUEUE": f"yucai_events_{run}",
            "RABBITMQ_EXCHANGE": f"yucai-events-{run}",
            # every run has its own secrets (placeholders would not start)
            **generated_env(),
            # every test talks from 127.0.0.1: the per-address limit would count them all
            "CHAT_TURNS_PER_MINUTE_PER_ADDRESS": "100000",
            "SERVICE_HOURS": "mon-sun 00:00-24:00",
            "STARTUP_TIMEOUT": "600",
            **(extra_env or {}),
        }
    )
    topology = Topology(env=prod_env(env), model=MODEL, log_dir=log_dir)
    try:
        topology.provision()
        topology.start()
        yield topology
    finally:
        topology.stop()
        for database in (env["BACKEND_DB_NAME"], env["TRACKER_DB_NAME"]):
            subprocess.run(
                [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "provision-postgres",
                 "--role", "unused", "--database", database, "--drop"],
                cwd=ROOT, env=topology.env, check=False, capture_output=True,
            )  # fmt: skip
        drop_broker_objects(topology.env)


def drop_broker_objects(env: dict[str, str]) -> None:
    """Delete a test run's RabbitMQ queue and exchange (the server is shared)."""
    import asyncio

    import aio_pika  # the Rasa environment's; tests that start a topology run there

    port = int(env.get("RABBITMQ_DIRECT_PORT") or env["RABBITMQ_PORT"])

    async def drop() -> None:
        connection = await aio_pika.connect(
            host=env["RABBITMQ_HOST"], port=port,
            login=env["RABBITMQ_USER"], password=env["RABBITMQ_PASSWORD"], timeout=10,
        )  # fmt: skip
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(env["RABBITMQ_QUEUE"])
            await channel.exchange_delete(env["RABBITMQ_EXCHANGE"])

    try:
        asyncio.run(drop())
    except Exception as exc:  # noqa: BLE001 - cleanup must not hide the test's outcome
        print(f"could not remove the test's RabbitMQ queue: {exc!r}")


def start_until_running(
    command: list[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> tuple[subprocess.Popen[str], list[str]]:
    """Start the launcher (or `make run`) in its own session; read its output until it runs."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, text=True,
    )  # fmt: skip
    output: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()  # type: ignore[union-attr]
        output.append(line)
        if "is running" in line or process.poll() is not None:
            break
    return process, output
