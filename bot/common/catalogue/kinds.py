"""Every kind of service request, described once.

The forms' read-back, changes, resets and slot validators (actions/), the console's
fields, assist panel and form (bot/console), the backend's kinds, numbers and teams
(bot/backend) and the NLU's request-number guard all read this table. Adding a kind
starts here: README "Adding a request kind" lists the few other places.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.common import choices
from bot.common.catalogue.model import Field, ParseContext, RequestKind
from bot.common.parsers import answers, services
from bot.common.pii import mask_id_number, mask_name, mask_phone

#: Slots every request form shares besides its fields: consent, then the dialogue's own.
CONSENT_SLOTS = ("privacy_consent", "consent_notice_version", "consent_agreed_at")
CONTROL_SLOTS = (
    "request_confirmed",
    "request_kind",
    "idempotency_key",
    "submission_pending",
    "validation_failures",
    "requested_slot",
)
FORM_SLOTS = CONSENT_SLOTS + CONTROL_SLOTS


def _text(parse: Any) -> Any:
    """Adapt a parser of text alone to the catalogue's (text, context) signature."""
    return lambda text, _ctx: parse(text)


def _masked(mask: Any) -> Any:
    return lambda value, _slots: mask(str(value))


def _choice(names: Mapping[str, str]) -> Any:
    return lambda value, _slots: names.get(value, str(value))


def _people(value: Any, _slots: Mapping[str, Any]) -> str:
    return f"{int(value)} 人"


def _month(value: Any, _slots: Mapping[str, Any]) -> str:
    return f"{value[:4]}年{int(value[5:7])}月"


def _stage_and_grade(value: Any) -> dict[str, Any]:
    stage, grade = value
    return {"school_stage": stage, **({"grade": float(grade)} if grade is not None else {})}


def _grade_in_stage(value: Any) -> dict[str, Any]:
    stage, grade = value
    return {"school_stage": stage, "grade": float(grade)}


def _visit_day(value: Any) -> dict[str, Any]:
    day, half_day = value
    return {"visit_date": day.isoformat(), **({"half_day": half_day} if half_day else {})}


APPLICANT_NAME = Field(
    "applicant_name",
    "name",
    "申请人",
    "请问申请人怎么称呼，全名是？",
    _text(answers.parse_person_name),
    section="applicant",
    show=_masked(mask_name),
    mask="name",
)
PHONE = Field(
    "phone",
    "phone",
    "手机号",
    "请问您的手机号码是多少？我们会用它联系您。",
    _text(answers.parse_mobile),
    section="applicant",
    show=_masked(mask_phone),
    entity="phone",
    mask="phone",
)
ID_NUMBER = Field(
    "id_number",
    "id_number",
    "身份证号",
    "请问申请人的身份证号码是多少？",
    _text(answers.parse_resident_id),
    section="applicant",
    show=_masked(mask_id_number),
    entity="id_number",
    mask="id_number",
)

HOUSING = RequestKind(
    code="housing",
    prefix="HS",
    title="人才住房申请",
    team="housing",
    form="housing_form",
    intent="request_housing",
    offer="帮我申请人才住房",
    topics=("housing_apply", "housing_policy"),
    fields=(
        Field(
            "housing_type",
            "housing_type",
            "住房类型",
            "请问您想申请人才公寓，还是青年人才公租房？",
            _text(services.parse_housing_type),
            show=_choice(choices.HOUSING_TYPES),
            entity="housing_type",
            input="choice",
            choices=choices.HOUSING_TYPES,
        ),
        Field(
            "district",
            "district",
            "意向区县",
            "请问您想在重庆哪个区县申请住房？",
            _text(answers.parse_district),
            entity="district",
        ),
        Field(
            "household_size",
            "household_size",
            "入住人数",
            "请问一共几口人入住（包括您自己）？",
            _text(answers.parse_household_size),
            show=_people,
            entity="household_size",
            input="number",
            number=True,
        ),
        Field(
            "move_in_month",
            "move_in_month",
            "入住时间",
            "请问您希望哪个月入住？",
            lambda text, ctx: answers.parse_move_in_month(text, ctx.today),
            show=_month,
            entity="move_in_month",
            input="month",
        ),
        APPLICANT_NAME,
        PHONE,
        ID_NUMBER,
    ),
    housekeeping_slots=FORM_SLOTS,
)

SCHOOLING = RequestKind(
    code="schooling",
    prefix="SC",
    title="子女入学服务申请",
    team="schooling",
    form="schooling_form",
    intent="request_schooling",
    offer="帮孩子办入学",
    topics=("school_apply", "school_policy"),
    fields=(
        Field(
            "child_name",
            "child_name",
            "孩子姓名",
            "请问孩子叫什么名字？",
            _text(answers.parse_person_name),
            show=_masked(mask_name),
            mask="name",
        ),
        Field(
            "school_stage",
            "stage",
            "学段",
            "请问孩子要上幼儿园、小学、初中还是高中？",
            _text(services.parse_school_stage),
            show=_choice({c: s.name for c, s in choices.SCHOOL_STAGES.items()}),
            to_slots=_stage_and_grade,
            entity="school_stage",
            input="choice",
            choices={c: s.name for c, s in choices.SCHOOL_STAGES.items()},
        ),
        Field(
            "grade",
            "grade",
            "年级",
            "请问孩子要入读几年级？",
            lambda text, ctx: services.parse_grade(text, ctx.known.get("school_stage")),
            show=lambda value, slots: choices.grade_label(slots.get("school_stage"), value),
            to_slots=_grade_in_stage,
            entity="grade",
            input="number",
            number=True,
        ),
        Field(
            "current_school",
            "current_school",
            "现就读学校/城市",
            "请问孩子现在在哪所学校或哪个城市就读？",
            _text(lambda text: answers.parse_short_text(text, 100)),
            mask="text",
        ),
        Field(
            "target_district",
            "target_district",
            "意向入学区县",
            "请问希望在重庆哪个区县入学？",
            _text(answers.parse_district),
            entity="district",
        ),
        APPLICANT_NAME,
        PHONE,
    ),
    dependent={"school_stage": ("grade",)},
    housekeeping_slots=FORM_SLOTS,
)

