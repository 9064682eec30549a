"""The supervisors' figures for a range of local days, from the stream's and the backend's tables.

Conversation figures (containment, fallbacks, the questions list) come from
what the consumer stored; handoff figures from the handoff queue; request
figures from the requests and their audit trail (``request_event``).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.backend.analytics.models import AnalyticsEvent, AnalyticsQuestion
from bot.backend.handoffs.models import Handoff
from bot.backend.requests.lifecycle import STATUS_LABELS
from bot.backend.requests.models import RequestEvent, ServiceRequest
from bot.common.catalogue import KINDS

CHANNEL_LABELS = {
    "socketio": "网页聊天",
    "rest": "REST 接口",
    "wechat": "微信",
    "hotline": "热线",
    "cli": "命令行",
}
#: the details key that names a request's district, by kind (others have none)
DISTRICT_KEYS = ("district", "target_district")
NO_DISTRICT = "未填写"
FUNNEL = ("submitted", "accepted", "in_progress", "completed")
TOP_QUESTIONS = 20


@dataclass(frozen=True)
class DayRange:
    """Local calendar days ``start``..``end`` inclusive, in the service's time zone."""

    start: date
    end: date
    tz: ZoneInfo

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """Return [first instant, instant after the last day) as aware datetimes."""
        first = datetime.combine(self.start, time.min, tzinfo=self.tz)
        after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.tz)
        return first, after

    def days(self) -> list[date]:
        """Return every day of the range."""
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def local_day(self, moment: datetime) -> date:
        """Return the local day of an instant."""
        return moment.astimezone(self.tz).date()


@dataclass(frozen=True)
class Question:
    """One group of similar questions on the policy staff's list."""

    text: str
    count: int
    unanswered: int
    low_confidence: int
    last_at: datetime


@dataclass
class Figures:
    """Everything the page, its charts and the CSV show."""

    range: DayRange
    conversations: int = 0
    escalated: int = 0
    user_messages: int = 0
    fallbacks: int = 0
    handoffs: int = 0
    handoffs_claimed: int = 0
    handoffs_unclaimed: int = 0
    wait_median_seconds: float | None = None
    wait_p90_seconds: float | None = None
    requests: int = 0
    by_kind: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    by_district: list[tuple[str, int]] = field(default_factory=list)
    by_day: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    rejected: int = 0
    cancelled: int = 0
    acceptance_median_seconds: float | None = None
    acceptance_p90_seconds: float | None = None
    questions: list[Question] = field(default_factory=list)

    @property
    def containment(self) -> float | None:
        """Share of conversations that ended without a person (live chat or callback)."""
        return None if not self.conversations else 1 - self.escalated / self.conversations

    @property
    def fallback_rate(self) -> float | None:
        """Share of user messages the assistant fell back on."""
        return None if not self.user_messages else self.fallbacks / self.user_messages

    @property
    def handoff_rate(self) -> float | None:
        """Handoffs to a person per conversation."""
        return None if not self.conversations else self.handoffs / self.conversations


