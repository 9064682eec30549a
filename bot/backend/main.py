"""Build the backend's FastAPI app: wiring only, no work at import.

The backend never imports the console; ``bot/server.py`` mounts the console
on this app (``bot.server.create_app``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import text

import bot.backend.models  # noqa: F401 - register every table with the mappers
from bot.backend.config import Settings
from bot.backend.consent.router import router as consent_router
from bot.backend.db import create_db_engine, create_session_factory
from bot.backend.errors import RETRY_AFTER_SECONDS, install_error_handlers
from bot.backend.handoffs.router import router as handoff_router
from bot.backend.handoffs.sweeper import sweep_forever
from bot.backend.limits import BodySizeLimitMiddleware
from bot.backend.logs import install_log_masking
from bot.backend.metrics import install as install_metrics
from bot.backend.migrate import is_up_to_date
from bot.backend.notifications.router import router as notifications_router
from bot.backend.notifications.worker import notify_forever
from bot.backend.reference.router import router as reference_router
from bot.backend.requests.router import router as requests_router
from bot.backend.requests.router import staff_router
from bot.backend.retention import purge
from bot.backend.security import require_token
from bot.common.logs import HEADER, clean_request_id, new_request_id

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """Read the wall clock as an aware UTC datetime."""
    return datetime.now(timezone.utc)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database engine when serving starts and close it at shutdown."""
    engine = create_db_engine(app.state.settings.database_url)
    if not is_up_to_date(engine):
        engine.dispose()
        raise RuntimeError(
            "the database schema is missing or old: run `python -m bot.backend.cli init-db`"
        )
    app.state.session_factory = create_session_factory(engine)
    sweeper = None
    if app.state.settings.handoff_wait_seconds > 0:
        sweeper = asyncio.create_task(sweep_forever(app, lambda: app.state.clock()))
    notifier = None
    if app.state.settings.notify_interval_seconds > 0:  # status updates (issue 15)
        notifier = asyncio.create_task(notify_forever(app, lambda: app.state.clock()))
    purger = None
    if app.state.settings.production:  # the retention purge (README: security)
        purger = asyncio.create_task(purge_regularly(app))
    try:
        yield
    finally:
        if sweeper is not None:
            sweeper.cancel()
        if purger is not None:
            purger.cancel()
        if notifier is not None:
            notifier.cancel()
        rasa = getattr(app.state, "rasa", None)
        if rasa is not None:
            rasa.close()
        engine.dispose()


async def purge_regularly(app: FastAPI) -> None:
    """Run the retention purge now and then every ``PURGE_INTERVAL_MINUTES``, in a thread."""
    settings: Settings = app.state.settings
    while True:
        try:
            with app.state.session_factory() as session:
                await asyncio.to_thread(
                    purge,
                    session,
                    now=app.state.clock(),
                    conversation_days=settings.conversation_retention_days,
                    tracker_store_url=settings.tracker_store_url or None,
                )
        except Exception:  # noqa: BLE001 - a failed run is logged and tried again next time
            logger.exception("the scheduled purge failed")
        await asyncio.sleep(settings.purge_interval_minutes * 60)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Assemble the backend API for ``settings`` (read from the environment if omitted)."""
    settings = settings or Settings()
    app = FastAPI(
        title="渝才助手服务申请后端",
        version="1.0.0",
        description="Service requests of Yucai; see bot/backend/API.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = utc_now

    # the action server's token (scoped: see bot/backend/security.py) ...
    api = APIRouter(prefix="/api/v1")
    token = [Depends(require_token)]
    api.include_router(reference_router, dependencies=token)
    api.include_router(consent_router, dependencies=token)
    api.include_router(requests_router)
    api.include_router(handoff_router, dependencies=token)
    api.include_router(notifications_router, dependencies=token)
    # ... and an agent's session for the staff routes
    api.include_router(staff_router)
    app.include_router(api)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, str]:
        """Answer liveness probes without touching the database."""
        return {"status": "ok"}

    @app.get("/ready", tags=["health"])
    def ready() -> JSONResponse:
        """Answer readiness probes: 200 only while the database answers a query.

        The backend uses no Redis and no broker; those are checked by the Rasa
        side's own readiness (bot/serving).
        """
        try:
            with app.state.session_factory() as session:
                session.execute(text("select 1"))
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            return JSONResponse(
                {"status": "unavailable", "database": type(exc).__name__},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    install_metrics(app, settings.metrics_token.get_secret_value())
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    # the turn's id from the action server (or a new one): on every log line, echoed back
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=HEADER,
        generator=new_request_id,
        validator=lambda value: clean_request_id(value) is not None,
    )
    install_error_handlers(app)
    install_log_masking()
    return app
