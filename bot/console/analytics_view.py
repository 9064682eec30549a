"""The analytics figures as the page, its charts and its CSV show them (labels, units, rows)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from bot.backend.analytics.figures import Figures
from bot.backend.requests.lifecycle import STATUS_LABELS

NOTHING = "—"
#: a cell a spreadsheet would run as a formula is written as text (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def percent(share: float | None) -> str:
    """Write a share as a percentage with one decimal."""
    return NOTHING if share is None else f"{share * 100:.1f}%"


def duration(seconds: float | None) -> str:
    """Write a waiting time the way people say it (分钟 / 小时 / 天)."""
    if seconds is None:
        return NOTHING
    minutes = round(seconds / 60)
    if seconds < 60:
        return f"{round(seconds)} 秒"
    if minutes < 60:
        return f"{minutes} 分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} 小时 {minutes} 分" if minutes else f"{hours} 小时"
    days, hours = divmod(hours, 24)
    return f"{days} 天 {hours} 小时" if hours else f"{days} 天"


def summary(figures: Figures) -> list[tuple[str, str, str]]:
    """Return (key, label, shown value) for the headline figures, in page order."""
    return [
        ("conversations", "对话数", str(figures.conversations)),
        ("containment", "自助解决率（未转人工）", percent(figures.containment)),
        ("handoff_rate", "转人工率", percent(figures.handoff_rate)),
        ("handoffs", "转人工会话", str(figures.handoffs)),
        ("wait_median", "排队等待（中位数）", duration(figures.wait_median_seconds)),
        ("wait_p90", "排队等待（90% 以内）", duration(figures.wait_p90_seconds)),
        ("handoffs_unclaimed", "无人接入后交还助手", str(figures.handoffs_unclaimed)),
        ("user_messages", "用户消息", str(figures.user_messages)),
        ("fallback_rate", "未理解率（兜底回复）", percent(figures.fallback_rate)),
        ("requests", "提交申请", str(figures.requests)),
        ("acceptance_median", "受理用时（中位数）", duration(figures.acceptance_median_seconds)),
        ("acceptance_p90", "受理用时（90% 以内）", duration(figures.acceptance_p90_seconds)),
    ]


def funnel(figures: Figures) -> list[tuple[str, int]]:
    """Return the status funnel with Chinese labels, then the requests that left it."""
    rows = [(STATUS_LABELS[status], count) for status, count in figures.funnel]
    return [*rows, (STATUS_LABELS["rejected"], figures.rejected),
            (STATUS_LABELS["cancelled"], figures.cancelled)]  # fmt: skip


def as_json(figures: Figures) -> dict[str, Any]:
    """Return everything the page fills in (as text, by script)."""
    return {
        "range": {"from": figures.range.start.isoformat(), "to": figures.range.end.isoformat()},
        "summary": [{"key": k, "label": label, "value": v} for k, label, v in summary(figures)],
        "by_kind": figures.by_kind,
        "by_channel": figures.by_channel,
        "by_district": figures.by_district,
        "by_day": figures.by_day,
        "funnel": funnel(figures),
        "questions": [
            {
                "text": q.text,
                "count": q.count,
                "unanswered": q.unanswered,
                "low_confidence": q.low_confidence,
                "last_at": q.last_at.isoformat(),
            }
            for q in figures.questions
        ],
    }


def _cell(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_rows(figures: Figures) -> Iterator[list[str]]:
    """Yield the CSV's rows: 类别, 项目, 数值, 说明."""
    yield ["类别", "项目", "数值", "说明"]
    span = f"{figures.range.start.isoformat()} 至 {figures.range.end.isoformat()}"
    yield ["范围", "日期", span, "含首尾两天，按重庆时间"]
    for _key, label, value in summary(figures):
        yield ["概览", label, value, ""]
    for section, rows in (
        ("按事项", figures.by_kind),
        ("按渠道", figures.by_channel),
        ("按区县", figures.by_district),
        ("按日期", figures.by_day),
        ("办理进度", funnel(figures)),
    ):
        for label, count in rows:
            yield [section, label, str(count), ""]
    for q in figures.questions:
        note = f"未能回答 {q.unanswered} 次，理解不确定 {q.low_confidence} 次"
        yield ["待补充问题", q.text, str(q.count), note]


def to_csv(figures: Figures) -> str:
    """Write the CSV (with a BOM, so spreadsheet programs read the Chinese as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(figures):
        writer.writerow([_cell(value) for value in row])
    return "\ufeff" + out.getvalue()
