"""Nothing in the console works without a signed-in agent; sessions end; cookies are strict."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from bot.backend.agents.models import AgentAudit
from tests.backend.conftest import Clock
from tests.console.conftest import BASE_URL, PASSWORD, MakeAgent

#: The only console addresses open to anyone: the sign-in page and signing in.
PUBLIC = {("GET", "/console/login"), ("POST", "/console/api/session")}


def console_routes(app: FastAPI) -> list[tuple[str, str]]:
    """List every console endpoint with a concrete path."""
    found = []
    for route in app.routes:
        if isinstance(route, APIRoute) and route.path.startswith("/console"):
            path = route.path.replace("{number}", "HS20261127-0001").replace("{handoff_id}", "1")
            found += [(method, path) for method in sorted(route.methods)]
    return found


def test_every_console_page_and_api_needs_a_signed_in_agent(app: FastAPI) -> None:
    routes = [r for r in console_routes(app) if r not in PUBLIC]
    assert len(routes) >= 15
    with TestClient(app, base_url=BASE_URL) as anonymous:
        for method, path in routes:
            response = anonymous.request(method, path, json={}, follow_redirects=False)
            if path.startswith("/console/api"):
                assert response.status_code == 401, (method, path)
                assert response.json()["error"]["code"] == "sign_in_required"
            else:
                assert response.status_code == 303, (method, path)
                assert response.headers["location"] == "/console/login"


def test_a_forged_cookie_is_refused(app: FastAPI) -> None:
    with TestClient(app, base_url=BASE_URL, cookies={"yucai_console": "x" * 43}) as forged:
        assert forged.get("/console/api/requests").status_code == 401


def test_changes_need_the_csrf_token_and_the_same_origin(make_agent: MakeAgent) -> None:
    li = make_agent("li")
    no_token = li.client.post("/console/api/requests/HS20261127-0001/notes", json={"note": "x"})
    assert no_token.status_code == 403
    cross_site = li.post(
        "/console/api/requests/HS20261127-0001/notes",
        json={"note": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    signed_in_from_elsewhere = li.client.post(
        "/console/api/session",
        json={"username": "li", "password": PASSWORD},
        headers={"Origin": "https://evil.example"},
    )
    assert signed_in_from_elsewhere.status_code == 403


def test_session_cookie_is_http_only_and_same_site(app: FastAPI, make_agent: MakeAgent) -> None:
    make_agent("li")
    with TestClient(app, base_url=BASE_URL) as browser:
        response = browser.post(
            "/console/api/session", json={"username": "li", "password": PASSWORD}
        )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    assert PASSWORD not in response.text


def test_pages_send_a_strict_content_security_policy(make_agent: MakeAgent) -> None:
    li = make_agent("li")
    page = li.get("/console/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["x-frame-options"] == "DENY"
    assert "innerHTML" not in "".join(
        li.get(f"/console/static/{name}").text
        for name in ("common.js", "call.js", "handoff.js", "requests.js", "login.js")
    )


def test_wrong_password_and_unknown_user_get_the_same_answer(
    app: FastAPI, make_agent: MakeAgent
) -> None:
    make_agent("li")
    with TestClient(app, base_url=BASE_URL) as browser:
        wrong = browser.post(
            "/console/api/session", json={"username": "li", "password": "nope-nope-nope"}
        )
        unknown = browser.post("/console/api/session", json={"username": "zhao", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_parallel_wrong_passwords_are_all_counted(
    app: FastAPI, make_agent: MakeAgent, session: Session
) -> None:
    """Eight guesses at once: the count is one atomic UPDATE each, so the lock still starts."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from bot.backend.agents.models import Agent

    make_agent("li")
    barrier = Barrier(8)

    def guess(_: int) -> int:
        with TestClient(app, base_url=BASE_URL) as browser:
            barrier.wait()
            return browser.post(
                "/console/api/session", json={"username": "li", "password": "guess-guess-1"}
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(guess, range(8))) == {401}
    agent = session.scalar(select(Agent).where(Agent.username == "li"))
    session.refresh(agent)
    assert agent is not None and agent.locked_until is not None
    with TestClient(app, base_url=BASE_URL) as browser:
        right = browser.post("/console/api/session", json={"username": "li", "password": PASSWORD})
    assert right.status_code == 401


def test_five_wrong_passwords_lock_the_account(app: FastAPI, make_agent: MakeAgent) -> None:
    make_agent("li")
    with TestClient(app, base_url=BASE_URL) as browser:
        for _ in range(5):
            browser.post(
                "/console/api/session", json={"username": "li", "password": "guess-guess-1"}
            )
        locked = browser.post("/console/api/session", json={"username": "li", "password": PASSWORD})
    assert locked.status_code == 401


def test_sessions_expire_when_idle_and_after_the_maximum(
    make_agent: MakeAgent, clock: Clock
) -> None:
    li = make_agent("li")
    clock.now += timedelta(minutes=29)
    assert li.get("/console/api/session").status_code == 200  # use keeps it alive
    clock.now += timedelta(minutes=29)
    assert li.get("/console/api/session").status_code == 200
    clock.now += timedelta(minutes=31)
    assert li.get("/console/api/session").status_code == 401
    zhang = make_agent("zhang")
    for _ in range(21):  # busy all day: still ends after 10 hours
        clock.now += timedelta(minutes=29)
        zhang.get("/console/api/session")
    assert zhang.get("/console/api/session").status_code == 401


def test_signing_out_ends_the_session(make_agent: MakeAgent) -> None:
    li = make_agent("li")
    cookie = li.client.cookies.get("yucai_console")
    assert (
        li.client.request(
            "DELETE", "/console/api/session", headers={"X-CSRF-Token": li.csrf}
        ).status_code
        == 204
    )
    li.client.cookies.set("yucai_console", cookie or "", path="/console")
    assert li.get("/console/api/session").status_code == 401


def test_agent_actions_are_logged_append_only(make_agent: MakeAgent, session: Session) -> None:
    make_agent("li")
    actions = session.scalars(select(AgentAudit.action).where(AgentAudit.username == "li")).all()
    assert actions == ["account_created", "signed_in"]
    with pytest.raises(DBAPIError):
        session.execute(text("UPDATE agent_audit SET action = 'nothing'"))
        session.commit()
    session.rollback()
    with pytest.raises(DBAPIError):
        session.execute(text("DELETE FROM agent_audit"))
        session.commit()
