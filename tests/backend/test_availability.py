"""Readiness, database outages as 503 + Retry-After, and a pool that survives lost connections."""

from __future__ import annotations

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bot.backend.db import create_db_engine, create_session_factory
from bot.backend.requests.models import ServiceRequest
from tests.backend import payloads

#: nothing listens on port 1: every connection is refused at once
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/yucai"


def test_ready_checks_the_database(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_database_down_means_not_ready_and_503_with_retry_after(
    app: FastAPI, client: TestClient, engine: Engine
) -> None:
    working = app.state.session_factory
    app.state.session_factory = create_session_factory(create_db_engine(UNREACHABLE))
    try:
        ready = client.get("/ready")
        created = client.post(
            "/api/v1/requests", json=payloads.housing(), headers={"Idempotency-Key": "k-down"}
        )
        lookup = client.post(
            "/api/v1/requests/lookup", json={"number": "HS20261127-0001", "phone_last4": "5678"}
        )
    finally:
        app.state.session_factory = working
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    for response in (created, lookup):
        assert response.status_code == 503, response.text
        assert response.headers["Retry-After"] == "5"
        assert response.json()["error"]["code"] == "service_unavailable"
        assert response.json()["error"]["message"] == "系统繁忙，请稍后再试。"
    with engine.connect() as conn:  # nothing half-saved
        assert conn.scalar(select(func.count()).select_from(ServiceRequest)) == 0
    again = client.post(
        "/api/v1/requests", json=payloads.housing(), headers={"Idempotency-Key": "k-down"}
    )
    assert again.status_code == 201, again.text


@pytest.mark.postgres
@pytest.mark.parametrize("ready_database_url", ["postgresql"], indirect=True)
def test_pool_survives_the_database_dropping_every_connection(
    app: FastAPI, client: TestClient, ready_database_url: str
) -> None:
    first = client.post(
        "/api/v1/requests", json=payloads.housing(), headers={"Idempotency-Key": "k-1"}
    )
    assert first.status_code == 201
    database = ready_database_url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as admin:
        killed = admin.execute(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity"
            " where datname = %s and pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    # pool_pre_ping notices the dead connections and opens new ones: no error reaches the client
    second = client.post(
        "/api/v1/requests", json=payloads.housing(), headers={"Idempotency-Key": "k-2"}
    )
    assert second.status_code == 201, second.text
    assert client.get("/ready").status_code == 200
