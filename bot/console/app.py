"""Mount the console on the backend app: pages, static files, its JSON API, strict headers."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.console.routes import (
    analytics,
    calls,
    events,
    handoffs,
    notifications,
    pages,
    requests,
    session,
)

STATIC = Path(__file__).resolve().parent / "static"

#: Scripts and styles only from our own files: injected markup cannot run.
SECURITY_HEADERS = {
    b"content-security-policy": (
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        b"frame-ancestors 'none'"
    ),
    b"x-frame-options": b"DENY",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"cache-control": b"no-store",
}


class ConsoleHeadersMiddleware:
    """Add the security headers to everything under ``/console``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through, adding headers on the way out for console paths."""
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_console(app: FastAPI) -> None:
    """Serve the console at ``/console`` and its API at ``/console/api``."""
    api = APIRouter(prefix="/console/api")
    for module in (session, calls, requests, handoffs, analytics, notifications, events):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(pages.router, prefix="/console")
    app.include_router(analytics.page_router, prefix="/console")
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(ConsoleHeadersMiddleware)
