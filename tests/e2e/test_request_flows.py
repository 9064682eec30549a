"""Whole Chinese conversations over REST against the three real processes.

Each test reads like a user's chat; after it, the rows in the backend's own
database say what really happened.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import joined, rows

Say = Callable[[str, str], list[dict[str, Any]]]
ID_NUMBER = "11010519491231002X"
NUMBER = re.compile(r"\b(HS|SC|HP)\d{8}-\d{4}[A-Z]?\b")


def request_row(db: Path, number: str) -> Any:
    found = rows(db, "select * from service_request where number = ?", number)
    assert len(found) == 1, f"{number} should be stored exactly once"
    return found[0]


def test_housing_request_with_a_change_then_status_and_cancel(say: Say, backend_db: Path) -> None:
    user = "e2e-housing"
    notice = joined(say(user, "我想申请人才公寓，住渝北"))
    assert "个人信息" in notice and "同意" in notice
    assert "几人" in joined(say(user, "同意"))  # type and district came with the first message
    assert "入住" in joined(say(user, "一家三口"))
    assert "姓名" in joined(say(user, "明年3月"))
    assert "手机" in joined(say(user, "张伟"))
    assert "身份证" in joined(say(user, "13812340000"))
    read_back = joined(say(user, ID_NUMBER))
    assert "请核对" in read_back and "渝北区" in read_back and "人才公寓" in read_back
    assert "138****0000" in read_back and "13812340000" not in read_back

    changed = joined(say(user, "手机号改成13912340000"))
    assert "139****0000" in changed and "请核对" in changed

    done = joined(say(user, "确认提交"))
    number = NUMBER.search(done).group(0)  # type: ignore[union-attr]
    assert number.startswith("HS")
    row = request_row(backend_db, number)
    assert row["applicant_phone"] == "13912340000" and row["status"] == "submitted"
    details = json.loads(row["details"])
    assert details["district"] == "渝北区" and details["household_size"] == 3
    assert details["housing_type"] == "talent_apartment"

    assert "编号" in joined(say(user, "我的申请到哪一步了"))
    assert "后四位" in joined(say(user, number))
    status = joined(say(user, "0000"))
    assert number in status and "已提交" in status

    ask = joined(say(user, f"帮我把申请{number}取消掉"))
    assert "后四位" in ask
    confirm = joined(say(user, "0000"))
    assert "确定取消" in confirm or "确定" in confirm
    assert "已为您取消" in joined(say(user, "确定"))
    assert request_row(backend_db, number)["status"] == "cancelled"


def test_schooling_request_takes_details_from_the_first_message(say: Say, backend_db: Path) -> None:
    user = "e2e-schooling"
    assert "同意" in joined(say(user, "我想给我女儿办小学入学，我们住渝北"))
    assert "名字" in joined(say(user, "同意"))
    assert "年级" in joined(say(user, "王小红"))  # the stage came with the first message
    assert "学校" in joined(say(user, "三年级"))
    reply = joined(say(user, "成都市实验小学"))
    assert "称呼" in reply or "姓名" in reply  # the district came with the first message
    say(user, "王强")
    read_back = joined(say(user, "13700001234"))
    assert "小学3年级" in read_back and "渝北区" in read_back and "王**" in read_back
    number = NUMBER.search(joined(say(user, "对的，提交吧"))).group(0)  # type: ignore[union-attr]
    row = request_row(backend_db, number)
    details = json.loads(row["details"])
    assert details["stage"] == "primary" and details["grade"] == 3
    assert details["target_district"] == "渝北区" and row["applicant_id_number"] is None


def test_hospital_request_with_a_question_in_the_middle(say: Say, backend_db: Path) -> None:
    user = "e2e-hospital"
    assert "同意" in joined(say(user, "帮我预约一下定点医院的绿色通道"))
    assert "医院" in joined(say(user, "同意"))
    assert "科室" in joined(say(user, "西南医院"))
    # a question mid-form is answered, then the form asks its question again
    digression = joined(say(user, "定点医院一共有多少家"))
    assert "77" in digression and "科室" in digression
    assert "哪天" in joined(say(user, "骨科"))
    assert "原因" in joined(say(user, "下周三上午"))
    assert "姓名" in joined(say(user, "膝盖疼，复查"))
    say(user, "刘洋")
    say(user, "13600005678")
    read_back = joined(say(user, ID_NUMBER))
    assert "陆军军医大学第一附属医院" in read_back and "上午" in read_back
    number = NUMBER.search(joined(say(user, "确认"))).group(0)  # type: ignore[union-attr]
    row = request_row(backend_db, number)
    details = json.loads(row["details"])
    assert details["department"] == "骨科" and details["half_day"] == "am"
    consents = rows(
        backend_db,
        "select n.version, c.agreed_at from consent_record c"
        " join consent_notice n on n.id = c.notice_id where c.request_id = ?",
        row["id"],
    )
    assert len(consents) == 1 and consents[0]["version"].startswith("2026-11-27.hospital")


def test_stopping_half_way_stores_nothing(say: Say, backend_db: Path) -> None:
    user = "e2e-stop"
    before = rows(backend_db, "select count(*) as n from service_request")[0]["n"]
    say(user, "我要预约医院")
    say(user, "同意")
    assert "不会提交" in joined(say(user, "算了，不办了"))
    assert "您好" in joined(say(user, "你好"))  # the conversation goes on normally
    assert rows(backend_db, "select count(*) as n from service_request")[0]["n"] == before


def test_declining_the_notice_collects_nothing(say: Say, backend_db: Path) -> None:
    user = "e2e-decline"
    say(user, "我想申请青年人才公租房")
    assert "无法代您提交" in joined(say(user, "不同意"))


def test_status_of_unknown_and_of_someone_elses_request_read_the_same(
    say: Say, someone_elses_request: str
) -> None:
    replies = []
    for user, number in (
        ("e2e-stranger-1", "HS20200101-9999"),
        ("e2e-stranger-2", someone_elses_request),
    ):
        assert "编号" in joined(say(user, "查询申请进度"))
        say(user, number)
        replies.append(joined(say(user, "1111")))
    assert replies[0] == replies[1] and "没有找到" in replies[0]