HOSPITAL = RequestKind(
    code="hospital",
    prefix="HP",
    title="定点医院就医绿色通道预约",
    team="hospital",
    form="hospital_form",
    intent="request_hospital",
    offer="预约就医绿色通道",
    topics=("hospital_book", "hospital_policy"),
    fields=(
        Field(
            "hospital",
            "hospital_code",
            "医院",
            "请问您想去哪家定点医院就诊？",
            None,
            entity="hospital",
            input="hospital",
        ),
        Field(
            "department",
            "department",
            "科室",
            "请问要看哪个科室？",
            None,
            entity="department",
            input="department",
        ),
        Field(
            "visit_date",
            "visit_date",
            "就诊日期",
            "请问您想哪一天去就诊？",
            lambda text, ctx: answers.parse_visit_date(text, ctx.today),
            to_slots=_visit_day,
            entity="visit_date",
            input="date",
        ),
        Field(
            "half_day",
            "half_day",
            "时段",
            "请问上午还是下午？",
            _text(services.parse_half_day_choice),
            show=_choice(choices.HALF_DAYS),
            input="choice",
            choices=choices.HALF_DAYS,
        ),
        Field(
            "reason",
            "reason",
            "就诊原因",
            "方便简单说一下就诊事由吗？（可不说）",
            _text(lambda text: answers.parse_short_text(text, 200)),
            required=False,
            mask="text",
        ),
        APPLICANT_NAME,
        PHONE,
        ID_NUMBER,
    ),
    fixed_details={"green_channel": True},
    extra_labels={
        "hospital_name": "医院",
        "hospital_code": "医院代码",
        "green_channel": "绿色通道",
    },
    dependent={"hospital": ("department",), "visit_date": ("half_day",)},
    housekeeping_slots=FORM_SLOTS,
)

SETTLEMENT = RequestKind(
    code="settlement",
    prefix="ST",
    title="人才落户与档案服务",
    team="settlement",
    form="settlement_form",
    intent="request_settlement",
    offer="帮我办落户或档案转存",
    topics=("hukou",),
    fields=(
        Field(
            "settlement_service",
            "service",
            "办理事项",
            "请问您要办理落户、档案转存，还是两项都办？",
            _text(services.parse_settlement_service),
            show=_choice(choices.SETTLEMENT_SERVICES),
            entity="settlement_service",
            input="choice",
            choices=choices.SETTLEMENT_SERVICES,
        ),
        Field(
            "current_hukou",
            "current_hukou",
            "现户籍所在地",
            "请问您现在的户口在哪里？说到市或县即可，例如：四川省成都市。",
            _text(lambda text: answers.parse_short_text(text, 50)),
            mask="text",
        ),
        Field(
            "settle_district",
            "target_district",
            "拟落户区县",
            "请问您想落户到重庆哪个区县？",
            _text(answers.parse_district),
            entity="district",
        ),
        Field(
            "family_members",
            "family_members",
            "随迁家属人数",
            "请问有几位家属随您一起迁移（不含您本人）？没有就说 0。",
            _text(services.parse_family_members),
            show=_people,
            entity="family_members",
            input="number",
            number=True,
        ),
        APPLICANT_NAME,
        PHONE,
        ID_NUMBER,
    ),
    housekeeping_slots=FORM_SLOTS,
)

CALLBACK = RequestKind(
    code="callback",
    prefix="CB",
    title="人工回电",
    team="general",
    form="callback_form",
    intent=None,
    topics=(),
    fields=(
        Field(
            "callback_name",
            "name",
            "称呼",
            "请问怎么称呼您？",
            _text(services.parse_form_of_address),
            section="applicant",
            show=_masked(mask_name),
            mask="name",
        ),
        Field(
            "callback_phone",
            "phone",
            "回电号码",
            "请问回电打哪个手机号？",
            _text(answers.parse_mobile),
            section="applicant",
            show=_masked(mask_phone),
            mask="phone",
        ),
        Field(
            "callback_time",
            "preferred_time",
            "希望回电时间",
            "请问什么时间方便接听？",
            _text(services.parse_callback_time),
            mask="text",
        ),
    ),
    console_form=False,
    consent_slot="callback_consent",
    confirm_slot=None,
    derived_details=("team", "topic", "note"),
    extra_labels={"team": "小组", "topic": "咨询事项", "note": "说明"},
    housekeeping_slots=(
        "callback_consent",
        "callback_notice_version",
        "callback_agreed_at",
        "callback_key",
        "requested_slot",
    ),
)

#: Every kind, in the order menus and the console list them.
ALL_KINDS: tuple[RequestKind, ...] = (HOUSING, SCHOOLING, HOSPITAL, SETTLEMENT, CALLBACK)


def parse_field(field: Field, value: Any, context: ParseContext) -> Any:
    """Parse a slot or form value with its field's parser (the value as text)."""
    assert field.parse is not None, f"{field.slot} is checked against reference data"
    return field.parse(services.as_text(value), context)
