"""Small fixed catalogues that change only with policy, kept in code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HousingType:
    """A kind of talent housing one can apply for."""

    code: str
    name: str


@dataclass(frozen=True)
class SchoolStage:
    """A school stage with the number of grades it has."""

    code: str
    name: str
    grades: int


HOUSING_TYPES: tuple[HousingType, ...] = (
    HousingType("talent_apartment", "人才公寓"),
    HousingType("youth_rental", "青年人才公租房"),
)

SCHOOL_STAGES: tuple[SchoolStage, ...] = (
    SchoolStage("kindergarten", "幼儿园", 3),
    SchoolStage("primary", "小学", 6),
    SchoolStage("junior", "初中", 3),
    SchoolStage("senior", "高中", 3),
)

HOUSING_TYPES_BY_CODE = {item.code: item for item in HOUSING_TYPES}
SCHOOL_STAGES_BY_CODE = {item.code: item for item in SCHOOL_STAGES}
