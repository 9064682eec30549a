"""Typed backend errors and the one place that turns any error into JSON.

Every error leaves the backend as
``{"error": {"code": "<snake_case>", "message": "<Chinese>", "fields": {...}}}``
and never carries a stack trace.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.backend.validation_messages import translate_validation_errors
from bot.common.pii import mask_text

logger = logging.getLogger(__name__)


class ApiError(Exception):
    """Base of every error the backend reports to its clients on purpose."""

    status_code: int = 500
    code: str = "internal_error"
    default_message: str = "系统暂时出现问题，请稍后再试，或联系人工客服。"

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        self.message = message or self.default_message
        self.fields = dict(fields or {})
        self.headers: dict[str, str] = {}
        super().__init__(self.message)


class UnauthorizedError(ApiError):
    """The caller did not present the backend API token."""

    status_code = 401
    code = "unauthorized"
    default_message = "身份验证失败，请提供有效的访问令牌。"


class ForbiddenScopeError(ApiError):
    """The caller is known, but its credential does not cover this route."""

    status_code = 403
    code = "forbidden"
    default_message = "该凭据无权访问此接口。"


class TooManyAttemptsError(ApiError):
    """Too many failed proofs or requests: wait ``retry_after`` seconds."""

    status_code = 429
    code = "too_many_attempts"
    default_message = "该编号的查询尝试次数过多，已暂时锁定。请稍后再试，或联系人工客服协助。"

    def __init__(self, message: str | None = None, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(retry_after)


class NotFoundError(ApiError):
    """The thing asked for does not exist, or the caller may not know it does."""

    status_code = 404
    code = "not_found"
    default_message = "未找到相关记录，请核对后再试。"


class ValidationFailedError(ApiError):
    """The request is well-formed JSON but its content is not acceptable."""

    status_code = 422
    code = "validation_error"
    default_message = "提交的信息有误，请核对后重新提交。"


class ConsentRequiredError(ValidationFailedError):
    """The applicant has not agreed to the current personal-data notice."""

    code = "consent_required"
    default_message = "请先阅读并同意最新版本的个人信息告知书后再提交。"


class ConflictError(ApiError):
    """The request clashes with the current state of the server."""

    status_code = 409
    code = "conflict"
    default_message = "当前状态下无法完成该操作。"


class InvalidTransitionError(ConflictError):
    """A service request cannot move to the asked-for status from its current one."""

    code = "invalid_transition"
    default_message = "该申请当前的状态不允许此操作。"


class IdempotencyConflictError(ConflictError):
    """An idempotency key was reused with a different request body."""

    code = "idempotency_conflict"
    default_message = "该幂等键已用于另一份不同的申请，请勿重复使用。"


class PayloadTooLargeError(ApiError):
    """The request body is larger than the configured limit."""

    status_code = 413
    code = "payload_too_large"
    default_message = "提交的内容过大，请精简后再试。"


#: how long a client should wait before retrying after a 503
RETRY_AFTER_SECONDS = 5


class ServiceUnavailableError(ApiError):
    """The database cannot be reached right now; the same call may succeed shortly."""

    status_code = 503
    code = "service_unavailable"
    default_message = "系统繁忙，请稍后再试。"


_HTTP_STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求格式有误，请核对后再试。"),
    401: (UnauthorizedError.code, UnauthorizedError.default_message),
    404: (NotFoundError.code, "请求的地址不存在。"),
    405: ("method_not_allowed", "不支持该请求方法。"),
    403: (ForbiddenScopeError.code, ForbiddenScopeError.default_message),
    413: (PayloadTooLargeError.code, PayloadTooLargeError.default_message),
    429: (TooManyAttemptsError.code, "请求过于频繁，请稍后再试。"),
}


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    """Build the JSON error shape shared by every error response."""
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(exc: ApiError) -> JSONResponse:
    """Render a typed backend error."""
    headers = dict(exc.headers)
    if exc.status_code == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.status_code == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_SECONDS))
    return JSONResponse(
        error_body(exc.code, exc.message, exc.fields),
        status_code=exc.status_code,
        headers=headers or None,
    )


def _internal_error_response() -> JSONResponse:
    return JSONResponse(error_body(ApiError.code, ApiError.default_message), status_code=500)


def log_unexpected(exc: BaseException, scope: Scope) -> None:
    """Log an unexpected error with every phone or ID number in it masked."""
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    logger.error(
        "未处理的异常 %s %s\n%s",
        scope.get("method", "-"),
        scope.get("path", "-"),
        mask_text(trace),
    )


async def _handle_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def _handle_database_error(request: Request, exc: Exception) -> JSONResponse:
    """Connection-level database failures become 503 + Retry-After; other DB errors stay 500.

    A lost or refused connection (``connection_invalidated``, OperationalError,
    an exhausted pool) is temporary: the transaction was rolled back, nothing was
    half-saved, and the client may retry with the same idempotency key.
    """
    temporary = isinstance(exc, OperationalError | PoolTimeoutError) or bool(
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )
    if temporary:
        logger.warning(
            "database unavailable on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
        )
        return error_response(ServiceUnavailableError())
    log_unexpected(exc, request.scope)
    return _internal_error_response()


async def _handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields, consent_problem = translate_validation_errors(exc.errors())
    error_cls = ConsentRequiredError if consent_problem else ValidationFailedError
    return error_response(error_cls(fields=fields))


async def _handle_http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_STATUS_ERRORS.get(
        exc.status_code, ("http_error", "请求未能完成，请稍后再试。")
    )
    if exc.status_code >= 500:
        code, message = ApiError.code, ApiError.default_message
    return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=exc.headers)


class CatchAllMiddleware:
    """Answer any unhandled exception with a bare 500 and a masked log entry.

    Starlette's own last-resort handler re-raises after answering, so the
    server would log the raw trace, personal data included; this stops that.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app and turn escaping exceptions into ``internal_error``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the boundary of the app
            log_unexpected(exc, scope)
            if not started:
                await _internal_error_response()(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Map every kind of error to the JSON error shape."""
    app.add_exception_handler(ApiError, _handle_api_error)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(DBAPIError, _handle_database_error)
    app.add_exception_handler(PoolTimeoutError, _handle_database_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_error)
    app.add_middleware(CatchAllMiddleware)
