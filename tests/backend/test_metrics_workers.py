"""Two uvicorn workers, one ``/metrics``: prometheus-client's multiprocess mode (README: Metrics).

Each scrape is answered by whichever worker the kernel hands the connection
to; with the workers' samples in one directory every answer carries the same
totals, whichever worker counted the requests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.backend.test_cli import ROOT, SECRETS, free_port

HEALTH = {"handler": "/health", "method": "GET", "status": "200"}


def health_count(url: str) -> float:
    """Scrape once, on a new connection, and return the count of answered ``/health`` calls."""
    headers = {"Authorization": f"Bearer {SECRETS['METRICS_TOKEN']}"}
    response = httpx.get(f"{url}/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "yucai_backend_http_requests_total" and sample.labels == HEALTH:
                return float(sample.value)
    return 0.0


def test_every_worker_reports_the_requests_of_both(ready_database_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": ready_database_url,
        "BACKEND_PORT": str(port),
        "BACKEND_WORKERS": "2",
        **SECRETS,
    }
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.server"], cwd=tmp_path, env=env, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "the backend did not answer in time"
                time.sleep(0.2)
            time.sleep(1)  # the second worker is up too
            before = health_count(url)
            for _ in range(40):
                assert httpx.get(f"{url}/health", timeout=5).status_code == 200
            after = [health_count(url) for _ in range(8)]
        finally:
            process.terminate()
            process.wait(timeout=20)
    assert after == [before + 40] * 8
