"""`make run` on a fresh clone: no .env yet, so it generates the secrets and starts.

The clone reuses this checkout's virtualenvs, chat widget and model through
symlinks (installing them again would take minutes and proves nothing new):
its files are dated back so make sees them as up to date. What is new is
everything `make run` owns: the `.env` it writes, the databases under `var/`
and the three processes it starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from bot.common import secrets as secret_rules
from bot.launcher import ROOT
from tests.support import MODEL, free_port, start_until_running

OLD = "200001010000"


def fresh_clone(target: Path) -> Path:
    """Clone this checkout's HEAD and link in what `make setup web train` would build."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    subprocess.run(["find", str(target), "-path", f"{target}/.git", "-prune", "-o",
                    "-exec", "touch", "-h", "-t", OLD, "{}", "+"], check=True)  # fmt: skip
    for name in (".venv", "node_modules", "models"):
        (target / name).symlink_to(ROOT / name)
    return target


def post(url: str, body: dict[str, str]) -> list[dict[str, str]]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make test trains it)")
def test_make_run_on_a_fresh_clone_generates_secrets_and_starts(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path / "yucai")
    assert not (clone / ".env").exists()
    ports = {name: str(free_port()) for name in ("BACKEND_PORT", "ACTION_SERVER_PORT", "RASA_PORT")}
    env = {key: value for key, value in os.environ.items() if key not in secret_rules.SECRETS}
    env.update(ports)
    env["BACKEND_URL"] = f"http://127.0.0.1:{ports['BACKEND_PORT']}"
    env["STARTUP_TIMEOUT"] = "600"  # a loaded CI machine loads the model slowly
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    process, output = start_until_running(
        ["make", "--no-print-directory", "run"], cwd=clone, env=env, timeout=900
    )
    try:
        (tmp_path / "make-run.log").write_text("".join(output), encoding="utf-8")
        log = "".join(line for line in output if "rror" in line or "Traceback" in line)[-3000:]
        assert any("is running" in line for line in output), log
        assert not any("rasa train" in line for line in output), "the linked model was retrained"
        assert any("generated into .env" in line for line in output), log

        written = secret_rules.read_env_file(clone / ".env")
        assert set(secret_rules.SECRETS) <= set(written)
        for name in secret_rules.SECRETS:
            assert secret_rules.weakness(name, written[name]) is None, name
        assert (clone / ".env").stat().st_mode & 0o077 == 0, "readable by its owner only"
        # not the values of this checkout's own .env (no two installations share a secret)
        mine = secret_rules.read_env_file(ROOT / ".env")
        assert not {written[name] for name in secret_rules.SECRETS} & set(mine.values())

        reply = post(
            f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/rest/webhook",
            {"sender": "fresh-clone", "message": "人才公寓怎么申请"},
        )
        assert reply and any(message.get("text") for message in reply), reply
        assert (clone / "var").is_dir()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.communicate()
