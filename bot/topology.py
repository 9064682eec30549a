"""Start, watch and stop the production topology on one machine (``make run-prod``).

Two of everything that can be two, on the shared services:

    HAProxy (public: /chat, /socket.io, WeChat; internal: REST, Rasa API; actions)
      ├── Rasa ×2 (python -m bot.serving: fail-closed tracker store, bounded actions, /ready)
      │     tracker store PostgreSQL (own database and role), lock store Redis,
      │     event broker RabbitMQ, socket.io client manager Redis, WeChat store Redis
      ├── action server ×2 (rasa-sdk), behind HAProxy's actions listener
      ├── backend (FastAPI, two uvicorn workers) on PostgreSQL (own database and role)
      └── analytics consumer: Rasa's events from RabbitMQ into the backend's database

Standard library only, like ``bot.launcher``, whose ``Service`` it reuses. The
tests start the same thing through ``tests.support.running_topology``.

Secrets as for ``make run`` (``bot/common/secrets.py``): generated into the
git-ignored ``.env`` the first time, refused when missing, placeholder or
short. The topology runs the production profile (``YUCAI_PROFILE=production``):
the REST channel is signed, request numbers random, the purge scheduled. Rasa's
HTTP API takes JWTs signed with ``RASA_API_TOKEN`` in the ``Authorization``
header, and Rasa calls the action servers (through HAProxy) with
``ACTION_SERVER_TOKEN`` in the same header.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.common import rasa_jwt
from bot.common import secrets as secret_rules
from bot.launcher import BACKEND_BIN, RASA_BIN, ROOT, Service, _healthy, default_env

DEPLOY = ROOT / "deploy"
HAPROXY_CONFIG = DEPLOY / "haproxy" / "haproxy.cfg"
ENDPOINTS = DEPLOY / "endpoints.prod.yml"
CREDENTIALS = DEPLOY / "credentials.prod.yml"


def prod_env(base: dict[str, str]) -> dict[str, str]:
    """Derive every process's settings from the PROD/PostgreSQL/Redis/RabbitMQ variables."""
    env = dict(base)
    pg_host, pg_port = env.get("POSTGRES_HOST", "127.0.0.1"), env.get("POSTGRES_PORT", "5432")
    env.setdefault("TRACKER_DB_HOST", pg_host)
    env.setdefault("TRACKER_DB_PORT", pg_port)
    password = env.get("BACKEND_DB_PASSWORD", "")
    auth = f"{env['BACKEND_DB_USER']}:{password}" if password else env["BACKEND_DB_USER"]
    env["DATABASE_URL"] = (
        f"postgresql+psycopg://{auth}@{pg_host}:{pg_port}/{env['BACKEND_DB_NAME']}"
    )
    # the backend's purge cleans Rasa's conversations too: the tracker database
    tracker_password = env.get("TRACKER_DB_PASSWORD", "")
    tracker_auth = (
        f"{env['TRACKER_DB_USER']}:{tracker_password}"
        if tracker_password
        else env["TRACKER_DB_USER"]
    )
    env["TRACKER_STORE_URL"] = (
        f"postgresql+psycopg://{tracker_auth}@{env['TRACKER_DB_HOST']}:{env['TRACKER_DB_PORT']}"
        f"/{env['TRACKER_DB_NAME']}"
    )
    redis = f"redis://{env['REDIS_HOST']}:{env['REDIS_PORT']}"
    env["WEBCHAT_REDIS_URL"] = env.get("WEBCHAT_REDIS_URL") or (
        f"{redis}/{env.get('REDIS_WEBCHAT_DB', '2')}"
    )
    env["WECHAT_STORE_URL"] = env.get("PROD_WECHAT_STORE_URL") or (
        f"{redis}/{env.get('REDIS_WECHAT_DB', '3')}"
    )
    env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{env['ACTION_LB_PORT']}/webhook"
    env["BACKEND_URL"] = env.get("ACTIONS_BACKEND_URL") or f"http://127.0.0.1:{env['BACKEND_PORT']}"
    # an action (with its retries) must end before Rasa stops waiting for it
    action_timeout = float(env.get("ACTION_TIMEOUT_SECONDS", "4"))
    env["BACKEND_CONNECT_TIMEOUT"] = "1"
    env["BACKEND_READ_TIMEOUT"] = f"{action_timeout / 2:g}"
    env["SUBMIT_RETRY_SECONDS"] = f"{action_timeout * 0.6:g}"
    env["BACKEND_WORKERS"] = env.get("PROD_BACKEND_WORKERS", "2")
    env["TICKET_LOCK_LIFETIME"] = env.get("PROD_TICKET_LOCK_LIFETIME", "30")
    # the backend's console reaches Rasa's HTTP API through HAProxy's internal listener
    env["RASA_HOST"], env["RASA_PORT"] = "127.0.0.1", env["YUCAI_INTERNAL_PORT"]
    public = env["YUCAI_PUBLIC_PORT"]
    origins = [o for o in env.get("WEBCHAT_ALLOWED_ORIGINS", "").split(",") if o]
    origins += [f"http://127.0.0.1:{public}", f"http://localhost:{public}"]
    env["WEBCHAT_ALLOWED_ORIGINS"] = ",".join(origins)
    env.setdefault("SANIC_HOST", "127.0.0.1")
    # the production profile: REST signed (never open), random request numbers, the purge
    env["YUCAI_PROFILE"] = "production"
    env["REST_CHANNEL"] = env.get("REST_CHANNEL", "").strip() or "signed"  # open is refused
    env["REQUEST_NUMBERS"] = "random"
    # one HAProxy in front: the chat limits count the browser's forwarded address
    env["SANIC_PROXIES_COUNT"] = env.get("SANIC_PROXIES_COUNT", "").strip() or "1"
    # Rasa's telemetry would send crash reports (with their data) to Sentry abroad
    env["RASA_TELEMETRY_ENABLED"] = "false"
    return env


