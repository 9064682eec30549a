"""The backend and the request catalogue agree: kinds, bodies, numbers, notices, teams.

The action server and the console build bodies from the catalogue
(bot/common/catalogue); if a kind or a field were declared on one side only, these
fail before a user meets a 422.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from bot.backend.consent.notices import NOTICES
from bot.backend.requests.lifecycle import KINDS, NUMBER_PATTERN, format_number
from bot.backend.requests.schemas import CREATE_BODIES, CallbackDetails
from bot.common.catalogue import ALL_KINDS, TEAMS, RequestKind
from bot.common.catalogue import KINDS as CATALOGUE


def model_of(body: type[BaseModel], part: str) -> type[BaseModel]:
    """Return the model of one part (``applicant`` or ``details``) of a create body."""
    annotation: Any = body.model_fields[part].annotation
    return annotation


def test_the_backend_knows_exactly_the_catalogue_kinds() -> None:
    assert set(KINDS) == set(CATALOGUE) == set(CREATE_BODIES)


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.code)
def test_each_body_has_the_catalogue_fields(kind: RequestKind) -> None:
    body = CREATE_BODIES[kind.code]
    assert set(model_of(body, "details").model_fields) == set(kind.detail_keys)
    applicant = model_of(body, "applicant").model_fields
    required = {name for name, info in applicant.items() if info.is_required()}
    assert required == {f.key for f in kind.applicant_fields}
    assert ("id_number" in required) == kind.needs_id_number


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.code)
def test_each_kind_has_a_notice_and_a_number(kind: RequestKind) -> None:
    assert kind.notice_key in {notice.kind for notice in NOTICES}
    number = format_number(kind.code, "20261129", 7)
    assert number == f"{kind.prefix}20261129-0007" and NUMBER_PATTERN.match(number)


def test_a_callback_can_go_to_every_team() -> None:
    team = CallbackDetails.model_fields["team"].annotation
    assert set(getattr(team, "__args__", ())) == set(TEAMS)
