"""Fixtures for action tests: a real backend over HTTP, trackers, a dispatcher."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import backend_client, settings
from bot.common.secrets import generated_env
from tests.support import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
BACKEND_PYTHON = ROOT / ".venv" / "backend" / "bin" / "python"
SECRETS = generated_env()
TOKEN = SECRETS["BACKEND_API_TOKEN"]


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Run the real backend with the console (its own venv, a fresh SQLite file) on a free port."""
    if not BACKEND_PYTHON.exists():
        pytest.skip("the backend environment is missing: run `make setup`")
    workdir = tmp_path_factory.mktemp("backend")
    port = free_port()
    db_path = workdir / "backend.db"
    env = {
        **os.environ,
        **SECRETS,  # the backend refuses weak secrets
        "DATABASE_URL": f"sqlite:///{db_path}",
        "BACKEND_HOST": "127.0.0.1",
        "BACKEND_PORT": str(port),
        # people answer round the clock here, so handoff tests do not depend on the hour
        "SERVICE_HOURS": "mon-sun 00:00-24:00",
    }
    subprocess.run(
        [str(BACKEND_PYTHON), "-m", "bot.backend.cli", "init-db"], cwd=ROOT, env=env, check=True
    )
    log = open(workdir / "backend.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [str(BACKEND_PYTHON), "-m", "bot.server"],  # with the console (agents sign in)
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health")
        yield {"url": url, "token": TOKEN, "db_path": db_path, "port": port}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def client_settings(backend: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the actions' settings and client at the test backend."""
    monkeypatch.setenv("BACKEND_URL", backend["url"])
    monkeypatch.setenv("BACKEND_API_TOKEN", backend["token"])
    settings.get_settings.cache_clear()
    backend_client.get_client.cache_clear()
    yield
    settings.get_settings.cache_clear()
    backend_client.get_client.cache_clear()


@pytest.fixture
def offline_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point the actions at a port where nothing listens (the backend is down)."""
    monkeypatch.setenv("BACKEND_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("BACKEND_CONNECT_TIMEOUT", "0.5")
    settings.get_settings.cache_clear()
    backend_client.get_client.cache_clear()
    yield
    settings.get_settings.cache_clear()
    backend_client.get_client.cache_clear()


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """Return the project's domain as the SDK sees it."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """Return a dispatcher that collects what the action says."""
    return CollectingDispatcher()


def make_tracker(
    slots: dict[str, Any] | None = None,
    *,
    text: str = "",
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
    set_this_turn: dict[str, Any] | None = None,
    channel: str = "rest",
    sender_id: str = "test-user",
) -> Tracker:
    """Build a tracker: `set_this_turn` are slots set since the latest user message."""
    set_this_turn = set_this_turn or {}
    all_slots = {**(slots or {}), **set_this_turn}
    events: list[dict[str, Any]] = [
        {
            "event": "user",
            "text": text,
            "parse_data": {"intent": {"name": intent}},
            "input_channel": channel,
        },
        *({"event": "slot", "name": k, "value": v} for k, v in set_this_turn.items()),
    ]
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": active_loop} if active_loop else {},
        latest_action_name="action_listen",
    )


def texts(dispatcher: CollectingDispatcher) -> list[str]:
    """Return every text (or response name) the dispatcher collected."""
    return [m.get("text") or m.get("response") or "" for m in dispatcher.messages]
