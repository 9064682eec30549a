"""The fourth request kind, 人才落户与档案服务, end to end: chat, status, cancel, console.

It was added through the request catalogue (README "Adding a request kind"); these
conversations prove it works like the other three on the real stack.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ConsoleAgent, joined, rows

Say = Callable[[str, str], list[dict[str, Any]]]
ID_NUMBER = "11010519491231002X"
NUMBER = re.compile(r"\bST\d{8}-\d{4}[A-Z]?\b")


def test_a_settlement_request_by_chat_then_status_and_cancel(say: Say, backend_db: Path) -> None:
    user = f"e2e-settlement-{uuid.uuid4().hex[:8]}"
    notice = joined(say(user, "我想申请办理人才落户手续"))
    assert "个人信息" in notice and "落户" in notice and "同意" in notice
    asked = joined(say(user, "同意"))
    if "两项都办" in asked:  # the wish did not already say which service
        asked = joined(say(user, "落户和档案转存两项都办"))
    assert "户口" in asked
    assert "区县" in joined(say(user, "四川省成都市"))
    assert "家属" in joined(say(user, "渝北"))
    assert "姓名" in joined(say(user, "两个"))
    assert "手机" in joined(say(user, "陈晨"))
    assert "身份证" in joined(say(user, "13712345678"))
    read_back = joined(say(user, ID_NUMBER))
    assert "请核对" in read_back and "人才落户与档案服务" in read_back
    assert "渝北区" in read_back and "四川省成都市" in read_back and "2 人" in read_back
    assert "137****5678" in read_back and ID_NUMBER not in read_back

    number = NUMBER.search(joined(say(user, "确认提交"))).group(0)  # type: ignore[union-attr]
    (row,) = rows(backend_db, "select * from service_request where number = ?", number)
    assert (row["kind"], row["channel"], row["status"]) == ("settlement", "rest", "submitted")
    details = json.loads(row["details"])
    assert details["target_district"] == "渝北区" and details["family_members"] == 2
    assert details["current_hukou"] == "四川省成都市" and details["service"] in {"settle", "both"}

    assert "编号" in joined(say(user, "我的申请到哪一步了"))
    assert "后四位" in joined(say(user, number))
    status = joined(say(user, "5678"))
    assert number in status and "人才落户与档案服务" in status and "已提交" in status

    assert "后四位" in joined(say(user, f"帮我把申请{number}取消掉"))
    assert "确定" in joined(say(user, "5678"))
    assert "已为您取消" in joined(say(user, "确定"))
    (row,) = rows(backend_db, "select status from service_request where number = ?", number)
    assert row["status"] == "cancelled"


def test_a_question_about_the_rules_gets_the_answer_not_the_form(say: Say) -> None:
    replies = say(f"e2e-hukou-{uuid.uuid4().hex[:8]}", "人才落户需要满足什么条件？")
    text = joined(replies)
    assert "来源：" in text and "告知书" not in text
    buttons = [b["title"] for r in replies for b in r.get("buttons") or []]
    assert "帮我办落户或档案转存" in buttons


def test_an_agent_submits_a_settlement_request_for_a_caller(
    console: Callable[[str], ConsoleAgent], backend_db: Path
) -> None:
    chen = console("chen")
    form = next(k for k in chen.get("/forms")["kinds"] if k["kind"] == "settlement")
    body = {
        "kind": "settlement",
        "applicant": {"name": "陈晨", "phone": "13712345678", "id_number": ID_NUMBER},
        "details": {
            "service": "file_transfer",
            "current_hukou": "湖北省襄阳市",
            "target_district": "两江新区",
            "family_members": 0,
        },
        "notice_version": form["notice"]["version"],
        "consent_read_out": True,
        "consent_at": "2026-11-29T09:58:00+08:00",
        "submission_key": uuid.uuid4().hex,
        "summary": "来电办理档案转存。",
    }
    created = chen.post("/requests", body)
    number = created["request"]["number"]
    assert NUMBER.fullmatch(number)
    (row,) = rows(backend_db, "select kind, channel from service_request where number = ?", number)
    assert (row["kind"], row["channel"]) == ("settlement", "hotline")
    assert [r["number"] for r in chen.get(f"/requests?q={number}")] == [number]
    assert console("wang").get(f"/requests?q={number}") == []  # another team's agent sees nothing
