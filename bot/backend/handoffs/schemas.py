"""Bodies and responses of the handoff endpoints (the bot's side and the console's)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from bot.backend.requests.fields import Note, SenderId, refuse_control_characters

ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(refuse_control_characters),
]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z_/]{1,32}$")]


class RecentLine(BaseModel):
    """One line of the conversation before the handoff, for the agent's context."""

    model_config = ConfigDict(extra="forbid")

    speaker: Literal["user", "bot"]
    text: Annotated[str, StringConstraints(max_length=500)]


class HandoffCreate(BaseModel):
    """What the bot hands over: who, on which channel, about what, and what it knew."""

    model_config = ConfigDict(extra="forbid")

    sender_id: SenderId
    channel: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,32}$")]
    topic: Code = "general_service"
    summary: Note = ""
    details: dict[Code, ShortText] = Field(default_factory=dict, max_length=20)
    recent: list[RecentLine] = Field(default_factory=list, max_length=10)


class HandoffQueued(BaseModel):
    """The bot's view of a queued conversation: where it stands."""

    id: int
    status: str
    position: int
    created: bool


class AvailabilityPublic(BaseModel):
    """Whether a person can take over now; if not, why, and the service hours."""

    available: bool
    reason: Literal["outside_hours", "no_agent", "channel"] | None
    hours: str
    team: str
    #: when people next answer, in service-hours local time (now while open; null past a month)
    next_open: datetime | None = None
    #: the same for users, e.g. ``10月8日（周四）9:00``; empty while open
    next_open_text: str = ""


class MessagePublic(BaseModel):
    """One message of a handed-off conversation as the console shows it."""

    id: int
    author: str
    agent: str | None
    text: str
    at: datetime


class HandoffPublic(BaseModel):
    """A queued or held conversation as the console shows it."""

    id: int
    status: str
    team: str
    topic: str
    topic_label: str
    channel: str
    summary: str
    details: dict[str, str]
    recent: list[RecentLine]
    agent: str | None
    mine: bool
    created_at: datetime
    claimed_at: datetime | None
