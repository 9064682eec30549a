"""Start, watch and stop the three processes of the assistant.

Used by `make run` / `make chat` and by the end-to-end tests, so both run the
system the same way: the backend (FastAPI), the action server (rasa-sdk) and
the Rasa server, each on 127.0.0.1, talking only over HTTP. Standard library
only: it runs under any Python.

Secrets never come from ``.env.example`` (its values are placeholders that
cannot start anything): ``make run`` writes freshly generated ones into the
git-ignored ``.env`` the first time, and every process refuses to start on a
missing, placeholder or short one (``bot/common/secrets.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.common import rasa_jwt
from bot.common import secrets as secret_rules

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = ROOT / ".venv" / "rasa" / "bin"
BACKEND_BIN = ROOT / ".venv" / "backend" / "bin"


#: the tracker database line of endpoints.yml, which a stack of its own points elsewhere
TRACKER_DB_LINE = '  db: "var/rasa_tracker.db"\n'


def endpoints_with_tracker_db(target: Path, tracker_db: Path) -> Path:
    """Write ``make run``'s endpoints.yml to ``target`` with its tracker database at ``tracker_db``.

    Everything else stays as ``make run`` serves it (the tracker store class, the
    action endpoint on ``${ACTION_SERVER_PORT}``, selective domain), so the tests and
    ``make bench`` run the configuration they claim to run.
    """
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    if text.count(TRACKER_DB_LINE) != 1:
        raise ValueError(f"endpoints.yml no longer has the line {TRACKER_DB_LINE.strip()!r}")
    target.write_text(text.replace(TRACKER_DB_LINE, f'  db: "{tracker_db}"\n'), encoding="utf-8")
    return target


def load_env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (comments and blanks skipped) from an env file."""
    return secret_rules.read_env_file(path)


def default_env() -> dict[str, str]:
    """Return .env.example's settings (never its secrets), then .env, then the environment."""
    example = {
        key: value
        for key, value in load_env_file(ROOT / ".env.example").items()
        if key not in secret_rules.SECRETS
    }
    env = {**example, **load_env_file(ROOT / ".env")}
    env.update(os.environ)
    return env


