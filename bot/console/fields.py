"""What each request kind needs from a caller, and the question an agent asks for it.

The questions are phrased for an agent on the phone; the form fields match the
backend's request bodies (bot/backend/API.md).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FormField:
    """One value of a request, where it goes in the body and how to ask for it."""

    key: str
    label: str
    question: str
    required: bool = True


APPLICANT_NAME = FormField("applicant_name", "申请人姓名", "请问申请人怎么称呼，全名是？")
PHONE = FormField("phone", "手机号码", "请问您的手机号码是多少？我们会用它联系您。")
ID_NUMBER = FormField("id_number", "身份证号码", "请问申请人的身份证号码是多少？")

KIND_FIELDS: dict[str, tuple[FormField, ...]] = {
    "housing": (
        FormField("housing_type", "住房类型", "请问您想申请人才公寓，还是青年人才公租房？"),
        FormField("district", "意向区县", "请问您想在重庆哪个区县申请住房？"),
        FormField("household_size", "入住人数", "请问一共几口人入住（包括您自己）？"),
        FormField("move_in_month", "期望入住月份", "请问您希望哪个月入住？"),
        APPLICANT_NAME,
        PHONE,
        ID_NUMBER,
    ),
    "schooling": (
        FormField("child_name", "孩子姓名", "请问孩子叫什么名字？"),
        FormField("stage", "学段", "请问孩子要上幼儿园、小学、初中还是高中？"),
        FormField("grade", "年级", "请问孩子要入读几年级？"),
        FormField("current_school", "现就读学校/城市", "请问孩子现在在哪所学校或哪个城市就读？"),
        FormField("target_district", "意向入学区县", "请问希望在重庆哪个区县入学？"),
        APPLICANT_NAME,
        PHONE,
    ),
    "hospital": (
        FormField("hospital_code", "医院", "请问您想去哪家定点医院就诊？"),
        FormField("department", "科室", "请问要看哪个科室？"),
        FormField("visit_date", "就诊日期", "请问您想哪一天去就诊？"),
        FormField("half_day", "时段", "请问上午还是下午？"),
        FormField("reason", "就诊事由", "方便简单说一下就诊事由吗？（可不说）", required=False),
        APPLICANT_NAME,
        PHONE,
        ID_NUMBER,
    ),
}

KIND_TITLES = {
    "housing": "人才住房申请",
    "schooling": "子女入学服务申请",
    "hospital": "就医绿色通道预约",
    "callback": "人工回电",
}

#: The request a caller seems to want, from the understood intent.
INTENT_KINDS = {
    "request_housing": "housing",
    "ask_housing_policy": "housing",
    "request_schooling": "schooling",
    "ask_school_policy": "schooling",
    "request_hospital": "hospital",
    "ask_hospital_policy": "hospital",
}

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

#: Labels of the bot's slots, for the details a handed-off chat arrives with.
SLOT_LABELS = {
    "housing_type": "住房类型",
    "district": "意向区县",
    "household_size": "入住人数",
    "move_in_month": "入住时间",
    "child_name": "孩子姓名",
    "school_stage": "学段",
    "grade": "年级",
    "current_school": "现就读学校/城市",
    "target_district": "意向入学区县",
    "hospital": "医院",
    "department": "科室",
    "visit_date": "就诊日期",
    "half_day": "时段",
    "reason": "就诊原因",
    "applicant_name": "申请人",
    "phone": "手机号",
    "id_number": "身份证号",
}


def next_question(kind: str | None, known: dict[str, object]) -> FormField | None:
    """Return the first required field of the kind still missing, or None when all are known."""
    if kind not in KIND_FIELDS:
        return None
    for field in KIND_FIELDS[kind]:
        if field.required and known.get(field.key) in (None, ""):
            return field
    return None
