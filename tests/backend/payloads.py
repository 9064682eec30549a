"""Valid request bodies of each kind, to be varied by the tests."""

from __future__ import annotations

import copy
from typing import Any

#: A valid resident ID (GB 11643 check digit X) from the standard's own example.
ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"

NOTICE_VERSIONS = {
    "housing": "2026-11-27.housing.v1",
    "schooling": "2026-11-27.schooling.v1",
    "hospital": "2026-11-27.hospital.v1",
}


def _common(kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "applicant": {"name": "张三", "phone": PHONE, "id_number": ID_NUMBER},
        "channel": "rest",
        "sender_id": "web-abc",
        "consent": {
            "notice_version": NOTICE_VERSIONS[kind],
            "agreed_at": "2026-11-27T09:58:00+08:00",
        },
    }


def housing(**details: Any) -> dict[str, Any]:
    """A talent-apartment application in 渝北区."""
    body = _common("housing")
    body["details"] = {
        "housing_type": "talent_apartment",
        "district": "渝北区",
        "household_size": 3,
        "move_in_month": "2027-01",
        **details,
    }
    return body


def schooling(**details: Any) -> dict[str, Any]:
    """A primary-school application for a child; no ID number is sent."""
    body = _common("schooling")
    body["applicant"]["id_number"] = None
    body["details"] = {
        "child_name": "王小明",
        "stage": "primary",
        "grade": 3,
        "current_school": "成都市实验小学",
        "target_district": "两江新区",
        **details,
    }
    return body


def hospital(**details: Any) -> dict[str, Any]:
    """A cardiology booking at 重医附一院 five days ahead."""
    body = _common("hospital")
    body["details"] = {
        "hospital_code": "cqmu_fah",
        "department": "心血管内科",
        "visit_date": "2026-12-02",
        "half_day": "am",
        "reason": "胸闷复查",
        "green_channel": True,
        **details,
    }
    return body


BUILDERS = {"housing": housing, "schooling": schooling, "hospital": hospital}


def with_change(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Copy ``body`` with the dotted ``path`` set to ``value`` (``...`` deletes it)."""
    changed = copy.deepcopy(body)
    *parents, last = path.split(".")
    target = changed
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return changed
