"""The fixed choices a request offers (housing types, school stages, half days, services).

Pure data, imported by the parsers, the request catalogue, the console and the
backend's reference data, so a choice and its Chinese name exist once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SchoolStage:
    """A school stage with the number of grades it has."""

    code: str
    name: str
    grades: int


HOUSING_TYPES: dict[str, str] = {"talent_apartment": "人才公寓", "youth_rental": "青年人才公租房"}
#: The words a housing type is read from, in the order they are tried (公租房 before 人才).
HOUSING_TYPE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("youth_rental", ("公租房", "公祖房", "青年", "租")),
    ("talent_apartment", ("人才公寓", "公寓", "人才住房", "人才房")),
)

SCHOOL_STAGES: dict[str, SchoolStage] = {
    stage.code: stage
    for stage in (
        SchoolStage("kindergarten", "幼儿园", 3),
        SchoolStage("primary", "小学", 6),
        SchoolStage("junior", "初中", 3),
        SchoolStage("senior", "高中", 3),
    )
}
KINDERGARTEN_CLASSES: dict[int, str] = {1: "小班", 2: "中班", 3: "大班"}

HALF_DAYS: dict[str, str] = {"am": "上午", "pm": "下午"}

SETTLEMENT_SERVICES: dict[str, str] = {
    "settle": "人才落户",
    "file_transfer": "人事档案转存",
    "both": "落户和档案转存",
}
#: The words a settlement service is read from, in the order they are tried.
SETTLEMENT_SERVICE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("both", ("都办", "都要", "两个", "两项", "一起办", "都需要", "两样")),
    ("file_transfer", ("档案", "转档", "调档", "存档")),
    ("settle", ("落户", "户口", "户籍", "入户", "迁户")),
)


def read_choice(
    text: str, names: dict[str, str], words: tuple[tuple[str, tuple[str, ...]], ...]
) -> str | None:
    """Map a code, a Chinese name or a telling word to a choice's code."""
    if text in names:
        return text
    for code, name in names.items():
        if name == text:
            return code
    for code, options in words:
        if any(word in text for word in options):
            return code
    return None


def grade_label(stage: str | None, grade: object) -> str:
    """Say a grade the way parents do (大班, 小学3年级)."""
    if grade is None:
        return "-"
    number = int(float(str(grade)))
    if stage == "kindergarten":
        return KINDERGARTEN_CLASSES.get(number, f"{number}")
    name = SCHOOL_STAGES[stage].name if stage in SCHOOL_STAGES else ""
    return f"{name}{number}年级"
