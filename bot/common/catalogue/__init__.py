"""The request catalogue: every kind of service request described once (kinds.py).

Pure Python, no Rasa, FastAPI or SQLAlchemy: the action server, the console, the backend
and the NLU components all derive what they know of request kinds from here.
"""

from __future__ import annotations

from bot.common.catalogue.kinds import (
    ALL_KINDS,
    CALLBACK,
    CONSENT_SLOTS,
    CONTROL_SLOTS,
    HOSPITAL,
    HOUSING,
    SCHOOLING,
    SETTLEMENT,
    parse_field,
)
from bot.common.catalogue.model import Field, ParseContext, RequestKind

KINDS: dict[str, RequestKind] = {kind.code: kind for kind in ALL_KINDS}
KINDS_BY_FORM: dict[str, RequestKind] = {kind.form: kind for kind in ALL_KINDS}
KINDS_BY_PREFIX: dict[str, RequestKind] = {kind.prefix: kind for kind in ALL_KINDS}
KINDS_BY_INTENT: dict[str, RequestKind] = {k.intent: k for k in ALL_KINDS if k.intent}
#: The kinds a person fills in through a form (the bot's or the console's).
FORM_KINDS: tuple[RequestKind, ...] = tuple(k for k in ALL_KINDS if k.console_form)
#: Teams split the work: each request kind has one, ``general`` takes the rest.
TEAMS: tuple[str, ...] = tuple(dict.fromkeys((*(k.team for k in FORM_KINDS), "general")))
#: Which team takes a topic's conversations and requests (topics of data/topics.yml).
TOPIC_TEAMS: dict[str, str] = {topic: k.team for k in FORM_KINDS for topic in k.topics}
#: How Rasa's input channels are named in the backend's records.
CHANNELS: dict[str, str] = {
    "rest": "rest",
    "socketio": "socketio",
    "cmdline": "cli",
    "wechat": "wechat",
}


def backend_channel(input_channel: str | None) -> str:
    """Name a Rasa input channel the way the backend records channels (REST if unknown)."""
    return CHANNELS.get(input_channel or "", "rest")


def team_of_topic(topic: str | None) -> str:
    """Route a topic to its team; everything else goes to ``general``."""
    return TOPIC_TEAMS.get(topic or "", "general")


def team_of_request(kind: str, details: dict[str, object]) -> str:
    """Route a request: by kind, or for a callback by the team it names."""
    if kind == CALLBACK.code:
        team = details.get("team")
        return team if isinstance(team, str) else "general"
    return KINDS[kind].team if kind in KINDS else "general"


__all__ = [
    "ALL_KINDS",
    "CALLBACK",
    "CHANNELS",
    "CONSENT_SLOTS",
    "CONTROL_SLOTS",
    "FORM_KINDS",
    "HOSPITAL",
    "HOUSING",
    "KINDS",
    "KINDS_BY_FORM",
    "KINDS_BY_INTENT",
    "KINDS_BY_PREFIX",
    "SCHOOLING",
    "SETTLEMENT",
    "TEAMS",
    "TOPIC_TEAMS",
    "Field",
    "ParseContext",
    "RequestKind",
    "backend_channel",
    "parse_field",
    "team_of_request",
    "team_of_topic",
]
