"""Agent accounts are made by an operator command; passwords never go on the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot.backend.cli`` as an operator would."""
    return subprocess.run(
        [sys.executable, "-m", "bot.backend.cli", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_create_list_reset_and_disable_an_agent(sqlite_template: Path, tmp_path: Path) -> None:
    db = tmp_path / "ops.db"
    db.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{db}"
    created = cli(
        "create-agent",
        "li",
        "--name",
        "李老师",
        "--teams",
        "housing,schooling",
        "--password-stdin",
        database_url=url,
        stdin="a-long-enough-secret\n",
    )
    assert created.returncode == 0, created.stderr
    assert "li" in created.stdout and "a-long-enough-secret" not in created.stdout
    stored = (
        create_engine(url).connect().execute(text("SELECT password_hash, teams FROM agent")).one()
    )
    assert stored[0].startswith("scrypt$") and "a-long-enough-secret" not in stored[0]
    twice = cli(
        "create-agent", "li", "--password-stdin", database_url=url, stdin="a-long-enough-secret\n"
    )
    assert twice.returncode == 1 and "已存在" in twice.stderr
    weak = cli("set-agent-password", "li", "--password-stdin", database_url=url, stdin="123\n")
    assert weak.returncode == 1 and "密码至少" in weak.stderr
    assert cli("disable-agent", "li", database_url=url).returncode == 0
    listed = cli("list-agents", database_url=url)
    assert "li\t李老师\tagent\thousing,schooling\t停用" in listed.stdout
