"""Shapes of notices and of the consent block inside a request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ConsentCreate(BaseModel):
    """The notice version the applicant agreed to, and when."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    notice_version: str = Field(min_length=1, max_length=64)
    agreed_at: datetime


class NoticePublic(BaseModel):
    """The current notice of a request kind, to show before asking for consent."""

    kind: str
    version: str
    text: str
    published_at: datetime
