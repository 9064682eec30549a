"""The call screen: each caller utterance understood, and what the form needs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from bot.backend.consent import service as consent
from bot.backend.deps import NowDep, SessionDep, SettingsDep
from bot.backend.reference import service as reference
from bot.backend.requests.fields import refuse_control_characters
from bot.common.catalogue import KINDS
from bot.console.assist import HospitalRef, assist
from bot.console.auth import CallerDep
from bot.console.deps import KnowledgeDep, RasaDep
from bot.console.fields import KIND_FIELDS, catalogue_labels, form_description

router = APIRouter(tags=["console"])

Utterance = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(refuse_control_characters),
]


class TurnIn(BaseModel):
    """What the caller just said, and what earlier turns established."""

    model_config = ConfigDict(extra="forbid")

    text: Utterance
    known: dict[str, Any] = Field(default_factory=dict, max_length=30)


def hospital_refs(session: Any) -> list[HospitalRef]:
    """Read the designated hospitals for matching names in speech."""
    return [
        HospitalRef(
            code=h.code,
            name=h.name,
            short_names=tuple(h.short_names or ()),
            departments=tuple(d.name for d in h.departments),
        )
        for h in reference.list_hospitals(session)
    ]


@router.post("/assist")
def assist_turn(
    body: TurnIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    now: NowDep,
    rasa: RasaDep,
    kb: KnowledgeDep,
) -> dict[str, Any]:
    """Understand one utterance with Rasa's NLU and suggest the answer and next question."""
    parse = rasa.parse(body.text)
    return assist(
        text=body.text,
        parse=parse,
        known=body.known,
        kb=kb,
        today=now.astimezone(settings.tz).date(),
        hospitals=hospital_refs(session),
    )


@router.get("/catalogue")
def catalogue(caller: CallerDep) -> dict[str, Any]:
    """Name the request kinds and their details, so pages show labels without a copy."""
    return catalogue_labels()


@router.get("/forms")
def form_definitions(caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """Describe the request forms, the hospitals and each kind's current notice."""
    kinds = []
    for kind in KIND_FIELDS:
        notice = consent.get_current_notice(session, kind=KINDS[kind].notice_key)
        kinds.append(
            {**form_description(kind), "notice": {"version": notice.version, "text": notice.text}}
        )
    return {
        "kinds": kinds,
        "hospitals": [
            {"code": h.code, "name": h.name, "departments": list(h.departments)}
            for h in hospital_refs(session)
        ],
    }