@dataclass
class Service:
    """One child process and the URL that says it is ready."""

    name: str
    command: list[str]
    health_url: str
    health_headers: dict[str, str] = field(default_factory=dict)
    log: IO[bytes] | None = None
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Stack:
    """The backend, action server and Rasa server, wired together."""

    env: dict[str, str]
    model: Path
    endpoints: Path = ROOT / "endpoints.yml"
    credentials: Path = ROOT / "credentials.yml"
    log_dir: Path | None = None
    services: list[Service] = field(default_factory=list)

    @property
    def backend_url(self) -> str:
        """Return the backend's base URL."""
        return f"http://{self.env['BACKEND_HOST']}:{self.env['BACKEND_PORT']}"

    @property
    def rasa_url(self) -> str:
        """Return the Rasa server's base URL."""
        return f"http://{self.env['RASA_HOST']}:{self.env['RASA_PORT']}"

    def prepare_backend(self) -> None:
        """Apply migrations and load reference data (idempotent)."""
        subprocess.run(
            [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "init-db"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )

    def start(self, *, with_rasa: bool = True) -> None:
        """Start every process in order, each once the previous one is ready."""
        env = self.env
        self.services = [
            Service(
                "backend",
                [str(BACKEND_BIN / "python"), "-m", "bot.server"],
                f"{self.backend_url}/health",
            ),
            Service(
                "actions",
                [
                    str(RASA_BIN / "python"),
                    "-m",
                    "actions.server",
                    "--port",
                    env["ACTION_SERVER_PORT"],
                    "--logging-config-file",
                    str(ROOT / "bot" / "logging.yml"),
                ],
                f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health",
            ),
        ]
        if with_rasa:
            self.services.append(
                Service(
                    "rasa",
                    [
                        # `rasa run` with --jwt-secret added inside the process: JWTs in the
                        # Authorization header only, and no secret in `ps` (bot/rasa_server.py)
                        str(RASA_BIN / "python"),
                        "-m",
                        "bot.rasa_server",
                        "--enable-api",
                        "--interface",
                        env["RASA_HOST"],
                        "--port",
                        env["RASA_PORT"],
                        "--model",
                        str(self.model),
                        "--endpoints",
                        str(self.endpoints),
                        "--credentials",
                        str(self.credentials),
                        "--logging-config-file",
                        str(ROOT / "bot" / "logging.yml"),
                    ],
                    f"{self.rasa_url}/status",
                )
            )
        for service in self.services:
            self._spawn(service)
            self._wait_ready(service, timeout=float(env.get("STARTUP_TIMEOUT", "180")))

    def rasa_headers(self) -> dict[str, str]:
        """Return a fresh Authorization header for Rasa's HTTP API."""
        return rasa_jwt.auth_header(self.env["RASA_API_TOKEN"], subject="launcher")

    def _spawn(self, service: Service) -> None:
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{service.name}.log", "wb")  # noqa: SIM115
            service.log = out
        service.process = subprocess.Popen(
            service.command,
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )

    def _wait_ready(self, service: Service, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert service.process is not None
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            if service.name == "rasa":
                service.health_headers = self.rasa_headers()
            if _healthy(service):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{service.name} not ready after {timeout:.0f}s")

    def stop(self) -> None:
        """Stop the processes in reverse order, politely first."""
        for service in reversed(self.services):
            process = service.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for service in self.services:
            if service.log:
                service.log.close()

    def restart(self, name: str, *, start_again: bool = True) -> None:
        """Stop one process and (by default) start it again on the same port."""
        service = next(s for s in self.services if s.name == name)
        if service.process is not None and service.process.poll() is None:
            service.process.terminate()
            service.process.wait(timeout=15)
        if start_again:
            self._spawn(service)
            self._wait_ready(service, timeout=float(self.env.get("STARTUP_TIMEOUT", "180")))

    def first_failure(self) -> str | None:
        """Return the name of a process that has died, if any."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service.name
        return None


def _healthy(service: Service) -> bool:
    request = urllib.request.Request(service.health_url, headers=service.health_headers)
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            if service.name != "rasa":
                return response.status == 200
            return bool(json.loads(response.read()).get("model_file"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    """Run the assistant until Ctrl-C (or, with --shell, chat in this terminal)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=str(ROOT / "models" / "yucai.tar.gz"))
    parser.add_argument("--endpoints", default=str(ROOT / "endpoints.yml"))
    parser.add_argument("--shell", action="store_true", help="chat in the terminal")
    args = parser.parse_args(argv)
    written = secret_rules.ensure_env_file(ROOT / ".env", os.environ)
    if written:
        print(f"已在 .env 中生成新的密钥 / generated into .env: {', '.join(written)}", flush=True)
    env = default_env()
    env.setdefault("SANIC_HOST", "127.0.0.1")
    try:
        secret_rules.require_all(env)
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        return 2
    (ROOT / "var").mkdir(exist_ok=True)
    stack = Stack(env=env, model=Path(args.model), endpoints=Path(args.endpoints))
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        stack.prepare_backend()
        stack.start(with_rasa=not args.shell)
        if args.shell:
            return subprocess.call(
                [
                    str(RASA_BIN / "rasa"),
                    "shell",
                    "--model",
                    args.model,
                    "--endpoints",
                    str(stack.endpoints),
                ],
                cwd=ROOT,
                env=env,
            )
        print(
            "\n渝才助手 is running (Ctrl-C stops it):\n"
            f"  web chat       : open {stack.rasa_url}/chat in a browser\n"
            f"  talk over REST : curl -s -XPOST {stack.rasa_url}/webhooks/rest/webhook "
            '-H \'Content-Type: application/json\' -d \'{"sender":"me","message":"你好"}\'\n'
            f"  Rasa HTTP API  : {stack.rasa_url} (JWT signed with RASA_API_TOKEN, header only)\n"
            f"  backend API    : {stack.backend_url}/docs (the action server's BACKEND_API_TOKEN)\n"
            f"  agent console  : {stack.backend_url}/console/ (accounts: "
            "python -m bot.backend.cli create-agent NAME)\n"
            "  terminal chat  : make chat\n",
            flush=True,
        )
        while not stopping:
            failed = stack.first_failure()
            if failed:
                print(f"{failed} stopped unexpectedly; shutting down.", file=sys.stderr)
                return 1
            time.sleep(1)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping…", file=sys.stderr, flush=True)
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
