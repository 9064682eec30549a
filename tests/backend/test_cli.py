"""The operator commands, run as a separate process like an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.backend.cli import build_parser
from bot.common.secrets import generated_env

ROOT = Path(__file__).resolve().parents[2]
SECRETS = generated_env()


def run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.backend.cli`` in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "bot.backend.cli", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def free_port() -> int:
    """Find a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_init_db_works_from_any_directory_and_twice(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "sqlite:///var/yucai.db"}  # relative to the cwd
    first = run_cli("init-db", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "区县：新增 40" in first.stdout
    assert "样例医院 12 家" in first.stdout
    assert (tmp_path / "var" / "yucai.db").is_file()
    second = run_cli("init-db", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "区县：新增 0，更新 0" in second.stdout
    assert "未导入样例医院" in second.stdout


def test_import_of_a_bad_file_exits_1_with_the_reason(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    assert run_cli("init-db", cwd=tmp_path, env=env).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,short_names,district,departments,green_channel_24h,is_sample\n"
        "x_h,某医院,,火星区,儿科,true,true\n",
        encoding="utf-8",
    )
    result = run_cli("import-hospitals", str(bad), cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "bad.csv 第 2 行：未知区县“火星区”" in result.stderr
    assert "Traceback" not in result.stderr


def test_subcommands_are_required() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args([])


@pytest.fixture
def served(ready_database_url: str, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """Run ``serve`` on a free port; yield its URL and its log file."""
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": ready_database_url,
        "BACKEND_PORT": str(port),
        **SECRETS,
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.backend.cli", "serve"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log_path.read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "serve did not answer in time"
                time.sleep(0.2)
            yield url, log_path
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_serve_answers_on_localhost_and_masks_its_logs(served: tuple[str, Path]) -> None:
    url, log_path = served
    headers = {"Authorization": f"Bearer {SECRETS['BACKEND_API_TOKEN']}"}
    assert httpx.get(f"{url}/api/v1/reference/school-stages", headers=headers).status_code == 200
    missing = httpx.post(
        f"{url}/api/v1/requests/HS13812345678/cancel", json={"phone_last4": "5678"}, headers=headers
    )
    assert missing.status_code == 404
    time.sleep(0.3)  # let the access log line reach the file
    log = log_path.read_text(encoding="utf-8")
    assert "Uvicorn running on http://127.0.0.1:" in log
    assert "GET /api/v1/reference/school-stages" in log
    assert "13812345678" not in log and "138****5678" in log
    assert "Logging error" not in log


def test_serve_refuses_to_start_on_an_empty_database(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
        "BACKEND_PORT": str(free_port()),
        **SECRETS,
    }
    result = run_cli("serve", cwd=tmp_path, env=env)
    assert result.returncode != 0
    assert "init-db" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("BACKEND_API_TOKEN", "", "未设置 / is not set"),
        ("BACKEND_API_TOKEN", "dev-backend-token", "placeholder"),
        ("RASA_API_TOKEN", "generated-by-make-run", "placeholder"),
        ("ID_NUMBER_KEY", "short-but-not-a-placeholder", "too short"),
        ("METRICS_TOKEN", "generated-by-make-run", "placeholder"),
    ],
)
def test_serve_refuses_weak_secrets(tmp_path: Path, name: str, value: str, reason: str) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "BACKEND_PORT": str(free_port()),
        **SECRETS,
        name: value,
    }
    result = run_cli("serve", cwd=tmp_path, env=env)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("拒绝启动") and name in line and reason in line
    assert "Traceback" not in result.stderr
