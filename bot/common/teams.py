"""Which team of hotline agents takes a topic's conversations and a request.

Pure standard library: the backend routes handoffs and scopes requests with it,
the console shows the same routing.
"""

from __future__ import annotations

#: Which team takes a topic's conversations and requests (teams: bot/backend/agents/models.py).
TOPIC_TEAMS = {
    "housing_apply": "housing",
    "housing_policy": "housing",
    "school_apply": "schooling",
    "school_policy": "schooling",
    "hospital_book": "hospital",
    "hospital_policy": "hospital",
}


def team_of_topic(topic: str | None) -> str:
    """Route a topic to its team; everything else goes to ``general``."""
    return TOPIC_TEAMS.get(topic or "", "general")


def team_of_request(kind: str, details: dict[str, object]) -> str:
    """Route a request: by kind, or for a callback by the team it names."""
    if kind == "callback":
        team = details.get("team")
        return team if isinstance(team, str) else "general"
    return kind
