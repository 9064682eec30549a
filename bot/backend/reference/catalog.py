"""Small fixed catalogues that change only with policy: the shared choices (bot/common)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.common.choices import HOUSING_TYPES as _HOUSING_TYPES
from bot.common.choices import SCHOOL_STAGES as _STAGES
from bot.common.choices import SchoolStage


@dataclass(frozen=True)
class HousingType:
    """A kind of talent housing one can apply for."""

    code: str
    name: str


HOUSING_TYPES: tuple[HousingType, ...] = tuple(
    HousingType(code, name) for code, name in _HOUSING_TYPES.items()
)
SCHOOL_STAGES: tuple[SchoolStage, ...] = tuple(_STAGES.values())

HOUSING_TYPES_BY_CODE = {item.code: item for item in HOUSING_TYPES}
SCHOOL_STAGES_BY_CODE = {item.code: item for item in SCHOOL_STAGES}
