"""The sample Prometheus config and alert rules, and /metrics kept off the public listener.

``promtool`` comes from Debian's ``prometheus`` package (``make test-deploy``
installs it); its ``check config``, ``check rules`` and ``test rules`` run on
``deploy/prometheus``. HAProxy runs ``deploy/haproxy/haproxy.cfg`` in front of
a stand-in for every Rasa and action server that answers anything: the public
listener must still refuse ``/metrics``, with or without a token.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
HAPROXY_CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
#: where the project defines its metrics (every name an alert uses must be one of them)
SOURCES = [*sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "actions").rglob("*.py"))]


def tool(name: str, package: str) -> str:
    """Find a Debian tool; skip locally without it, fail in CI (make test-deploy installs it)."""
    found = shutil.which(name) or next(
        (str(p) for p in (Path("/usr/bin") / name, Path("/usr/sbin") / name) if p.exists()), None
    )
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing (make test-deploy installs Debian's {package})")
        pytest.skip(f"{name} is not installed (make test-deploy installs Debian's {package})")
    return found


def promtool(*args: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess[str]:
    """Run promtool and return its result."""
    return subprocess.run(
        [tool("promtool", "prometheus"), *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_scrape_config_is_valid(tmp_path: Path) -> None:
    # promtool also checks that the token file exists: point it at one of ours
    token = tmp_path / "yucai-metrics-token"
    token.write_text("x" * 43, encoding="utf-8")
    config = (PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8")
    assert "/etc/prometheus/yucai-metrics-token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/yucai-metrics-token", str(token)), encoding="utf-8"
    )
    shutil.copy(PROMETHEUS / "alerts.yml", tmp_path / "alerts.yml")
    checked = promtool("check", "config", "prometheus.yml", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout and "9 rules found" in checked.stdout


def test_every_process_is_scraped_with_the_token() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"yucai-backend", "yucai-rasa", "yucai-actions"}
    targets = {
        job: sorted(t for group in body["static_configs"] for t in group["targets"])
        for job, body in jobs.items()
    }
    assert targets == {
        "yucai-backend": ["127.0.0.1:8000"],
        "yucai-rasa": ["127.0.0.1:5005", "127.0.0.1:5006"],
        "yucai-actions": ["127.0.0.1:5055", "127.0.0.1:5056"],
    }
    for job in jobs.values():
        assert job["authorization"]["credentials_file"], job["job_name"]
        assert job.get("metrics_path", "/metrics") == "/metrics"


def test_the_alert_rules_are_valid_and_fire_as_their_tests_say() -> None:
    checked = promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_metric_an_alert_uses_is_defined_by_the_code() -> None:
    rules = (PROMETHEUS / "alerts.yml").read_text(encoding="utf-8")
    used = {re.sub(r"_(bucket|count|sum)$", "", name) for name in re.findall(r"yucai_\w+", rules)}
    code = "\n".join(path.read_text(encoding="utf-8") for path in SOURCES)
    # the HTTP series are the instrumentator's, under the backend's namespace and subsystem
    defined = set(re.findall(r'"(yucai_\w+)"', code)) | {"yucai_backend_http_requests_total"}
    assert used and used <= defined, used - defined


# --- the public listener ----------------------------------------------------------
def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AnswerEverything(BaseHTTPRequestHandler):
    """A stand-in Rasa / action server: 200 and the path, for any path and method."""

    def log_message(self, *_: object) -> None:
        """Stay quiet."""

    def _answer(self) -> None:
        body = f"reached {self.path}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer  # noqa: N815


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[dict[str, int]]:
    """Run HAProxy with the project's config in front of stand-ins that answer everything."""
    binary = tool("haproxy", "haproxy")
    stand_in = ThreadingHTTPServer(("127.0.0.1", 0), AnswerEverything)
    threading.Thread(target=stand_in.serve_forever, daemon=True).start()
    upstream = str(stand_in.server_address[1])
    ports = {
        name: free_port()
        for name in ("YUCAI_PUBLIC_PORT", "YUCAI_INTERNAL_PORT", "ACTION_LB_PORT",
                     "HAPROXY_STATS_PORT")
    }  # fmt: skip
    env = {
        **{name: str(port) for name, port in ports.items()},
        **{name: upstream for name in ("RASA_PORT_1", "RASA_PORT_2", "ACTION_SERVER_PORT_1",
                                       "ACTION_SERVER_PORT_2")},
    }  # fmt: skip
    log = (tmp_path / "haproxy.log").open("wb")
    process = subprocess.Popen(
        [binary, "-db", "-f", str(HAPROXY_CONFIG)], env=env, stdout=log, stderr=log
    )
    try:
        public = f"http://127.0.0.1:{ports['YUCAI_PUBLIC_PORT']}"
        deadline = time.monotonic() + 30
        while status(f"{public}/chat") != 200:  # listening, and the stand-ins are up
            assert process.poll() is None, (tmp_path / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "HAProxy did not forward /chat"
            time.sleep(0.2)
        yield ports
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        stand_in.shutdown()


def status(url: str, headers: dict[str, str] | None = None) -> int:
    """GET a URL and return the status code (0 when nothing answers)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5):
            return 200
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer any-token-at-all"}],
    ids=["no token", "with a token"],
)
@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/Metrics", "/chat/../metrics"])
def test_the_public_listener_never_forwards_metrics(
    haproxy: dict[str, int], path: str, headers: dict[str, str]
) -> None:
    public = f"http://127.0.0.1:{haproxy['YUCAI_PUBLIC_PORT']}"
    assert status(f"{public}{path}", headers) == 404
    assert status(f"{public}/chat") == 200  # the stand-in is reachable: the 404 is HAProxy's
