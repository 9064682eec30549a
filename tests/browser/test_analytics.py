"""The supervisors' analytics page in Chromium, on the figures of the recorded event stream.

Only the backend with the console runs here (the page needs no Rasa): a fresh
SQLite database, the recorded stream stored with ``analytics-ingest`` (the
consumer's storage), a supervisor and an agent created with the operator
command. The supervisor sees the stream's numbers, the charts and the CSV;
the agent sees no link and gets 404.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.common.secrets import generated_env
from bot.launcher import BACKEND_BIN, ROOT, default_env
from tests.browser.helpers import ARTIFACTS
from tests.support import free_port, wait_for

STREAM = ROOT / "tests" / "backend" / "data" / "rasa_event_stream.json"
PASSWORD = "browser-analytics-secret-2026"
RANGE = ("2026-11-27", "2026-11-28")


#: three requests and one handoff of 27 November (UTC times), written as the backend stores them
REQUESTS = [
    ("HS20261127-0001", "housing", "socketio", {"district": "渝北区"}, "01:00", ["accepted"]),
    ("HS20261127-0002", "housing", "wechat", {"district": "渝北区"}, "02:00",
     ["accepted", "in_progress", "completed"]),
    ("SC20261127-0001", "schooling", "wechat", {"district": "江北区"}, "03:00", []),
]  # fmt: skip


def _store_requests(database: Path) -> None:
    """Write requests, their trail and a handoff straight into the backend's SQLite file."""
    with sqlite3.connect(database) as db:
        for number, kind, channel, details, at, moves in REQUESTS:
            created = f"2026-11-27 {at}:00.000000"
            cursor = db.execute(
                "INSERT INTO service_request (number, kind, status, applicant_name, "
                "applicant_phone, channel, sender_id, details, idempotency_key, request_hash, "
                "created_at, updated_at) VALUES (?, ?, ?, '张三', '13800000000', ?, 's', ?, ?, "
                "'h', ?, ?)",
                (number, kind, (moves or ["submitted"])[-1], channel,
                 json.dumps(details, ensure_ascii=False), number, created, created),
            )  # fmt: skip
            trail = [("created", None, "submitted", created)]
            previous = "submitted"
            for hours, status in enumerate(moves, start=2):
                moved = f"2026-11-27 {int(at[:2]) + hours:02d}:00:00.000000"
                trail.append(("status_changed", previous, status, moved))
                previous = status
            for action, old, new, when in trail:
                db.execute(
                    "INSERT INTO request_event (request_id, actor, action, from_status, "
                    "to_status, created_at) VALUES (?, 'agent:li', ?, ?, ?, ?)",
                    (cursor.lastrowid, action, old, new, when),
                )
        db.execute(
            "INSERT INTO handoff (sender_id, channel, team, topic, summary, details, status, "
            "tracker_offset, created_at, claimed_at) VALUES ('oWx_b81c', 'wechat', 'housing', "
            "'housing', '', '{}', 'active', 0, '2026-11-27 02:02:02.000000', "
            "'2026-11-27 02:04:02.000000')"
        )


def _cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(BACKEND_BIN / "python"), "-m", "bot.backend.cli", *args],
        cwd=ROOT, env=env, input=stdin, text=True, capture_output=True, check=True,
    )  # fmt: skip
    return done.stdout


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start the backend with the console on a fresh database holding the recorded stream."""
    workdir = tmp_path_factory.mktemp("analytics")
    env = {
        **default_env(),
        **generated_env(),
        "DATABASE_URL": f"sqlite:///{workdir / 'backend.db'}",
        "BACKEND_PORT": str(free_port()),
        "YUCAI_PROFILE": "default",
    }
    _cli(env, "init-db")
    _store_requests(workdir / "backend.db")
    assert "新存 21" in _cli(env, "analytics-ingest", str(STREAM))
    for username, role in (("zhao", "supervisor"), ("li", "agent")):
        _cli(env, "create-agent", username, "--name", f"{username}老师", "--role", role,
             "--teams", "housing", "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / "analytics-backend.log").open("ab")
    process = subprocess.Popen(
        [str(BACKEND_BIN / "python"), "-m", "bot.server"], cwd=ROOT, env=env,
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{env['BACKEND_PORT']}"
    try:
        wait_for(f"{url}/health", timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def desk_page(browser: Browser) -> Iterator[Page]:
    """A desktop tab that keeps downloads (the CSV)."""
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def sign_in(page: Page, url: str, username: str) -> None:
    """Sign in on the console's own page."""
    page.goto(f"{url}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/console/$"))
    expect(page.locator("#agent-name")).to_contain_text(f"{username}老师")


def figure(page: Page, key: str) -> str:
    """Read one headline figure as shown."""
    return page.locator(f'.figure[data-key="{key}"] .value').inner_text()


def test_a_supervisor_sees_the_streams_figures_charts_and_csv(
    desk_page: Page, console_url: str, tmp_path: Path
) -> None:
    page = desk_page
    sign_in(page, console_url, "zhao")
    page.click("#analytics-link")
    page.wait_for_url(re.compile(r"/console/analytics$"))
    page.wait_for_selector("body[data-ready]")  # the default range (the last 30 days)
    page.fill("#from", RANGE[0])
    page.fill("#to", RANGE[1])
    page.click("#apply")
    page.wait_for_selector(f'body[data-ready="{RANGE[0]}_{RANGE[1]}"]')
    assert figure(page, "conversations") == "5"
    assert figure(page, "containment") == "60.0%"
    assert figure(page, "fallback_rate") == "20.0%"
    assert figure(page, "user_messages") == "10"
    assert figure(page, "requests") == "3"
    assert figure(page, "acceptance_median") == "2 小时"
    assert figure(page, "handoffs") == "1"
    assert figure(page, "wait_median") == "2 分钟"
    first = page.locator("#questions tbody tr").first.locator("td")
    assert first.nth(0).inner_text() == "人才公寓租金多少钱一个月"
    assert first.nth(1).inner_text() == "2"
    assert "13812345678" not in page.content()
    assert "138****5678" in page.locator("#questions").inner_text()
    for chart in ("days", "funnel", "kinds", "channels", "districts"):
        image = page.locator(f"#chart-{chart}")
        expect(image).to_have_attribute("src", re.compile(rf"{chart}\.svg\?from={RANGE[0]}"))
        page.wait_for_function(
            "(id) => document.getElementById(id).complete"
            " && document.getElementById(id).naturalWidth > 0",
            arg=f"chart-{chart}",
        )
    page.screenshot(path=str(ARTIFACTS / "analytics-supervisor.png"), full_page=True)
    districts = page.request.get(f"{console_url}/console/api/analytics/charts/districts.svg"
                                 f"?from={RANGE[0]}&to={RANGE[1]}").text()  # fmt: skip
    assert "渝北区：2" in districts
    assert "江北区：1" in districts
    with page.expect_download() as download_info:
        page.click("#export")
    saved = tmp_path / "export.csv"
    download_info.value.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert "概览,对话数,5," in text
    assert "待补充问题,人才公寓租金多少钱一个月,2," in text


def test_an_agent_sees_no_link_and_gets_404(desk_page: Page, console_url: str) -> None:
    page = desk_page
    sign_in(page, console_url, "li")
    expect(page.locator("#analytics-link")).to_be_hidden()
    response = page.goto(f"{console_url}/console/analytics")
    assert response is not None
    assert response.status == 404
    assert "服务统计" not in page.content()
