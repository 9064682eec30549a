"""Import every domain's tables so ``Base.metadata`` knows them all (Alembic, mappers)."""

from __future__ import annotations

from bot.backend.agents.models import Agent, AgentAudit, AgentSession
from bot.backend.analytics.models import (
    AnalyticsConversation,
    AnalyticsEvent,
    AnalyticsQuestion,
)
from bot.backend.consent.models import ConsentNotice, ConsentRecord
from bot.backend.db import Base
from bot.backend.guessing.models import ProofFailure
from bot.backend.handoffs.models import Handoff, HandoffMessage
from bot.backend.notifications.models import Notification, NotificationOptOut
from bot.backend.reference.models import District, Hospital, HospitalDepartment
from bot.backend.requests.models import RequestEvent, RequestSequence, ServiceRequest

__all__ = [
    "Agent",
    "AgentAudit",
    "AgentSession",
    "AnalyticsConversation",
    "AnalyticsEvent",
    "AnalyticsQuestion",
    "Base",
    "ConsentNotice",
    "ConsentRecord",
    "District",
    "Handoff",
    "HandoffMessage",
    "Hospital",
    "HospitalDepartment",
    "Notification",
    "NotificationOptOut",
    "ProofFailure",
    "RequestEvent",
    "RequestSequence",
    "ServiceRequest",
]