def haproxy_binary() -> str:
    """Return HAProxy's path, or explain how to get it."""
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise RuntimeError(
            "HAProxy is not installed: `make run-prod` installs it (apt-get install haproxy)"
        )
    return found


def missing_service() -> str | None:
    """Say which of PostgreSQL, Redis, RabbitMQ and HAProxy is missing, or None."""
    for service, port in (("PostgreSQL", 5432), ("Redis", 6379), ("RabbitMQ", 5672)):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        except OSError:
            return f"{service} is not listening on 127.0.0.1:{port}"
    try:
        haproxy_binary()
    except RuntimeError as exc:
        return str(exc)
    return None


@dataclass
class Topology:
    """Every process of the production topology, wired through HAProxy."""

    env: dict[str, str]
    model: Path
    log_dir: Path | None = None
    services: list[Service] = field(default_factory=list)

    @property
    def public_url(self) -> str:
        """Return the one public listener (web chat, socket.io, WeChat)."""
        return f"http://127.0.0.1:{self.env['YUCAI_PUBLIC_PORT']}"

    @property
    def internal_url(self) -> str:
        """Return the internal listener (REST channel, Rasa's HTTP API)."""
        return f"http://127.0.0.1:{self.env['YUCAI_INTERNAL_PORT']}"

    @property
    def backend_url(self) -> str:
        """Return the backend's base URL (internal only)."""
        return f"http://127.0.0.1:{self.env['BACKEND_PORT']}"

    def rasa_url(self, n: int) -> str:
        """Return Rasa instance ``n``'s own URL (1 or 2)."""
        return f"http://127.0.0.1:{self.env[f'RASA_PORT_{n}']}"

    def rasa_headers(self, subject: str = "topology") -> dict[str, str]:
        """Return a fresh ``Authorization`` header (a JWT) for Rasa's HTTP API."""
        return rasa_jwt.auth_header(self.env["RASA_API_TOKEN"], subject=subject)

    def provision(self) -> None:
        """Give the backend and the tracker store their own role and database, then migrate."""
        python = str(BACKEND_BIN / "python")
        for role, database, secret in (
            (self.env["BACKEND_DB_USER"], self.env["BACKEND_DB_NAME"], "BACKEND_DB_PASSWORD"),
            (self.env["TRACKER_DB_USER"], self.env["TRACKER_DB_NAME"], "TRACKER_DB_PASSWORD"),
        ):
            command = [python, "-m", "bot.backend.cli", "provision-postgres", "--role", role,
                       "--database", database, "--password-env", secret]  # fmt: skip
            subprocess.run(command, cwd=ROOT, env=self.env, check=True)
        subprocess.run(
            [python, "-m", "bot.backend.cli", "init-db"], cwd=ROOT, env=self.env, check=True
        )

    def _rasa(self, n: int) -> Service:
        port = self.env[f"RASA_PORT_{n}"]
        # `rasa run` with --jwt-secret added inside the process (bot/rasa_server.py)
        command = [str(RASA_BIN / "python"), "-m", "bot.serving", "--enable-api",
                   "--interface", "127.0.0.1",
                   "--port", port, "--model", str(self.model), "--endpoints", str(ENDPOINTS),
                   "--credentials", str(CREDENTIALS),
                   "--logging-config-file", str(ROOT / "bot" / "logging.yml")]  # fmt: skip
        return Service(f"rasa{n}", command, f"http://127.0.0.1:{port}/ready")

    def _actions(self, n: int) -> Service:
        port = self.env[f"ACTION_SERVER_PORT_{n}"]
        logging_config = str(ROOT / "bot" / "logging.yml")
        # rasa-sdk behind ACTION_SERVER_TOKEN (actions/server.py); /health stays open
        command = [str(RASA_BIN / "python"), "-m", "actions.server",
                   "--port", port, "--logging-config-file", logging_config]  # fmt: skip
        return Service(f"actions{n}", command, f"http://127.0.0.1:{port}/health")

    def _analytics(self) -> Service:
        # no listener: it reads the event queue (bot/backend/analytics/consumer.py)
        command = [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", "analytics-consume"]
        return Service("analytics", command, "")

    def start(self) -> None:
        """Start the backend, the action servers, both Rasa instances, then HAProxy."""
        timeout = float(self.env.get("STARTUP_TIMEOUT", "180"))
        backend = Service(
            "backend",
            [str(BACKEND_BIN / "python"), "-m", "bot.server"],
            f"{self.backend_url}/ready",
        )
        haproxy = Service(
            "haproxy",
            [haproxy_binary(), "-db", "-f", str(HAPROXY_CONFIG)],
            f"http://127.0.0.1:{self.env['HAPROXY_STATS_PORT']}/stats",
        )
        # each group starts together (two cores: Rasa's model loads overlap well enough)
        for group in (
            [backend, self._actions(1), self._actions(2), self._analytics()],
            [self._rasa(1), self._rasa(2)],
            [haproxy],
        ):
            for service in group:
                self.services.append(service)
                self._spawn(service)
            for service in group:
                self._wait_ready(service, timeout)

    def service(self, name: str) -> Service:
        """Return the process called ``name`` (backend, actions1, rasa2, haproxy…)."""
        return next(s for s in self.services if s.name == name)

    def _spawn(self, service: Service) -> None:
        out: IO[bytes] | None = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{service.name}.log", "ab")  # noqa: SIM115
            service.log = out
        service.process = subprocess.Popen(
            service.command, cwd=ROOT, env=self.env, stdout=out,
            stderr=subprocess.STDOUT if out else None,
        )  # fmt: skip

    def _wait_ready(self, service: Service, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert service.process is not None
            if service.process.poll() is not None:
                raise RuntimeError(f"{service.name} exited with {service.process.returncode}")
            if not service.health_url or _healthy(service):  # no listener: running is ready
                return
            time.sleep(0.5)
        raise TimeoutError(f"{service.name} not ready after {timeout:.0f}s")

    def kill(self, name: str) -> None:
        """``kill -9`` one process (fault tests): no goodbye, no flush."""
        process = self.service(name).process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()

    def restart(self, name: str, *, graceful: bool = True) -> None:
        """Stop one process (SIGTERM, or SIGKILL) and start it again on the same port."""
        service = self.service(name)
        process = service.process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM if graceful else signal.SIGKILL)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if service.log:
            service.log.close()
        self._spawn(service)
        timeout = float(self.env.get("STARTUP_TIMEOUT", "180"))
        self._wait_ready(service, timeout)
        self._wait_in_rotation(name, timeout)

    def _wait_in_rotation(self, name: str, timeout: float) -> None:
        """Wait until HAProxy's health checks have taken ``name`` back everywhere it serves.

        A process that answers its health URL is not yet receiving traffic:
        HAProxy re-admits a server after ``rise`` passing checks (2 × 2 s) and
        sends it nothing until then (a 503 if no other server is up), so
        "restarted" means "in rotation again". Services HAProxy does not front
        return at once.
        """
        haproxy = next((s for s in self.services if s.name == "haproxy"), None)
        if haproxy is None or haproxy.process is None or haproxy.process.poll() is not None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            states = self._haproxy_states(name)
            if all(state == "UP" for state in states):  # also when HAProxy does not front it
                return
            time.sleep(0.25)
        raise TimeoutError(f"HAProxy did not take {name} back within {timeout:.0f}s")

    def _haproxy_states(self, name: str) -> list[str]:
        """Return HAProxy's check status of server ``name`` in each backend that has it."""
        url = f"http://127.0.0.1:{self.env['HAPROXY_STATS_PORT']}/stats;csv"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                lines = answer.read().decode().lstrip("# ").splitlines()
        except OSError:
            return ["UNKNOWN"]
        return [row["status"] for row in csv.DictReader(lines) if row["svname"] == name]

    def stop(self) -> None:
        """Stop every process in reverse order, politely first."""
        for service in reversed(self.services):
            process = service.process
            if process is None or process.poll() is not None:
                continue
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for service in self.services:
            if service.log:
                service.log.close()

    def first_failure(self) -> str | None:
        """Return the name of a process that has died, if any."""
        for service in self.services:
            if service.process is not None and service.process.poll() is not None:
                return service.name
        return None


def main(argv: list[str] | None = None) -> int:
    """Run the production topology until Ctrl-C."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default=str(ROOT / "models" / "yucai.tar.gz"))
    args = parser.parse_args(argv)
    written = secret_rules.ensure_env_file(ROOT / ".env", os.environ)
    if written:
        print(f"已在 .env 中生成新的密钥 / generated into .env: {', '.join(written)}", flush=True)
    env = prod_env(default_env())
    try:
        secret_rules.require_all(env)
    except secret_rules.SecretError as exc:
        print(exc, file=sys.stderr)
        return 2
    (ROOT / "var").mkdir(exist_ok=True)
    topology = Topology(env=env, model=Path(args.model), log_dir=ROOT / "var" / "prod-logs")
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        topology.provision()
        topology.start()
        print(
            "\n渝才助手 (production topology) is running (Ctrl-C stops it):\n"
            f"  web chat (public)   : open {topology.public_url}/chat\n"
            f"  WeChat (public)     : {topology.public_url}/webhooks/wechat/webhook\n"
            f"  REST + Rasa API     : {topology.internal_url} (internal; JWT of RASA_API_TOKEN)\n"
            f"  backend + console   : {topology.backend_url}/console/ (internal)\n"
            f"  analytics           : {topology.backend_url}/console/analytics (supervisors;"
            f" consumer of queue {env['RABBITMQ_QUEUE']})\n"
            f"  HAProxy stats       : http://127.0.0.1:{env['HAPROXY_STATS_PORT']}/stats\n"
            f"  logs                : {topology.log_dir}\n",
            flush=True,
        )
        while not stopping:
            failed = topology.first_failure()
            if failed:
                print(f"{failed} stopped unexpectedly; shutting down.", file=sys.stderr)
                return 1
            time.sleep(1)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("Stopping…", file=sys.stderr, flush=True)
        topology.stop()


if __name__ == "__main__":
    sys.exit(main())
