"""Authentication, the error shape, body limits and the last-resort 500."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.backend import payloads

PROTECTED = [
    ("get", "/api/v1/reference/districts"),
    ("get", "/api/v1/reference/hospitals"),
    ("get", "/api/v1/consent/notices/housing"),
    ("post", "/api/v1/requests"),
    ("post", "/api/v1/requests/lookup"),
    ("post", "/api/v1/requests/HS20261127-0001/cancel"),
    ("post", "/api/v1/requests/HS20261127-0001/status"),
    ("get", "/api/v1/requests/HS20261127-0001/events"),
]


def test_health_needs_no_token(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


UNAUTHORIZED = {
    "error": {"code": "unauthorized", "message": "身份验证失败，请提供有效的访问令牌。"}
}


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_api_route_refuses_a_missing_token(app: FastAPI, method: str, path: str) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.request(method, path, json={})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == UNAUTHORIZED


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer wrong-token",
        "Bearer test-backend-token-and-more",
        "Bearer TEST-BACKEND-TOKEN",
        "Basic dGVzdC1iYWNrZW5kLXRva2Vu",
        "Bearer ",
        "test-backend-token",
    ],
    ids=["wrong", "longer", "case", "basic", "empty", "no-scheme"],
)
def test_a_wrong_token_is_refused(app: FastAPI, authorization: str) -> None:
    with TestClient(app) as anonymous:
        response = anonymous.post(
            "/api/v1/requests",
            json=payloads.housing(),
            headers={"Authorization": authorization, "Idempotency-Key": "k"},
        )
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_the_right_token_is_accepted(app: FastAPI) -> None:
    with TestClient(app) as caller:
        response = caller.get(
            "/api/v1/reference/housing-types",
            headers={"Authorization": "Bearer test-backend-token"},
        )
    assert response.status_code == 200


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_wrong_method_uses_the_error_shape(client: TestClient) -> None:
    response = client.delete("/api/v1/reference/districts")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_oversized_body_is_refused_with_413(client: TestClient) -> None:
    body = payloads.hospital(reason="很" * 30_000)  # ~90 KB of UTF-8
    response = client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "big"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_oversized_chunked_body_is_refused_with_413(client: TestClient) -> None:
    def chunks():  # no Content-Length: the size is only known while reading
        for _ in range(80):
            yield b"x" * 1024

    response = client.post(
        "/api/v1/requests",
        content=chunks(),
        headers={"Idempotency-Key": "chunked", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_body_just_under_the_limit_is_read(client: TestClient) -> None:
    body = payloads.hospital(reason="x" * 201)
    response = client.post("/api/v1/requests", json=body, headers={"Idempotency-Key": "ok"})
    assert response.status_code == 422  # parsed, then refused for the reason's length
    assert "details.reason" in response.json()["error"]["fields"]


def test_unexpected_error_is_a_bare_500_and_logged_masked(
    app: FastAPI, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    def explode() -> None:
        raise RuntimeError("lost 13812345678 and 11010519491231002X")

    app.add_api_route("/api/v1/explode", explode)
    with caplog.at_level(logging.ERROR, logger="bot.backend"):
        response = client.get("/api/v1/explode")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "internal_error",
            "message": "系统暂时出现问题，请稍后再试，或联系人工客服。",
        }
    }
    assert "Traceback" not in response.text
    logged = caplog.text
    assert "RuntimeError" in logged
    assert "13812345678" not in logged and "11010519491231002X" not in logged
    assert "138****5678" in logged


def test_openapi_document_is_generated(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/requests" in document["paths"]
    assert "/api/v1/requests/{number}/cancel" in document["paths"]
