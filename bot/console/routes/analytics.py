"""The supervisors' analytics page, its figures, charts and CSV; anyone else gets 404.

An agent (not a supervisor) is answered exactly like a path that does not
exist; a visitor without a session is sent to sign in (page) or gets 401 (API).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.backend.analytics import figures as analytics
from bot.backend.config import Settings
from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.errors import NotFoundError, ValidationFailedError
from bot.console import analytics_view as view
from bot.console.auth import Caller, CallerDep, OptionalCallerDep, audit
from bot.console.charts import bar_chart

STATIC = Path(__file__).resolve().parent.parent / "static"
#: the page opens on the last 30 days; a range may cover a year at most
DEFAULT_DAYS = 30
MAX_DAYS = 366
NOT_HERE = "请求的地址不存在。"
CHARTS = ("days", "kinds", "channels", "districts", "funnel")

page_router = APIRouter(tags=["console"], include_in_schema=False)
router = APIRouter(prefix="/analytics", tags=["console"])


def supervisor(caller: CallerDep) -> Caller:
    """Let supervisors through; to anyone else the analytics do not exist."""
    if not caller.is_supervisor:
        raise NotFoundError(NOT_HERE)
    return caller


SupervisorDep = Annotated[Caller, Depends(supervisor)]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


def day_range(start: date | None, end: date | None, settings: Settings, now: datetime) -> Any:
    """Read the range (default: the last 30 days up to today), refusing a reversed or huge one."""
    end = end or now.astimezone(settings.tz).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValidationFailedError(
            "开始日期不能晚于结束日期。", fields={"from": "开始日期不能晚于结束日期"}
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationFailedError("日期范围最长一年，请缩短后再查。", fields={"to": "最长一年"})
    return analytics.DayRange(start, end, settings.tz)


def _figures(
    session: Session, settings: Settings, now: datetime, start: date | None, end: date | None
) -> analytics.Figures:
    return analytics.compute(session, day_range(start, end, settings, now))


@page_router.get("/analytics")
def analytics_page(caller: OptionalCallerDep) -> Response:
    """Serve the page to a supervisor; send a visitor to sign in; 404 to an agent."""
    if caller is None:
        return RedirectResponse("/console/login", status_code=303)
    if not caller.is_supervisor:
        raise NotFoundError(NOT_HERE)
    return FileResponse(STATIC / "analytics.html", media_type="text/html; charset=utf-8")


@router.get("")
def figures_json(
    caller: SupervisorDep, session: SessionDep, settings: SettingsDep, now: NowDep,
    start: From = None, end: To = None,
) -> dict[str, Any]:  # fmt: skip
    """Return every figure of the range for the page to fill in."""
    return view.as_json(_figures(session, settings, now, start, end))


@router.get("/charts/{name}.svg")
def chart(
    name: str, caller: SupervisorDep, session: SessionDep, settings: SettingsDep,
    now: NowDep, start: From = None, end: To = None,
) -> Response:  # fmt: skip
    """Draw one chart of the range as SVG (an <img> on the page; no script, no CDN)."""
    if name not in CHARTS:
        raise NotFoundError(NOT_HERE)
    figures = _figures(session, settings, now, start, end)
    title, rows = {
        "days": ("每日提交申请", [(day[5:], n) for day, n in figures.by_day]),
        "kinds": ("按事项", figures.by_kind),
        "channels": ("按渠道", figures.by_channel),
        "districts": ("按区县", figures.by_district[:15]),
        "funnel": ("办理进度（本期提交的申请）", view.funnel(figures)),
    }[name]
    return Response(bar_chart(title, rows), media_type="image/svg+xml; charset=utf-8")


@router.get("/export.csv")
def export_csv(
    caller: SupervisorDep, session: SessionDep, settings: SettingsDep, now: NowDep,
    start: From = None, end: To = None,
) -> Response:  # fmt: skip
    """Download the range's figures as CSV; the export is recorded in the audit log."""
    figures = _figures(session, settings, now, start, end)
    span = f"{figures.range.start.isoformat()}_{figures.range.end.isoformat()}"
    audit(session, caller, action="analytics_export", now=now, target=span)
    return Response(
        view.to_csv(figures),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="yucai-analytics-{span}.csv"'},
    )