def percentile(values: list[float], share: float) -> float | None:
    """Return the nearest-rank percentile (the value a share of cases stay within)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _conversation_figures(session: Session, figures: Figures) -> None:
    first, after = figures.range.bounds
    in_range = (AnalyticsEvent.occurred_at >= first, AnalyticsEvent.occurred_at < after)
    counted: dict[str, int] = {
        kind: int(count)
        for kind, count in session.execute(
            select(AnalyticsEvent.kind, func.count()).where(*in_range).group_by(AnalyticsEvent.kind)
        )
    }
    nlu_fallbacks = session.scalar(
        select(func.count()).where(
            *in_range, AnalyticsEvent.kind == "user", AnalyticsEvent.name == "nlu_fallback"
        )
    )
    figures.user_messages = int(counted.get("user", 0))
    figures.fallbacks = int(counted.get("fallback", 0)) + int(nlu_fallbacks or 0)

    talking = select(AnalyticsEvent.conversation_id).where(*in_range, AnalyticsEvent.kind == "user")
    distinct = func.count(func.distinct(AnalyticsEvent.conversation_id))
    figures.conversations = int(
        session.scalar(select(distinct).where(*in_range, AnalyticsEvent.kind == "user")) or 0
    )
    # only conversations counted above, so containment stays between 0 and 1
    figures.escalated = int(
        session.scalar(
            select(distinct).where(
                *in_range,
                AnalyticsEvent.kind == "handoff",
                AnalyticsEvent.conversation_id.in_(talking),
            )
        )
        or 0
    )


def _questions(session: Session, figures: Figures) -> None:
    first, after = figures.range.bounds
    unanswered = func.sum(case((AnalyticsQuestion.reason == "unanswered", 1), else_=0))
    last = func.max(AnalyticsQuestion.occurred_at)
    rows = session.execute(
        select(
            AnalyticsQuestion.normalised,
            func.min(AnalyticsQuestion.text),
            func.count(),
            unanswered,
            last,
        )
        .where(AnalyticsQuestion.occurred_at >= first, AnalyticsQuestion.occurred_at < after)
        .group_by(AnalyticsQuestion.normalised)
        .order_by(func.count().desc(), unanswered.desc(), last.desc())
        .limit(TOP_QUESTIONS)
    ).all()
    figures.questions = [
        Question(
            text=str(text),
            count=int(count),
            unanswered=int(unanswered or 0),
            low_confidence=int(count) - int(unanswered or 0),
            last_at=last,
        )  # fmt: skip
        for _normalised, text, count, unanswered, last in rows
    ]


def _handoff_figures(session: Session, figures: Figures) -> None:
    first, after = figures.range.bounds
    rows = session.execute(
        select(Handoff.created_at, Handoff.claimed_at, Handoff.status).where(
            Handoff.created_at >= first, Handoff.created_at < after
        )
    ).all()
    waits = [(c - s).total_seconds() for s, c, _ in rows if c is not None]
    figures.handoffs = len(rows)
    figures.handoffs_claimed = len(waits)
    figures.handoffs_unclaimed = sum(1 for _, c, status in rows if c is None and status == "closed")
    figures.wait_median_seconds = percentile(waits, 0.5)
    figures.wait_p90_seconds = percentile(waits, 0.9)


def _request_figures(session: Session, figures: Figures) -> None:
    first, after = figures.range.bounds
    in_range = (ServiceRequest.created_at >= first, ServiceRequest.created_at < after)
    requests = session.execute(
        select(
            ServiceRequest.id, ServiceRequest.kind, ServiceRequest.channel,
            ServiceRequest.details, ServiceRequest.created_at,
        ).where(*in_range)
    ).all()  # fmt: skip
    figures.requests = len(requests)
    kinds, channels, districts = Counter[str](), Counter[str](), Counter[str]()
    days = Counter[date]()
    for _, kind, channel, details, created_at in requests:
        kinds[KINDS[kind].title if kind in KINDS else kind] += 1
        channels[CHANNEL_LABELS.get(channel, channel)] += 1
        found = [str(details.get(k)) for k in DISTRICT_KEYS if (details or {}).get(k)]
        districts[found[0] if found else NO_DISTRICT] += 1
        days[figures.range.local_day(created_at)] += 1
    figures.by_kind = kinds.most_common()
    figures.by_channel = channels.most_common()
    figures.by_district = districts.most_common()
    figures.by_day = [(d.isoformat(), days[d]) for d in figures.range.days()]
    created = {row[0]: row[4] for row in requests}
    reached: dict[str, set[int]] = {status: set() for status in STATUS_LABELS}
    reached["submitted"] = set(created)
    accepted_at: dict[int, datetime] = {}
    trail = session.execute(
        select(RequestEvent.request_id, RequestEvent.to_status, RequestEvent.created_at)
        .where(RequestEvent.request_id.in_(select(ServiceRequest.id).where(*in_range)))
        .order_by(RequestEvent.created_at)
    ).all()
    for request_id, to_status, at in trail:
        reached.setdefault(to_status, set()).add(request_id)
        if to_status == "accepted":
            accepted_at.setdefault(request_id, at)
    figures.funnel = [(status, len(reached[status])) for status in FUNNEL]
    figures.rejected = len(reached["rejected"])
    figures.cancelled = len(reached["cancelled"])
    waits = [(at - created[rid]).total_seconds() for rid, at in accepted_at.items()]
    figures.acceptance_median_seconds = percentile(waits, 0.5)
    figures.acceptance_p90_seconds = percentile(waits, 0.9)


def compute(session: Session, day_range: DayRange) -> Figures:
    """Compute every figure for the range."""
    figures = Figures(range=day_range)
    _conversation_figures(session, figures)
    _questions(session, figures)
    _handoff_figures(session, figures)
    _request_figures(session, figures)
    return figures
