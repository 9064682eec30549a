"""The analytics page and its API: supervisors only (agents get 404), figures, charts, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.backend.agents.models import AgentAudit
from bot.backend.analytics.events import decode, parse
from bot.backend.analytics.ingest import Ingester
from tests.backend.analytics_stream import TZ, stream
from tests.console.conftest import MakeAgent

RANGE = "from=2026-11-27&to=2026-11-28"
PATHS = [
    f"/console/api/analytics?{RANGE}",
    f"/console/api/analytics/export.csv?{RANGE}",
    f"/console/api/analytics/charts/days.svg?{RANGE}",
    "/console/analytics",
]


@pytest.fixture
def recorded(session: Session) -> None:
    """The recorded Rasa event stream, stored as the consumer stores it."""
    Ingester(sender_key=b"k", tz=TZ).store(session, [parse(decode(e)) for e in stream()])


@pytest.mark.parametrize("path", PATHS)
def test_an_agent_gets_404_as_for_a_path_that_does_not_exist(
    make_agent: MakeAgent, path: str
) -> None:
    agent = make_agent("li", teams=("housing", "general"))
    response = agent.get(path)
    missing = agent.get("/console/api/no-such-thing")
    assert response.status_code == 404
    assert response.json() == missing.json()


def test_without_a_session_the_page_asks_to_sign_in_and_the_api_refuses(app: FastAPI) -> None:
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        page = anonymous.get("/console/analytics", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/console/login"
        for path in PATHS[:3]:
            assert anonymous.get(path).status_code == 401


def test_a_supervisor_gets_the_page_with_the_console_headers(make_agent: MakeAgent) -> None:
    boss = make_agent("zhao", role="supervisor")
    page = boss.get("/console/analytics")
    assert page.status_code == 200
    assert "服务统计" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "cdn" not in page.text.lower()


@pytest.mark.usefixtures("recorded")
def test_the_figures_of_the_recorded_stream(make_agent: MakeAgent) -> None:
    boss = make_agent("zhao", role="supervisor")
    data = boss.get(f"/console/api/analytics?{RANGE}").json()
    shown = {item["key"]: item["value"] for item in data["summary"]}
    assert shown["conversations"] == "5"
    assert shown["containment"] == "60.0%"
    assert shown["fallback_rate"] == "20.0%"
    assert shown["user_messages"] == "10"
    assert data["range"] == {"from": "2026-11-27", "to": "2026-11-28"}
    assert [(q["text"], q["count"]) for q in data["questions"]][:2] == [
        ("人才公寓租金多少钱一个月", 2),
        ("人才公寓的租金是多少", 1),
    ]
    assert "13812345678" not in str(data)


@pytest.mark.usefixtures("recorded")
def test_the_csv_export(make_agent: MakeAgent, session: Session) -> None:
    boss = make_agent("zhao", role="supervisor")
    response = boss.get(f"/console/api/analytics/export.csv?{RANGE}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "yucai-analytics-2026-11-27_2026-11-28.csv" in response.headers["content-disposition"]
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == ["类别", "项目", "数值", "说明"]
    assert ["概览", "对话数", "5", ""] in rows
    assert ["概览", "自助解决率（未转人工）", "60.0%", ""] in rows
    assert ["待补充问题", "人才公寓租金多少钱一个月", "2", "未能回答 2 次，理解不确定 0 次"] in rows
    assert ["待补充问题", "能不能帮我查一下138****5678的申请", "1",
            "未能回答 0 次，理解不确定 1 次"] in rows  # fmt: skip
    assert "13812345678" not in response.text
    exported = session.scalars(select(AgentAudit).where(AgentAudit.action == "analytics_export"))
    assert [row.target for row in exported] == ["2026-11-27_2026-11-28"]


def test_a_question_that_looks_like_a_formula_is_exported_as_text(
    make_agent: MakeAgent, session: Session
) -> None:
    event = {**stream()[0], "event": "user", "text": "=HYPERLINK(\"http://x\")",
             "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.2}},
             "input_channel": "socketio"}  # fmt: skip
    Ingester(sender_key=b"k", tz=TZ).store(session, [parse(decode(event))])
    boss = make_agent("zhao", role="supervisor")
    rows = list(
        csv.reader(io.StringIO(boss.get(f"/console/api/analytics/export.csv?{RANGE}").text))
    )
    questions = [row[1] for row in rows if row[0] == "待补充问题"]
    assert questions == ['\'=HYPERLINK("http://x")']


@pytest.mark.parametrize("name", ["days", "kinds", "channels", "districts", "funnel"])
def test_each_chart_is_svg(make_agent: MakeAgent, name: str) -> None:
    boss = make_agent("zhao", role="supervisor")
    response = boss.get(f"/console/api/analytics/charts/{name}.svg?{RANGE}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.text.startswith("<svg")


def test_an_unknown_chart_is_404_and_a_reversed_range_is_explained(make_agent: MakeAgent) -> None:
    boss = make_agent("zhao", role="supervisor")
    assert boss.get("/console/api/analytics/charts/secrets.svg").status_code == 404
    reversed_range = boss.get("/console/api/analytics?from=2026-11-28&to=2026-11-01")
    assert reversed_range.status_code == 422
    assert reversed_range.json()["error"]["message"] == "开始日期不能晚于结束日期。"
    too_long = boss.get("/console/api/analytics?from=2024-01-01&to=2026-11-01")
    assert too_long.status_code == 422
    not_a_day = boss.get("/console/api/analytics?from=昨天")
    assert not_a_day.status_code == 422
    assert "Traceback" not in not_a_day.text


def test_the_default_range_is_the_last_30_days(make_agent: MakeAgent) -> None:
    boss = make_agent("zhao", role="supervisor")
    data = boss.get("/console/api/analytics").json()
    # the frozen clock: 2026-11-27 10:00 in Chongqing
    assert data["range"] == {"from": "2026-10-29", "to": "2026-11-27"}
