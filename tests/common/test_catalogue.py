"""The read-back shows what was collected, with personal data masked."""

from __future__ import annotations

from bot.common.catalogue import HOSPITAL, HOUSING, SCHOOLING
from bot.common.choices import grade_label


def test_housing_read_back_masks_personal_data() -> None:
    summary = HOUSING.summary(
        {
            "housing_type": "youth_rental",
            "district": "渝北区",
            "household_size": 3.0,
            "move_in_month": "2027-03",
            "applicant_name": "张伟",
            "phone": "13812345678",
            "id_number": "11010519491231002X",
        }
    )
    assert "青年人才公租房" in summary and "3 人" in summary and "2027年3月" in summary
    assert "138****5678" in summary and "13812345678" not in summary
    assert "1101**********002X" in summary and "张*" in summary


def test_schooling_asks_no_id_number_and_masks_the_child() -> None:
    assert "id_number" not in [f.slot for f in SCHOOLING.fields]
    summary = SCHOOLING.summary(
        {"child_name": "王小明", "school_stage": "kindergarten", "grade": 2.0}
    )
    assert "王**" in summary and "中班" in summary


def test_hospital_needs_an_id_number() -> None:
    assert HOSPITAL.needs_id_number and HOSPITAL.field("id_number") is not None


def test_grade_labels() -> None:
    assert grade_label("primary", 3.0) == "小学3年级"
    assert grade_label("kindergarten", 3) == "大班"
    assert grade_label("junior", None) == "-"
