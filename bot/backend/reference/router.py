"""Read-only reference endpoints the bot uses to match and show choices."""

from __future__ import annotations

from fastapi import APIRouter

from bot.backend.deps import SessionDep
from bot.backend.reference import service
from bot.backend.reference.catalog import HOUSING_TYPES, SCHOOL_STAGES
from bot.backend.reference.models import Hospital
from bot.backend.reference.schemas import (
    DistrictPublic,
    HospitalPublic,
    HousingTypePublic,
    SchoolStagePublic,
)

router = APIRouter(prefix="/reference", tags=["reference"])


def hospital_public(hospital: Hospital) -> HospitalPublic:
    """Flatten a hospital row with its district name and department names."""
    return HospitalPublic(
        id=hospital.id,
        code=hospital.code,
        name=hospital.name,
        short_names=list(hospital.short_names),
        district=hospital.district.name,
        departments=[department.name for department in hospital.departments],
        green_channel_24h=hospital.green_channel_24h,
        is_sample=hospital.is_sample,
    )


@router.get("/districts", response_model=list[DistrictPublic])
def list_districts(session: SessionDep) -> list[DistrictPublic]:
    """List Chongqing's districts, counties and new areas with their aliases."""
    return [
        DistrictPublic(code=d.code, name=d.name, kind=d.kind, aliases=list(d.aliases))
        for d in service.list_districts(session)
    ]


@router.get("/housing-types", response_model=list[HousingTypePublic])
def list_housing_types() -> list[HousingTypePublic]:
    """List the kinds of talent housing one can apply for."""
    return [HousingTypePublic(code=t.code, name=t.name) for t in HOUSING_TYPES]


@router.get("/school-stages", response_model=list[SchoolStagePublic])
def list_school_stages() -> list[SchoolStagePublic]:
    """List school stages with their number of grades."""
    return [SchoolStagePublic(code=s.code, name=s.name, grades=s.grades) for s in SCHOOL_STAGES]


@router.get("/hospitals", response_model=list[HospitalPublic])
def list_hospitals(session: SessionDep) -> list[HospitalPublic]:
    """List the hospitals with green-channel care and their departments."""
    return [hospital_public(h) for h in service.list_hospitals(session)]
