"""Import every domain's tables so ``Base.metadata`` knows them all (Alembic, mappers)."""

from __future__ import annotations

from bot.backend.consent.models import ConsentNotice, ConsentRecord
from bot.backend.db import Base
from bot.backend.reference.models import District, Hospital, HospitalDepartment
from bot.backend.requests.models import RequestEvent, RequestSequence, ServiceRequest

__all__ = [
    "Base",
    "ConsentNotice",
    "ConsentRecord",
    "District",
    "Hospital",
    "HospitalDepartment",
    "RequestEvent",
    "RequestSequence",
    "ServiceRequest",
]
