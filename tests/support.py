"""Small helpers shared by the test layers that start real processes."""

from __future__ import annotations

import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.common.secrets import generated_env
from bot.launcher import ROOT, Stack, default_env

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
            **extra_env,
        }
    )
    env["BACKEND_URL"] = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        '  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n',
        encoding="utf-8",
    )
    stack = Stack(env=env, model=MODEL, endpoints=endpoints, log_dir=log_dir)
    stack.prepare_backend()
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
