"""Response shapes of the reference endpoints."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class DistrictPublic(BaseModel):
    """A district as the bot shows and matches it."""

    code: str
    name: str
    kind: str
    aliases: list[str]


class HousingTypePublic(BaseModel):
    """A kind of talent housing."""

    code: str
    name: str


class SchoolStagePublic(BaseModel):
    """A school stage and how many grades it has."""

    code: str
    name: str
    grades: int


class HospitalPublic(BaseModel):
    """A hospital with its departments; ``is_sample`` marks illustrative data."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    short_names: list[str]
    district: str
    departments: list[str]
    green_channel_24h: bool
    is_sample: bool
