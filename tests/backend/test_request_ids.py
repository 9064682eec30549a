"""Each backend request has an id: the caller's X-Request-ID when plain, else a new one, echoed."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.backend.db import create_db_engine, create_session_factory
from bot.backend.logs import HeaderRequestIdFilter

#: nothing listens on port 1: every connection is refused at once
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/yucai"


def test_the_callers_id_is_echoed(client: TestClient) -> None:
    response = client.get("/api/v1/reference/districts", headers={"X-Request-ID": "turn-2026-a1"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "turn-2026-a1"


@pytest.mark.parametrize("sent", [None, "x" * 65, "id with spaces", "a<script>"])
def test_a_missing_or_unfit_id_is_replaced_by_a_new_one(
    client: TestClient, sent: str | None
) -> None:
    headers = {"X-Request-ID": sent} if sent else {}
    first = client.get("/health", headers=headers).headers["X-Request-ID"]
    second = client.get("/health", headers=headers).headers["X-Request-ID"]
    assert first != second and len(first) == 32 and int(first, 16) >= 0


def test_the_id_is_on_every_record_the_request_writes(
    app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(HeaderRequestIdFilter())
    caplog.set_level(logging.INFO)
    working = app.state.session_factory
    app.state.session_factory = create_session_factory(create_db_engine(UNREACHABLE))
    try:  # the database is away: the backend logs a warning inside the request
        down = client.get("/api/v1/reference/districts", headers={"X-Request-ID": "turn-logged"})
    finally:
        app.state.session_factory = working
    logging.getLogger("bot.backend.tests").info("outside any request")
    assert down.status_code == 503 and down.headers["X-Request-ID"] == "turn-logged"
    warned = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    outside = [r for r in caplog.records if r.name == "bot.backend.tests"]
    assert [r.request_id for r in warned] == ["turn-logged"]  # type: ignore[attr-defined]
    assert [r.request_id for r in outside] == ["-"]  # type: ignore[attr-defined]
