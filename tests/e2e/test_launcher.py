"""`make run`'s launcher starts all three processes and Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import sys
import urllib.request

import pytest

from bot.common.secrets import generated_env
from bot.launcher import ROOT
from tests.support import MODEL, free_port, start_until_running


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


def test_ctrl_c_stops_every_process(tmp_path: pytest.TempPathFactory) -> None:
    ports = {
        "BACKEND_PORT": free_port(),
        "ACTION_SERVER_PORT": free_port(),
        "RASA_PORT": free_port(),
    }
    env = {
        **os.environ,
        **{k: str(v) for k, v in ports.items()},
        "DATABASE_URL": f"sqlite:///{tmp_path}/backend.db",  # type: ignore[operator]
        "BACKEND_URL": f"http://127.0.0.1:{ports['BACKEND_PORT']}",
        # the stack brings its own secrets, so the launcher writes no .env here
        **generated_env(),
    }
    endpoints = tmp_path / "endpoints.yml"  # type: ignore[operator]
    endpoints.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{ports["ACTION_SERVER_PORT"]}/webhook"\n'
        '  headers:\n    Authorization: Bearer ${ACTION_SERVER_TOKEN}\n',
        encoding="utf-8",
    )
    process, output = start_until_running(
        [
            sys.executable,
            "-m",
            "bot.launcher",
            "--model",
            str(MODEL),
            "--endpoints",
            str(endpoints),
        ],
        cwd=ROOT,
        env=env,
        timeout=240,
    )
    try:
        assert any("is running" in line for line in output), "".join(output[-40:])
        urls = [
            f"http://127.0.0.1:{ports['BACKEND_PORT']}/health",
            f"http://127.0.0.1:{ports['ACTION_SERVER_PORT']}/health",
            f"http://127.0.0.1:{ports['RASA_PORT']}/",
        ]
        assert all(answers(url) for url in urls)

        os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
        process.communicate(timeout=60)
        assert process.returncode == 0
        assert not any(answers(url) for url in urls)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
