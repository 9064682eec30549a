"""What each request kind needs from a caller, as the console shows it: all from the catalogue.

The fields, titles, questions and teams come from the request catalogue
(bot/common/catalogue); only the console's own words for conversation topics live here.
"""

from __future__ import annotations

from typing import Any

from bot.common.catalogue import (
    ALL_KINDS,
    FORM_KINDS,
    KINDS,
    KINDS_BY_INTENT,
    Field,
    team_of_request,
    team_of_topic,
)

__all__ = [
    "KIND_FIELDS",
    "KIND_TITLES",
    "SLOT_LABELS",
    "TOPIC_LABELS",
    "kind_of",
    "next_question",
    "team_of_request",
    "team_of_topic",
]

#: The fields the console's form asks for, per kind it can submit.
KIND_FIELDS: dict[str, tuple[Field, ...]] = {kind.code: kind.fields for kind in FORM_KINDS}
KIND_TITLES: dict[str, str] = {kind.code: kind.title for kind in ALL_KINDS}
#: Labels of the bot's slots, for the details a handed-off chat arrives with.
SLOT_LABELS: dict[str, str] = {f.slot: f.label for kind in ALL_KINDS for f in kind.fields}

#: Topic labels an agent reads at a glance (topics of data/topics.yml).
TOPIC_LABELS = {
    "housing_apply": "申请人才住房",
    "housing_policy": "住房政策",
    "school_apply": "办理子女入学",
    "school_policy": "子女入学政策",
    "hospital_book": "预约就医绿色通道",
    "hospital_policy": "定点医院与绿色通道政策",
    "hukou": "落户与档案",
    "talent_code": "人才码与人才服务",
    "funding": "科研项目与经费",
    "tech_transfer": "科技成果转化",
    "finance": "科技金融",
    "staffing": "用编上编",
    "general_service": "办事渠道",
    "request_status": "查询申请进度",
    "request_cancel": "取消申请",
    "human_handoff": "要求人工",
    "greet": "问候",
    "goodbye": "道别",
    "thanks": "致谢",
    "bot_challenge": "询问是否机器人",
    "out_of_scope": "超出服务范围",
    "dialogue": "回答/补充信息",
}


def kind_of(intent: str | None, topic: str | None) -> str | None:
    """Return the request a caller seems to want: asked for, or the one of the topic asked about."""
    if intent in KINDS_BY_INTENT:
        return KINDS_BY_INTENT[intent].code
    return next((k.code for k in FORM_KINDS if topic in k.topics), None)


def next_question(kind: str | None, known: dict[str, Any]) -> Field | None:
    """Return the first required field of the kind still missing, or None when all are known."""
    if kind not in KIND_FIELDS:
        return None
    for field in KINDS[kind].fields:
        if field.required and known.get(field.console_key) in (None, ""):
            return field
    return None


def form_description(kind_code: str) -> dict[str, Any]:
    """Describe one kind's console form: its fields, how to ask and fill each, fixed values."""
    kind = KINDS[kind_code]
    return {
        "kind": kind.code,
        "title": kind.title,
        "team": kind.team,
        "fields": [
            {
                "key": f.console_key,
                "body_key": f.key,
                "section": f.section,
                "label": f.label,
                "question": f.question,
                "required": f.required,
                "input": f.input,
                "choices": [[code, name] for code, name in (f.choices or {}).items()],
            }
            for f in kind.fields
        ],
        "fixed_details": dict(kind.fixed_details),
    }


def catalogue_labels() -> dict[str, Any]:
    """Name every kind and every detail a stored request may hold, for the request pages."""
    return {
        "kinds": {kind.code: kind.title for kind in ALL_KINDS},
        "applicant": {k.code: {f.key: f.label for f in k.applicant_fields} for k in ALL_KINDS},
        "details": {kind.code: kind.detail_labels for kind in ALL_KINDS},
    }
