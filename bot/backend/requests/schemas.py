"""Bodies and responses of the service-request endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from bot.backend.consent.schemas import ConsentCreate
from bot.backend.reference.catalog import SCHOOL_STAGES_BY_CODE
from bot.backend.requests.fields import (
    Actor,
    Department,
    DistrictName,
    HospitalCode,
    Note,
    PersonName,
    Phone,
    PhoneLast4,
    PlaceName,
    Reason,
    RequestNumber,
    ResidentId,
    SchoolName,
    SenderId,
)
from bot.backend.requests.lifecycle import Action, Channel, Kind, StaffStatus, Status


class _Strict(BaseModel):
    """Refuse unknown fields so no unexpected personal data slips in."""

    model_config = ConfigDict(extra="forbid")


class ApplicantCreate(_Strict):
    """The applicant, with the resident ID their request kind requires."""

    name: PersonName
    phone: Phone
    id_number: ResidentId


class ApplicantWithoutIdCreate(_Strict):
    """The applicant of a schooling request, for which no ID number is collected."""

    name: PersonName
    phone: Phone
    id_number: None = None

    @field_validator("id_number", mode="before")
    @classmethod
    def _no_id_number(cls, value: object) -> None:
        """Collect no more personal data than the request needs."""
        if value not in (None, ""):
            raise ValueError("子女入学申请无需提供身份证号码，请留空")
        return None


class HousingDetails(_Strict):
    """What a talent-housing application needs."""

    housing_type: Literal["talent_apartment", "youth_rental"]
    district: DistrictName
    household_size: int = Field(ge=1, le=10)
    move_in_month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2027-01"])


class SchoolingDetails(_Strict):
    """What a child-schooling application needs."""

    child_name: PersonName
    stage: Literal["kindergarten", "primary", "junior", "senior"]
    grade: int = Field(ge=1, le=6)
    current_school: SchoolName
    target_district: DistrictName

    @field_validator("grade")
    @classmethod
    def _grade_within_stage(cls, value: int, info: ValidationInfo) -> int:
        """Keep the grade inside the chosen stage (kindergarten has three)."""
        stage = SCHOOL_STAGES_BY_CODE.get(info.data.get("stage", ""))
        if stage is not None and value > stage.grades:
            raise ValueError(f"{stage.name}只有 {stage.grades} 个年级")
        return value


class HospitalDetails(_Strict):
    """What a hospital green-channel booking needs."""

    hospital_code: HospitalCode
    department: Department
    visit_date: date
    half_day: Literal["am", "pm"]
    reason: Reason = ""
    green_channel: bool = False


class SettlementDetails(_Strict):
    """What help with settling (落户) and the personnel file (档案转存) needs."""

    service: Literal["settle", "file_transfer", "both"]
    current_hukou: PlaceName
    target_district: DistrictName
    family_members: int = Field(ge=0, le=10)


class ApplicantContactCreate(_Strict):
    """Who to call back: a name (or form of address) and a mobile number, nothing more."""

    name: PersonName
    phone: Phone


class CallbackDetails(_Strict):
    """What a callback request needs: what it is about and when to call."""

    team: Literal["housing", "schooling", "hospital", "settlement", "general"] = "general"
    topic: Reason = ""
    preferred_time: Reason = ""
    note: Reason = ""


class _RequestCreateBase(_Strict):
    channel: Channel
    sender_id: SenderId
    consent: ConsentCreate


class HousingRequestCreate(_RequestCreateBase):
    """Body of a talent-housing application."""

    kind: Literal["housing"]
    applicant: ApplicantCreate
    details: HousingDetails


class SchoolingRequestCreate(_RequestCreateBase):
    """Body of a child-schooling application."""

    kind: Literal["schooling"]
    applicant: ApplicantWithoutIdCreate
    details: SchoolingDetails


class HospitalRequestCreate(_RequestCreateBase):
    """Body of a hospital green-channel booking."""

    kind: Literal["hospital"]
    applicant: ApplicantCreate
    details: HospitalDetails


class SettlementRequestCreate(_RequestCreateBase):
    """Body of a request for help with settling and the personnel file."""

    kind: Literal["settlement"]
    applicant: ApplicantCreate
    details: SettlementDetails


class CallbackRequestCreate(_RequestCreateBase):
    """Body of a request to be called back by the hotline."""

    kind: Literal["callback"]
    applicant: ApplicantContactCreate
    details: CallbackDetails


AnyRequestCreate = (
    HousingRequestCreate
    | SchoolingRequestCreate
    | HospitalRequestCreate
    | SettlementRequestCreate
    | CallbackRequestCreate
)
RequestCreate = Annotated[AnyRequestCreate, Field(discriminator="kind")]
#: The body of each kind of the request catalogue (tests check the two agree).
CREATE_BODIES: dict[str, type[_RequestCreateBase]] = {
    "housing": HousingRequestCreate,
    "schooling": SchoolingRequestCreate,
    "hospital": HospitalRequestCreate,
    "settlement": SettlementRequestCreate,
    "callback": CallbackRequestCreate,
}


class RequestLookup(_Strict):
    """Proof of ownership for a status look-up.

    ``channel`` and ``sender_id`` name who is trying, so failed proofs are
    also counted per sender (bot/backend/guessing).
    """

    number: RequestNumber
    phone_last4: PhoneLast4
    channel: Channel | None = None
    sender_id: SenderId | None = None


class RequestCancel(_Strict):
    """The applicant's cancellation, proven by the phone's last four digits."""

    phone_last4: PhoneLast4
    reason: Reason = ""
    channel: Channel | None = None
    sender_id: SenderId | None = None


class StatusUpdate(_Strict):
    """A status change made by an agent or staff member."""

    status: StaffStatus
    note: Note = ""
    #: optional: the actor is the signed-in agent; if given it must name that agent
    actor: Actor | None = None


class ApplicantPublic(BaseModel):
    """The applicant with every personal field masked."""

    name: str
    phone: str
    id_number: str | None


class RequestPublic(BaseModel):
    """A service request as shown to anyone: personal data always masked."""

    number: str
    kind: Kind
    status: Status
    status_label: str
    applicant: ApplicantPublic
    channel: Channel
    details: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class EventPublic(BaseModel):
    """One audit entry of a request."""

    at: datetime
    actor: str
    action: Action
    from_status: Status | None
    to_status: Status
    note: str | None
